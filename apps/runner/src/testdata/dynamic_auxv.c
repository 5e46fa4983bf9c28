/* A dynamically linked program checks what the kernel told its loader. */
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

extern char _start[];

static int count_objects(struct dl_phdr_info *info, size_t size, void *data) {
  (void)info; (void)size;
  ++*(int *)data;
  return 0;
}

int main(int argc, char **argv) {
  unsigned long base = getauxval(AT_BASE), entry = getauxval(AT_ENTRY), phdr = getauxval(AT_PHDR);
  printf("AT_BASE set: %s\n", base != 0 ? "yes" : "no");
  printf("AT_ENTRY is _start: %s\n", entry == (unsigned long)_start ? "yes" : "no");
  const ElfW(Phdr) *ph = (const ElfW(Phdr) *)phdr;
  printf("AT_PHDR has PT_PHDR first: %s\n", ph[0].p_type == PT_PHDR ? "yes" : "no");
  printf("interpreter below the stack, above the program: %s\n", base > entry && base < (unsigned long)&argc ? "yes" : "no");
  int objects = 0;
  dl_iterate_phdr(count_objects, &objects);
  printf("loaded objects >= 3: %s\n", objects >= 3 ? "yes" : "no");
  printf("argv[1]=%s strlen=%zu\n", argc > 1 ? argv[1] : "-", strlen(argc > 1 ? argv[1] : ""));
  return 7;
}
