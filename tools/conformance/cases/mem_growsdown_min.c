/* A MAP_GROWSDOWN mapping grows by faults below it, but never below
   mmap_min_addr (64 KiB here and under tsv): the access that would take
   it there is SIGSEGV. A regression: stack growth skipped the minimum
   that mmap enforces and gave the program a page at 0x6000. */
#define _GNU_SOURCE
#include "t.h"
#include <sys/mman.h>

#define PAGE 4096UL
#define MIN_ADDR 0x10000UL

int main(void) {
  char *g = mmap((void *)(MIN_ADDR + 4 * PAGE), PAGE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN, -1, 0);
  REL("grows-down mapping 4 pages above the minimum", g == (char *)(MIN_ADDR + 4 * PAGE));
  printf("grow one page: %s\n", t_signame(t_probe(t_write_byte, g - PAGE)));
  printf("grow to the minimum: %s\n", t_signame(t_probe(t_write_byte, (void *)MIN_ADDR)));
  printf("the minimum reads what was stored: %d\n", *(volatile char *)MIN_ADDR);
  printf("grow below the minimum: %s\n", t_signame(t_probe(t_write_byte, (void *)(MIN_ADDR - PAGE))));
  printf("far below it: %s\n", t_signame(t_probe(t_read_byte, (void *)0x6000)));
  TOK("mapping still there", munmap((void *)MIN_ADDR, 5 * PAGE));
  return 0;
}
