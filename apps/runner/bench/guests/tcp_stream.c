/*
 * tcp_stream MIB: a forked child writes MIB MiB in 64 KiB writes over TCP
 * on 127.0.0.1 and the parent reads them all; prints megabits per second
 * from the parent's first read to the last.
 */
#include "loopback.h"
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char buf[65536];

int main(int argc, char **argv) {
  long total = (argc > 1 ? atol(argv[1]) : 256) << 20;
  struct sockaddr_in a;
  int ls = listen_loopback(&a);
  if (ls < 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) _exit(2);
    for (long sent = 0; sent < total;) {
      long w = write(c, buf, sizeof buf < (unsigned long)(total - sent) ? sizeof buf : total - sent);
      if (w <= 0) _exit(3);
      sent += w;
    }
    _exit(0);
  }
  int s = accept(ls, NULL, NULL);
  struct timespec t0, t1;
  long got = read(s, buf, sizeof buf);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long r; got < total && (r = read(s, buf, sizeof buf)) > 0;) got += r;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  waitpid(pid, NULL, 0);
  if (got != total) return 4;
  double sec = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%.1f\n", sec > 0 ? got * 8 / sec / 1e6 : 0);
  return 0;
}
