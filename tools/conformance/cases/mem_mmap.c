/* mmap anonymous private/shared, hints, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_POPULATE, munmap. */
#include "t.h"
#include <fcntl.h>
#include <sys/mman.h>

#define PG 4096L

static int all_zero(const char *p, long n) {
  for (long i = 0; i < n; i++) if (p[i]) return 0;
  return 1;
}

int main(void) {
  char *p = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REL("private anon ok", p != MAP_FAILED);
  REL("page aligned", ((long)p & (PG - 1)) == 0);
  REL("zero filled", all_zero(p, 8 * PG));
  memset(p, 0xab, 8 * PG);
  REL("writable", (unsigned char)p[8 * PG - 1] == 0xab);

  char *s = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REL("shared anon ok", s != MAP_FAILED);
  REL("shared zero filled", all_zero(s, 3 * PG));
  strcpy(s + PG, "shared");
  REL("shared writable", strcmp(s + PG, "shared") == 0);

  /* Map 100 bytes over the first page of a PROT_NONE pair: only one page may become accessible. */
  char *pair = mmap(NULL, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *odd = mmap(pair, 100, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  REL("unaligned length rounds up", odd != MAP_FAILED && (odd[PG - 1] = 1) == 1);
  printf("past rounded length: %s\n", t_signame(t_probe(t_read_byte, odd + PG)));

  /* Reserve a region, free it, and use its address as a hint. */
  char *hole = mmap(NULL, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(hole, 16 * PG);
  char *h = mmap(hole + 4 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REL("free hint honoured", h == hole + 4 * PG);
  char *h2 = mmap(h, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REL("busy hint moved elsewhere", h2 != MAP_FAILED && h2 != h);
  char *u = mmap(hole + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REL("unaligned hint still maps", u != MAP_FAILED && ((long)u & (PG - 1)) == 0);

  char *f = mmap(p + 2 * PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  REL("MAP_FIXED placed exactly", f == p + 2 * PG);
  REL("MAP_FIXED replaced contents", all_zero(p + 2 * PG, 2 * PG));
  REL("neighbours untouched", (unsigned char)p[2 * PG - 1] == 0xab && (unsigned char)p[4 * PG] == 0xab);
  TOK("MAP_FIXED unaligned", mmap(p + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  TOK("MAP_FIXED_NOREPLACE busy", mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
  TOK("MAP_FIXED_NOREPLACE partly busy", mmap(p - PG, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
  char *nr = mmap(hole + 8 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  REL("MAP_FIXED_NOREPLACE free", nr == hole + 8 * PG);

  char *pop = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  REL("MAP_POPULATE ok", pop != MAP_FAILED && all_zero(pop, 64 * PG));

  T("munmap middle", munmap(p + 3 * PG, PG));
  printf("read unmapped middle: %s\n", t_signame(t_probe(t_read_byte, p + 3 * PG)));
  printf("read after hole: %s\n", t_signame(t_probe(t_read_byte, p + 4 * PG)));
  T("munmap already unmapped", munmap(p + 3 * PG, PG));
  T("munmap unaligned", munmap(p + 1, PG));
  T("munmap length 0", munmap(p, 0));
  T("munmap all", munmap(p, 8 * PG));
  printf("read unmapped: %s\n", t_signame(t_probe(t_read_byte, p)));

  TOK("length 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  TOK("neither private nor shared", mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0));
  TOK("both private and shared", mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  TOK("file mapping bad fd", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 99, 0));
  TOK("anon unaligned offset", mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1));
  TOK("huge length", mmap(NULL, 1UL << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  TOK("length wraps", mmap(NULL, (size_t)-PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  TOK("MAP_SHARED_VALIDATE unknown flag", mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x800000, -1, 0));
  TOK("unknown prot bit", mmap(NULL, PG, 0x100, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));

  t_put("file", "file contents here");
  int fd = open("file", O_RDONLY);
  char *fm = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
  REL("file map ok", fm != MAP_FAILED);
  printf("file map data: %.18s, tail zero: %s\n", fm, fm[18] == 0 && fm[PG - 1] == 0 ? "yes" : "no");
  TOK("shared write map of read-only fd", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  TOK("private write map of read-only fd", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
  return 0;
}
