/*
 * tcp_rr N: a 1-byte request and 1-byte response over TCP on 127.0.0.1
 * between two processes (a forked echo server), N times with TCP_NODELAY;
 * prints the microseconds per round trip.
 */
#include "loopback.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000;
  struct sockaddr_in a;
  int ls = listen_loopback(&a);
  if (ls < 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    int s = accept(ls, NULL, NULL);
    char b;
    while (read(s, &b, 1) == 1) write(s, &b, 1);
    _exit(0);
  }
  int c = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) return 2;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; i++) {
    char b = (char)i;
    if (write(c, &b, 1) != 1 || read(c, &b, 1) != 1) return 3;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  close(c);
  waitpid(pid, NULL, 0);
  double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3;
  printf("%.2f\n", n > 0 ? us / n : 0);
  return 0;
}
