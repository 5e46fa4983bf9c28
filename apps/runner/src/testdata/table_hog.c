/* Aliases one shared page into a fresh 1 GiB region again and again: every
   alias costs the kernel two page tables and charges nothing else. The
   sandbox must kill it as out of memory, never fail itself. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

int main(void) {
  char *page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 1;
  page[0] = 1;
  puts("started");
  fflush(stdout);
  for (unsigned long i = 0; i < 100000; i++) {
    char *at = (char *)(0x100000000000UL + (i << 30));
    char *q = mremap(page, 0, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, at);
    if (q == MAP_FAILED) return 2;
    (void)*(volatile char *)q;
  }
  puts("not killed");
  return 0;
}
