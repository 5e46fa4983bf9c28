/* Computes for argv[1] milliseconds (CLOCK_MONOTONIC), touches argv[2] MiB of memory, exits 0. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
int main(int argc, char **argv) {
  double ms = argc > 1 ? atof(argv[1]) : 1000;
  size_t mib = argc > 2 ? strtoul(argv[2], 0, 10) : 0;
  char *volatile mem = mib > 0 ? malloc(mib << 20) : 0;
  if (mem) memset(mem, 1, mib << 20);
  volatile unsigned long x = 0;
  for (double end = now_ms() + ms; now_ms() < end;)
    for (int i = 0; i < 100000; i++) x++;
  return mem ? mem[(mib << 20) - 1] - 1 : 0; /* the memory is used: the compiler keeps the memset */
}
