/* A file mapping outlives its descriptor: pages first touched after close(2)
   still come from the file, private stores stay private, and unmapping lets
   the file go. The file is larger than what a mapping reads in at mmap time. */
#include "t.h"
#include <fcntl.h>
#include <sys/mman.h>

#define SIZE (40L << 20)

static unsigned long sum_pages(const unsigned char *p, long size) {
  unsigned long s = 0;
  for (long i = 0; i < size; i += 4096) s = s * 31 + p[i] + p[i + 4095];
  return s;
}

int main(void) {
  int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
  static unsigned char block[1 << 16];
  for (long off = 0; off < SIZE; off += sizeof block) {
    for (unsigned i = 0; i < sizeof block; i += 4096) { block[i] = (unsigned char)(off >> 16); block[i + 4095] = (unsigned char)(i >> 12); }
    if (write(fd, block, sizeof block) != (long)sizeof block) return 90;
  }
  unsigned char *p = mmap(0, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  unsigned char *s = mmap(0, SIZE, PROT_READ, MAP_SHARED, fd, 0);
  TOK("mmap private", p == MAP_FAILED ? -1 : 0);
  TOK("mmap shared", s == MAP_FAILED ? -1 : 0);
  T("close", close(fd));
  unsigned long a = sum_pages(p, SIZE), b = sum_pages(s, SIZE);
  REL("private pages after close match the file", a == b);
  printf("last page: %d %d\n", p[SIZE - 4096], p[SIZE - 1]);
  p[SIZE - 4096] = 0xee;
  REL("private store stays private", s[SIZE - 4096] != 0xee);
  T("munmap private", munmap(p, SIZE));
  T("munmap shared", munmap(s, SIZE));
  fd = open("data", O_RDONLY);
  T("reopened fd is the lowest free", fd);
  unsigned char c;
  T("pread last page", pread(fd, &c, 1, SIZE - 4096));
  printf("file byte: %d\n", c);
  T("unlink", unlink("data"));
  return 0;
}
