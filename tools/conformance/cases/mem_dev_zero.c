/* Mapping /dev/zero: anonymous memory, private or shared, with Linux's
   access checks on the descriptor. */
#include "t.h"
#include <fcntl.h>
#include <sys/mman.h>

int main(void) {
  int ro = open("/dev/zero", O_RDONLY), rw = open("/dev/zero", O_RDWR);
  char *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
  TOK("private, read-only fd", p == MAP_FAILED ? -1 : 0);
  printf("reads %d; ", p[4097]);
  p[4097] = 9;
  printf("after a store: %d\n", p[4097]);
  char again[2];
  T("the device still reads zeros", read(ro, again, 2));
  printf("  %d %d\n", again[0], again[1]);
  errno = 0;
  void *q = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
  printf("shared writable, read-only fd: %s\n", q == MAP_FAILED ? ename(errno) : "mapped");
  q = mmap(0, 4096, PROT_READ, MAP_SHARED, ro, 0);
  TOK("shared read-only, read-only fd", q == MAP_FAILED ? -1 : 0);
  char *s = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
  TOK("shared writable, read-write fd", s == MAP_FAILED ? -1 : 0);
  s[10] = 5;
  printf("shared reads back: %d\n", s[10]);
  errno = 0;
  q = mmap(0, 4096, PROT_READ, MAP_PRIVATE, rw, 100);
  printf("unaligned offset: %s\n", q == MAP_FAILED ? ename(errno) : "mapped");
  int wo = open("/dev/zero", O_WRONLY);
  errno = 0;
  q = mmap(0, 4096, PROT_READ, MAP_PRIVATE, wo, 0);
  printf("write-only fd: %s\n", q == MAP_FAILED ? ename(errno) : "mapped");
  return 0;
}
