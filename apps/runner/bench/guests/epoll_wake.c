/*
 * epoll_wake N: two threads hand a turn back and forth, each through an
 * eventfd the other waits for in epoll_wait (one epoll set per thread). A
 * round trip is two wake-ups: write, epoll_wait returns in the other
 * thread, which reads its eventfd and writes the other one. N round trips
 * are timed after a few untimed ones; prints microseconds per wake-up
 * (CLOCK_MONOTONIC: served by tsv's vDSO without an exit).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define WARM 10

static long rounds;
/* turn[i]: the eventfd thread i waits for; ep[i]: its epoll set. */
static int turn[2], ep[2];

static int await_turn(int self) {
  struct epoll_event ev;
  uint64_t v;
  if (epoll_wait(ep[self], &ev, 1, -1) != 1) return -1;
  return read(turn[self], &v, sizeof v) == sizeof v ? 0 : -1;
}

static int give_turn(int other) {
  uint64_t one = 1;
  return write(turn[other], &one, sizeof one) == sizeof one ? 0 : -1;
}

static void *partner(void *arg) {
  (void)arg;
  for (long i = 0; i < WARM + rounds; i++)
    if (await_turn(1) != 0 || give_turn(0) != 0) exit(3);
  return NULL;
}

int main(int argc, char **argv) {
  rounds = argc > 1 ? atol(argv[1]) : 10000;
  for (int i = 0; i < 2; i++) {
    turn[i] = eventfd(0, 0);
    ep[i] = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = turn[i]};
    if (turn[i] < 0 || ep[i] < 0 || epoll_ctl(ep[i], EPOLL_CTL_ADD, turn[i], &ev) != 0) return 1;
  }
  pthread_t t;
  if (pthread_create(&t, NULL, partner, NULL) != 0) return 2;
  struct timespec t0, t1;
  for (long i = 0; i < WARM + rounds; i++) {
    if (i == WARM) clock_gettime(CLOCK_MONOTONIC, &t0);
    if (give_turn(1) != 0 || await_turn(0) != 0) return 3;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  pthread_join(t, NULL);
  double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3;
  printf("%.2f\n", rounds > 0 ? us / (2 * rounds) : 0);
  return 0;
}
