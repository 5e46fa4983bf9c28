/* Two threads hand a turn back and forth through a pair of futex words: each
 * sets the other's word and wakes it, then sleeps on its own until woken.
 * argv[1] round trips (two switches each) are timed, after a few untimed
 * ones that take thread creation out of the figure. Prints microseconds
 * per switch (CLOCK_MONOTONIC: served by tsv's vDSO without an exit). */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WARM 10

static atomic_int word[2]; /* word[i] = 1: thread i has the turn */
static long rounds;
static struct timespec start, end;

static void futex(atomic_int *w, int op, int val) { syscall(SYS_futex, w, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0); }

static void play(int self) {
  for (long i = 0; i < WARM + rounds + 1; i++) {
    while (atomic_load(&word[self]) == 0) futex(&word[self], FUTEX_WAIT, 0);
    /* Thread 0 holds the turn here once per round trip. */
    if (self == 0 && i == WARM) clock_gettime(CLOCK_MONOTONIC, &start);
    if (self == 0 && i == WARM + rounds) clock_gettime(CLOCK_MONOTONIC, &end);
    atomic_store(&word[self], 0);
    atomic_store(&word[!self], 1);
    futex(&word[!self], FUTEX_WAKE, 1);
  }
}

static void *second(void *arg) {
  (void)arg;
  play(1);
  return NULL;
}

int main(int argc, char **argv) {
  rounds = argc > 1 ? atol(argv[1]) : 1000;
  pthread_t t;
  atomic_store(&word[0], 1);
  if (pthread_create(&t, NULL, second, NULL) != 0) return 1;
  play(0);
  pthread_join(t, NULL);
  double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
  printf("%.2f\n", ns / 1e3 / (2.0 * rounds));
  return 0;
}
