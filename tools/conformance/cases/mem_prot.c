/* mprotect, mremap, madvise(MADV_DONTNEED), msync. */
#include "t.h"
#include <sys/mman.h>

#define PG 4096L

int main(void) {
  char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 'a', 4 * PG);
  T("mprotect read-only", mprotect(p + PG, PG, PROT_READ));
  printf("write to read-only: %s\n", t_signame(t_probe(t_write_byte, p + PG)));
  printf("read read-only: %s, value kept: %c\n", t_signame(t_probe(t_read_byte, p + PG)), p[PG]);
  printf("write neighbour: %s\n", t_signame(t_probe(t_write_byte, p + 2 * PG)));
  T("mprotect none", mprotect(p, PG, PROT_NONE));
  printf("read PROT_NONE: %s\n", t_signame(t_probe(t_read_byte, p)));
  T("mprotect back", mprotect(p, 2 * PG, PROT_READ | PROT_WRITE));
  printf("write restored: %s, contents kept: %c\n", t_signame(t_probe(t_write_byte, p + PG)), p[10]);
  T("mprotect unaligned", mprotect(p + 1, PG, PROT_READ));
  T("mprotect unknown prot", mprotect(p, PG, 0x100));
  T("mprotect length 0", mprotect(p, 0, PROT_READ));
  munmap(p + 3 * PG, PG);
  T("mprotect over hole", mprotect(p, 4 * PG, PROT_READ | PROT_WRITE));

  char *r = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(r, "remap me");
  r[2 * PG - 1] = 'E';
  char *r2 = mremap(r, 2 * PG, 64 * PG, MREMAP_MAYMOVE);
  REL("mremap grow ok", r2 != MAP_FAILED);
  printf("contents kept: %s %c\n", r2, r2[2 * PG - 1]);
  REL("grown tail zero", r2[63 * PG] == 0);
  char *r3 = mremap(r2, 64 * PG, PG, 0);
  REL("mremap shrink in place", r3 == r2);
  printf("after shrink: %s\n", t_signame(t_probe(t_read_byte, r2 + 2 * PG)));
  TOK("mremap grow without MAYMOVE over busy", (munmap(r2 + PG, PG),
        mmap(r2 + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
        mremap(r2, PG, 2 * PG, 0)));
  TOK("mremap bad flags", mremap(r2, PG, PG, 0x80));
  TOK("mremap unaligned", mremap(r2 + 1, PG, PG, 0));
  TOK("mremap new size 0", mremap(r2, PG, 0, MREMAP_MAYMOVE));
  TOK("mremap FIXED without MAYMOVE", mremap(r2, PG, PG, MREMAP_FIXED, r2 + 8 * PG));
  TOK("mremap unmapped", mremap(p + 3 * PG, PG, 2 * PG, MREMAP_MAYMOVE));

  char *d = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(d, 'x', 4 * PG);
  T("madvise DONTNEED", madvise(d + PG, 2 * PG, MADV_DONTNEED));
  printf("after DONTNEED: %d %d %d %c\n", d[0], d[PG], d[3 * PG - 1], d[3 * PG]);
  T("madvise bad advice", madvise(d, PG, 12345));
  T("madvise unaligned", madvise(d + 1, PG, MADV_DONTNEED));
  T("madvise WILLNEED", madvise(d, PG, MADV_WILLNEED));
  T("madvise NORMAL", madvise(d, PG, MADV_NORMAL));

  char *s = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  s[0] = 1;
  char *sd = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  sd[0] = 'k';
  T("madvise DONTNEED shared keeps data", madvise(sd, PG, MADV_DONTNEED));
  printf("shared after DONTNEED: %c\n", sd[0]);
  T("msync sync", msync(s, 2 * PG, MS_SYNC));
  T("msync async", msync(s, PG, MS_ASYNC));
  T("msync both flags", msync(s, PG, MS_SYNC | MS_ASYNC));
  T("msync unaligned", msync(s + 1, PG, MS_SYNC));
  T("msync bad flag", msync(s, PG, 0x100));
  munmap(s, 2 * PG);
  T("msync unmapped", msync(s, PG, MS_SYNC));
  return 0;
}
