/* Changing one 4 KiB page inside memory the kernel may back with a 2 MiB
   page: each change must take effect at once, for that page only (a
   regression for shadow-paging hosts, where the old 2 MiB translation
   outlived a split). */
#define _GNU_SOURCE
#include "t.h"
#include <stdint.h>
#include <sys/mman.h>

#define HUGE (2UL << 20)

/* A fresh 2 MiB-aligned block of anonymous memory, every page written. */
static char *block(void) {
  char *m = mmap(0, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *b = (char *)(((uintptr_t)m + HUGE - 1) & ~(HUGE - 1));
  for (unsigned long i = 0; i < HUGE; i += 4096) b[i] = 'A';
  return b;
}

int main(void) {
  char *b = block();
  T("mprotect one page read-only", mprotect(b + 0x5000, 4096, PROT_READ));
  printf("write it: %s\n", t_signame(t_probe(t_write_byte, b + 0x5000)));
  printf("write its neighbour: %s\n", t_signame(t_probe(t_write_byte, b + 0x6000)));
  T("mprotect one page PROT_NONE", mprotect(b + 0x9000, 4096, PROT_NONE));
  printf("read it: %s\n", t_signame(t_probe(t_read_byte, b + 0x9000)));

  b = block();
  T("munmap one page", munmap(b + 0x3000, 4096));
  printf("read it: %s\n", t_signame(t_probe(t_read_byte, b + 0x3000)));
  printf("read the page after: %c\n", b[0x4000]);

  b = block();
  T("MADV_DONTNEED one page", madvise(b + 0x7000, 4096, MADV_DONTNEED));
  printf("it reads: %d, the page after: %c\n", b[0x7000], b[0x8000]);
  char *f = mmap(b + 0xa000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  REL("MAP_FIXED over one page", f == b + 0xa000);
  printf("it reads: %d; write it: %s\n", f[0], t_signame(t_probe(t_write_byte, f)));

  b = block();
  b[0xc000] = 'M';
  char *to = mremap(b + 0xc000, 4096, 8192, MREMAP_MAYMOVE); /* the next page is mapped: it must move */
  REL("mremap one page out", to != MAP_FAILED && to != b + 0xc000);
  printf("new place reads: %c; old place: %s\n", to[0], t_signame(t_probe(t_read_byte, b + 0xc000)));
  return 0;
}
