/*
 * memfd write seals and shared mappings, as Linux counts them (its
 * i_mmap_writable and VM_MAYWRITE): a shared mapping made through a
 * writable description may write the file whatever its protection, so
 * F_SEAL_WRITE is EBUSY while one exists in any process (mprotect to
 * read-only does not change that), and a mapping made through a read-only
 * description or after a write seal may never write: mprotect(PROT_WRITE)
 * of it is EACCES and it does not stop F_SEAL_WRITE. A mapping made
 * before F_SEAL_FUTURE_WRITE keeps its right to write.
 */
#include "tproc.h"
#include <fcntl.h>
#include <sys/mman.h>

#define PAGE 4096

static int sealable(void) {
  int m = memfd_create("seals", MFD_ALLOW_SEALING);
  if (m < 0 || ftruncate(m, PAGE) != 0 || pwrite(m, "data", 4, 0) != 4) t_value("setup", -1, errno);
  return m;
}

static char *map(int fd, int prot) {
  return mmap(NULL, PAGE, prot, MAP_SHARED, fd, 0);
}

int main(void) {
  t_unbuffered();

  /* After F_SEAL_WRITE: read-only shared maps, never writable ones. */
  int m = sealable();
  T("F_SEAL_WRITE", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  T("mmap shared writable", (long)map(m, PROT_READ | PROT_WRITE));
  char *ro = map(m, PROT_READ);
  REL("mmap shared read-only", ro != MAP_FAILED);
  T("mprotect it writable", mprotect(ro, PAGE, PROT_READ | PROT_WRITE));
  T("mprotect it read+exec", mprotect(ro, PAGE, PROT_READ | PROT_EXEC));
  printf("still reads %.4s\n", ro);
  char *priv = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, m, 0);
  REL("mmap private", priv != MAP_FAILED);
  T("mprotect private writable", mprotect(priv, PAGE, PROT_READ | PROT_WRITE));
  priv[0] = 'D';
  printf("private copy %.4s, file %.4s\n", priv, ro);
  munmap(priv, PAGE);
  munmap(ro, PAGE);
  close(m);

  /* A writable shared mapping, even made read-only, stops F_SEAL_WRITE. */
  m = sealable();
  char *rw = map(m, PROT_READ | PROT_WRITE);
  REL("mmap shared writable", rw != MAP_FAILED);
  T("F_SEAL_WRITE while mapped writable", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  T("mprotect read-only", mprotect(rw, PAGE, PROT_READ));
  T("F_SEAL_WRITE while mapped read-only through a writable fd", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  T("mprotect writable again", mprotect(rw, PAGE, PROT_READ | PROT_WRITE));
  /* So does a forked child's copy of it, until the child is gone. */
  int go[2], ready[2];
  if (pipe(go) != 0 || pipe(ready) != 0) return 1;
  pid_t c = t_fork();
  if (c == 0) {
    char b;
    close(go[1]);
    write(ready[1], "r", 1);
    read(go[0], &b, 1);
    _exit(rw[0] == 'd' ? 0 : 1);
  }
  char b;
  read(ready[0], &b, 1);
  munmap(rw, PAGE);
  T("F_SEAL_WRITE while the child maps it", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  close(go[1]);
  t_reap("child", c);
  T("F_SEAL_WRITE once no one does", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  close(m);

  /* A shared mapping through a read-only description never writes. */
  m = sealable();
  int rdonly = t_reopen(m, O_RDONLY);
  ro = map(rdonly, PROT_READ);
  REL("mmap shared through O_RDONLY", ro != MAP_FAILED);
  T("mprotect it writable", mprotect(ro, PAGE, PROT_READ | PROT_WRITE));
  T("F_SEAL_WRITE with it mapped", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  munmap(ro, PAGE);
  close(rdonly);
  close(m);

  /* F_SEAL_FUTURE_WRITE: mappings made before keep their right to write. */
  m = sealable();
  char *before = map(m, PROT_READ);
  REL("read-only map before", before != MAP_FAILED);
  T("F_SEAL_FUTURE_WRITE", fcntl(m, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  char *after = map(m, PROT_READ);
  REL("read-only map after", after != MAP_FAILED);
  T("mprotect the one after writable", mprotect(after, PAGE, PROT_READ | PROT_WRITE));
  T("mprotect the one before writable", mprotect(before, PAGE, PROT_READ | PROT_WRITE));
  before[1] = 'A';
  printf("written through the old mapping: %.4s\n", after);
  T("F_SEAL_WRITE with the old mapping", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  munmap(before, PAGE);
  T("F_SEAL_WRITE with only the new one", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  T("seals", fcntl(m, F_GET_SEALS));
  munmap(after, PAGE);
  close(m);
  return 0;
}
