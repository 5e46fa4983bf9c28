/* Writes one byte to every 4 KiB page of a fresh argv[1]-MiB allocation and
 * prints the milliseconds it took (CLOCK_MONOTONIC, served by tsv's vDSO):
 * the cost of memory a program touches for the first time. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  long n = (argc > 1 ? atol(argv[1]) : 64) << 20;
  volatile char *p = malloc(n);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i += 4096) p[i] = 1;
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.3f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
  return 0;
}
