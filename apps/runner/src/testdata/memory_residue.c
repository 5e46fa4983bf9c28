// "fill": leaves a pattern in 16 MiB of heap and in its stack, then exits.
// "scan": maps 32 MiB and reports any byte that is not zero, and grows its
// stack and looks for the pattern there (the rest of its own startup may be
// left on the stack) -- memory a process is given never holds another's bytes.
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define FILL (16 << 20)
#define SCAN (32 << 20)

static int stack_scan(int depth) {
  volatile unsigned char page[4096];
  int run = 0;
  for (int i = 0; i < 4096; i++) {
    run = page[i] == 0xa5 ? run + 1 : 0;
    if (run == 64) return 1;
  }
  return depth > 0 ? stack_scan(depth - 1) : 0;
}

static void stack_fill(int depth) {
  volatile unsigned char page[4096];
  memset((void *)page, 0xa5, sizeof page);
  if (depth > 0) stack_fill(depth - 1);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "fill") == 0) {
    unsigned char *p = mmap(0, FILL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 2;
    memset(p, 0xa5, FILL);
    stack_fill(32);
    printf("filled\n");
    return 0;
  }
  unsigned char *p = mmap(0, SCAN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) return 2;
  size_t dirty = 0;
  for (size_t i = 0; i < SCAN; i++) dirty += p[i] != 0;
  printf("heap bytes not zero: %zu, stack: %s\n", dirty, stack_scan(32) ? "dirty" : "clean");
  return 0;
}
