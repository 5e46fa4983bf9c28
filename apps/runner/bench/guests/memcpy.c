/* Copies argv[1] MiB (default 1024) with glibc's memcpy in 64 KiB blocks,
 * cycling through 1 MiB of source and destination (so the copy runs from the
 * caches, where the choice of AVX/AVX2/AVX-512 code shows), and prints the
 * milliseconds it took (CLOCK_MONOTONIC, served by tsv's vDSO). glibc picks
 * its memcpy from CPUID at start-up: a sandbox that hid AVX would get the
 * SSE2 copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK (64 << 10)
#define SPAN (1 << 20)

int main(int argc, char **argv) {
  long blocks = (argc > 1 ? atol(argv[1]) : 1024) * ((1 << 20) / BLOCK);
  char *src = malloc(SPAN), *dst = malloc(SPAN);
  memset(src, 1, SPAN);
  memset(dst, 2, SPAN);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < blocks; i++) {
    long at = (i * BLOCK) % SPAN;
    memcpy(dst + at, src + at, BLOCK);
    __asm__ volatile("" ::"r"(dst) : "memory");
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  if (dst[SPAN - 1] != 1) return 1;
  printf("%.3f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
  return 0;
}
