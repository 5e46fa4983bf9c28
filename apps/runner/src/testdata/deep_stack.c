/* Prints its RLIMIT_STACK soft limit in KiB ("unlimited"), then recurses argv[1] KiB deep and exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
static volatile int sink;
static int deep(long kib) {
  volatile char frame[4096];
  frame[0] = (char)kib;
  return kib <= 4 ? frame[0] : deep(kib - 4) + frame[0];
}
int main(int argc, char **argv) {
  struct rlimit rl;
  getrlimit(RLIMIT_STACK, &rl);
  if (rl.rlim_cur == RLIM_INFINITY) printf("unlimited\n");
  else printf("%lu\n", (unsigned long)rl.rlim_cur >> 10);
  fflush(stdout);
  sink = deep(argc > 1 ? atol(argv[1]) : 0);
  return 0;
}
