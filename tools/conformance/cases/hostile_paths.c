/* Hostile pointers and strings for path and I/O syscalls: every call must fail
 * with Linux's errno, never crash the kernel or the process. */
#include "t.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define PG 4096L
#define WILD ((void *)0x10)
#define KERNEL ((void *)0xffffffff81000000UL)
#define NONCANON ((void *)0x0000800000000000UL)

int main(void) {
  struct stat st;
  char buf[64];
  t_put("f", "data");
  int fd = SC(SYS_open, "f", O_RDWR);

  T("open NULL path", SC(SYS_open, NULL, O_RDONLY));
  T("open wild path", SC(SYS_open, WILD, O_RDONLY));
  T("open kernel path", SC(SYS_open, KERNEL, O_RDONLY));
  T("open non-canonical path", SC(SYS_open, NONCANON, O_RDONLY));
  T("stat wild buf", SC(SYS_stat, "f", WILD));
  T("stat kernel buf", SC(SYS_stat, "f", KERNEL));
  T("read into wild", SC(SYS_read, fd, WILD, 4));
  T("read into kernel", SC(SYS_read, fd, KERNEL, 4));
  SC(SYS_lseek, fd, 0, SEEK_SET);
  T("write from wild", SC(SYS_write, fd, WILD, 4));
  T("write from non-canonical", SC(SYS_write, fd, NONCANON, 4));
  T("read huge count", SC(SYS_read, fd, buf, (size_t)-1));
  T("read count 1<<40 into small buf at EOF", (SC(SYS_lseek, fd, 0, SEEK_END), SC(SYS_read, fd, buf, 1UL << 40)));
  SC(SYS_lseek, fd, 0, SEEK_SET);
  T("read count 1<<40 with data", SC(SYS_read, fd, buf, 1UL << 40));
  T("write huge count", SC(SYS_write, fd, buf, (size_t)-1));
  T("readv wild iov", SC(SYS_readv, fd, WILD, 1));
  struct iovec wild_base = {WILD, 4};
  T("writev wild base", SC(SYS_writev, fd, &wild_base, 1));
  T("getcwd wild", SC(SYS_getcwd, WILD, 100));
  T("readlink wild buf", (SC(SYS_symlink, "f", "l"), SC(SYS_readlink, "l", WILD, 10)));
  T("fstat negative fd", SC(SYS_fstat, -1, &st));
  T("read negative fd", SC(SYS_read, -5, buf, 1));
  T("write INT_MIN fd", SC(SYS_write, (int)0x80000000, buf, 1));
  T("close huge fd", SC(SYS_close, 0x7fffffff));
  T("fd with high bits set", SC(SYS_fstat, 0x100000000L + fd, &st));

  /* A string that runs into a PROT_NONE guard page without a NUL. */
  char *two = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(two + PG, PG, PROT_NONE);
  memset(two, 'a', PG);
  T("path: 100 bytes then guard page", SC(SYS_open, two + PG - 100, O_RDONLY));
  T("path: full page then guard page", SC(SYS_open, two, O_RDONLY));
  T("mkdir unterminated", SC(SYS_mkdir, two + PG - 10, 0755));
  T("stat unterminated", SC(SYS_stat, two + PG - 1, &st));
  T("symlink unterminated target", SC(SYS_symlink, two + PG - 5, "t"));
  two[PG - 1] = 0;
  T("path: 4095 bytes, NUL at end", SC(SYS_open, two, O_RDONLY));
  T("path: 255-byte component", SC(SYS_open, two + PG - 256, O_RDONLY));
  T("path: 256-byte component", SC(SYS_open, two + PG - 257, O_RDONLY));
  T("write buffer crossing into guard", SC(SYS_write, fd, two + PG - 2, 4));
  SC(SYS_lseek, fd, 0, SEEK_SET);
  T("read buffer crossing into guard", SC(SYS_read, fd, two + PG - 2, 4));

  char *longp = malloc(5001);
  for (int i = 0; i < 5000; i++) longp[i] = (i % 2) ? '/' : 'x';
  longp[5000] = 0;
  T("5000-byte path of short components", SC(SYS_open, longp, O_RDONLY));
  memset(longp, 'y', 5000);
  T("5000-byte single component", SC(SYS_open, longp, O_RDONLY));
  T("5000-byte path mkdir", SC(SYS_mkdir, longp, 0755));
  T("5000-byte path stat", SC(SYS_stat, longp, &st));
  T("5000-byte symlink target", SC(SYS_symlink, longp, "s"));
  T("5000-byte chdir", SC(SYS_chdir, longp));
  T("5000-byte unlink", SC(SYS_unlink, longp));
  T("5000-byte rename", SC(SYS_rename, "f", longp));

  T("open unknown flag bits", SC(SYS_open, "f", O_RDONLY | 0x40000000) >= 0);
  T("open O_ACCMODE=3", SC(SYS_open, "f", 3) >= 0);
  T("open O_TMPFILE without dir", SC(SYS_open, "f", O_TMPFILE | O_RDWR, 0600));
  T("open O_CREAT|O_DIRECTORY", SC(SYS_open, "newdir", O_CREAT | O_DIRECTORY, 0755));
  T("openat2 bad size", SC(SYS_openat2, AT_FDCWD, "f", buf, 3));
  T("dirfd is a file", SC(SYS_mkdirat, fd, "x", 0755));
  T("path with embedded dot-dots", SC(SYS_open, "./../../../../../../../../..", O_RDONLY | O_DIRECTORY) >= 0);
  return 0;
}
