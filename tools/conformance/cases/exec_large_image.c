/* A program whose own file is larger than what exec makes resident up front
 * (tsv reads 16 MiB of a segment in at exec): its read-only data further in
 * is paged in from the program's file after execve has returned, so the file
 * stays open as long as the image maps it, as on Linux. Regression: tsv
 * closed it, and those pages were SIGBUS (gcc's 33 MB cc1 died of it). */
#include "t.h"

#define BIG (24 << 20)
static const unsigned char big[BIG] = {[0] = 1, [BIG / 2] = 2, [BIG - 1] = 3};

int main(void) {
  const volatile unsigned char *p = big;
  printf("first %d middle %d last %d\n", p[0], p[BIG / 2], p[BIG - 1]);
  unsigned long sum = 0;
  for (size_t i = 0; i < BIG; i += 4096) sum += p[i];
  printf("page sum %lu\n", sum);
  return 0;
}
