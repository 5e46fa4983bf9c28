/*
 * MAP_SHARED file mappings: stores reach the file (msync, munmap, fsync,
 * after close), mappings of one file see each other and read()/write(),
 * the file never grows through a mapping, pages past the end are SIGBUS
 * (also after ftruncate), access checks and msync's errnos.
 */
#include "t.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PG 4096L
#define SIZE (2 * PG + 100)

static long fsize(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_size : -1;
}

/* Creates `name` with SIZE bytes of 'a'..'z' repeating from each page start. */
static void make(const char *name) {
  int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
  char b[PG];
  for (long i = 0; i < PG; i++) b[i] = 'a' + i % 26;
  for (long o = 0; o < SIZE; o += PG) {
    long n = SIZE - o < PG ? SIZE - o : PG;
    if (write(fd, b, n) != n) exit(91);
  }
  close(fd);
}

static int file_has(int fd, long off, const char *s) {
  char b[64];
  ssize_t n = (ssize_t)strlen(s);
  return pread(fd, b, n, off) == n && memcmp(b, s, n) == 0;
}

int main(void) {
  make("data");
  int fd = open("data", O_RDWR);
  char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  REL("map ok", m != MAP_FAILED);
  REL("maps the file", m[0] == 'a' && m[PG + 1] == 'b' && m[2 * PG + 99] == 'a' + 99 % 26);

  memcpy(m + 10, "hello", 5);
  T("msync MS_SYNC", msync(m, 3 * PG, MS_SYNC));
  REL("MS_SYNC reached the file", file_has(fd, 10, "hello"));
  memcpy(m + PG + 20, "async", 5);
  T("msync MS_ASYNC", msync(m, 3 * PG, MS_ASYNC));
  REL("MS_ASYNC reached the file", file_has(fd, PG + 20, "async"));
  memcpy(m + 2 * PG + 30, "nosync", 6);
  REL("read() sees a store before msync", file_has(fd, 2 * PG + 30, "nosync"));

  T("pwrite", pwrite(fd, "PW", 2, 30));
  REL("mapping sees pwrite", m[30] == 'P' && m[31] == 'W');
  T("lseek", lseek(fd, PG + 40, SEEK_SET));
  T("write", write(fd, "WR", 2));
  REL("mapping sees write", m[PG + 40] == 'W' && m[PG + 41] == 'R');

  char *m2 = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
  int fd2 = open("data", O_RDWR);
  char *m3 = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
  REL("more maps ok", m2 != MAP_FAILED && m3 != MAP_FAILED);
  m[PG + 50] = 'X';
  REL("same fd mapping sees store", m2[50] == 'X');
  REL("other open's mapping sees store", m3[PG + 50] == 'X');
  m3[PG + 51] = 'Y';
  REL("stores through another open seen", m[PG + 51] == 'Y' && m2[51] == 'Y');
  T("munmap other", munmap(m3, 3 * PG));
  T("close other", close(fd2));
  REL("its store reached the file", file_has(fd, PG + 50, "XY"));

  /* Past the end, inside the last page: kept in memory, never written. */
  memcpy(m + SIZE, "BEYOND", 6);
  T("msync beyond end", msync(m, 3 * PG, MS_SYNC));
  T("size unchanged", fsize(fd));
  char c;
  T("nothing to read past the end", pread(fd, &c, 1, SIZE));
  char *m4 = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("read page past the end: %s\n", t_signame(t_probe(t_read_byte, m4 + 3 * PG)));
  printf("write page past the end: %s\n", t_signame(t_probe(t_write_byte, m4 + 3 * PG)));

  int fd5 = open("data", O_RDWR);
  char *m5 = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd5, 0);
  T("close before storing", close(fd5));
  memcpy(m5 + 60, "closed", 6);
  T("munmap after close", munmap(m5, PG));
  REL("store after close reached the file", file_has(fd, 60, "closed"));

  memcpy(m + 80, "fsynced", 7);
  T("fsync", fsync(fd));
  REL("fsync reached the file", file_has(fd, 80, "fsynced"));

  char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  REL("private map sees shared stores", p != MAP_FAILED && memcmp(p + 80, "fsynced", 7) == 0);
  memcpy(p + 90, "private", 7);
  REL("shared map does not see private store", memcmp(m + 90, "private", 7) != 0);
  T("munmap private", munmap(p, PG));
  REL("private store stays private", !file_has(fd, 90, "private"));

  int rfd = open("data", O_RDONLY);
  TOK("shared write map of O_RDONLY", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0));
  char *r = mmap(NULL, PG, PROT_READ, MAP_SHARED, rfd, 0);
  REL("shared read map of O_RDONLY", r != MAP_FAILED && memcmp(r + 80, "fsynced", 7) == 0);
  T("mprotect it writable", mprotect(r, PG, PROT_READ | PROT_WRITE));
  TOK("private write map of O_RDONLY", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, rfd, 0));
  int wfd = open("data", O_WRONLY);
  TOK("shared map of O_WRONLY", mmap(NULL, PG, PROT_READ, MAP_SHARED, wfd, 0));

  T("msync both sync flags", msync(m, PG, MS_ASYNC | MS_SYNC));
  T("msync unknown flag", msync(m, PG, 8));
  T("msync unaligned", msync(m + 1, PG, MS_SYNC));
  T("msync length 0", msync(m, 0, MS_SYNC));
  T("msync MS_INVALIDATE", msync(m, PG, MS_INVALIDATE));
  char *h = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  T("msync anonymous", msync(h, 3 * PG, MS_SYNC));
  T("munmap middle", munmap(h + PG, PG));
  T("msync over a hole", msync(h, 3 * PG, MS_SYNC));
  T("msync MS_ASYNC over a hole", msync(h, 3 * PG, MS_ASYNC));
  T("msync unmapped", msync(h + PG, PG, MS_SYNC));
  T("msync kernel address", SC(SYS_msync, 0xffff800000000000UL, PG, MS_SYNC));
  T("msync huge length", SC(SYS_msync, (long)m, -PG, MS_SYNC));

  int afd = open("data", O_WRONLY | O_APPEND);
  T("append", write(afd, "APP", 3));
  REL("mapping sees append", memcmp(m + SIZE, "APP", 3) == 0);
  T("size after append", fsize(fd));

  T("ftruncate shorter", ftruncate(fd, PG + 5));
  printf("read truncated page: %s\n", t_signame(t_probe(t_read_byte, m4 + 2 * PG)));
  REL("last page tail zeroed", m4[PG + 4] == 'a' + 4 && m4[PG + 5] == 0 && m4[PG + 100] == 0);
  T("ftruncate longer", ftruncate(fd, 2 * PG + 1));
  REL("regrown page reads zeros", m4[2 * PG] == 0 && m4[2 * PG + 30] == 0);
  m4[2 * PG] = 'N';
  T("munmap all", munmap(m4, 4 * PG) | munmap(m, 3 * PG) | munmap(m2, 2 * PG));
  REL("store into regrown page reached the file", file_has(fd, 2 * PG, "N"));
  T("final size", fsize(fd));
  REL("first page", file_has(fd, 0, "abcdefghijhello"));
  return 0;
}
