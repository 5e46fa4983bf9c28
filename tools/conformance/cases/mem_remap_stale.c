/* Replacing or removing a mapping whose page tables served only it: the
   program must see the new (zeroed) page, never the old one, at every level
   of the page-table tree (a regression for shadow-paging hosts, where KVM
   keeps copies of freed tables). */
#include "t.h"
#include <sys/mman.h>

static char *map_at(unsigned long addr) {
  return mmap((void *)addr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

int main(void) {
  /* Alone in a 2 MiB, a 1 GiB and a 512 GiB region: a table, a directory and a pointer table of its own. */
  static const unsigned long at[] = { 0x7e0000200000UL, 0x7c0040000000UL, 0x100000000000UL };
  for (int i = 0; i < 3; i++) {
    char *p = map_at(at[i]);
    strcpy(p, "OLD");
    char *q = map_at(at[i]); /* MAP_FIXED over it */
    printf("level %d: after MAP_FIXED: '%s'\n", i, q);
    strcpy(q, "OLD");
    munmap(q, 4096);
    q = map_at(at[i]);
    printf("level %d: after munmap+mmap: '%s'\n", i, q);
    munmap(q, 4096);
    printf("level %d: read after munmap: %s\n", i, t_signame(t_probe(t_read_byte, q)));
  }
  /* Churn: tables freed and built again many times, in fresh regions. */
  int stale = 0;
  for (unsigned long i = 0; i < 3000; i++) {
    char *p = map_at(0x200000000000UL + (i % 512) * (1UL << 30) + (i % 7) * 4096);
    if (p[0] != 0) stale++;
    p[0] = 1;
    munmap(p, 4096);
  }
  printf("churn: stale pages seen: %d\n", stale);
  return 0;
}
