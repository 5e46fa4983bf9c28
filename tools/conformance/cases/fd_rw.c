/* read, write, readv, writev, pread64, pwrite64, lseek on a regular file. */
#include "t.h"
#include <fcntl.h>
#include <sys/uio.h>

int main(void) {
  char buf[64];
  int fd = SC(SYS_openat, AT_FDCWD, "rw.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  T("open", fd);
  T("write", SC(SYS_write, fd, "hello world\n", 12));
  T("write zero", SC(SYS_write, fd, "x", 0));
  T("lseek cur", SC(SYS_lseek, fd, 0, SEEK_CUR));
  T("lseek set 6", SC(SYS_lseek, fd, 6, SEEK_SET));
  memset(buf, 0, sizeof buf);
  T("read", SC(SYS_read, fd, buf, sizeof buf));
  printf("read data: %s", buf);
  T("read at eof", SC(SYS_read, fd, buf, sizeof buf));
  T("lseek end", SC(SYS_lseek, fd, 0, SEEK_END));
  T("lseek end -5", SC(SYS_lseek, fd, -5L, SEEK_END));
  T("lseek negative", SC(SYS_lseek, fd, -100L, SEEK_SET));
  T("lseek bad whence", SC(SYS_lseek, fd, 0, 77));
  T("lseek past end", SC(SYS_lseek, fd, 100, SEEK_SET));
  T("write after hole", SC(SYS_write, fd, "Z", 1));
  T("size via lseek", SC(SYS_lseek, fd, 0, SEEK_END));

  memset(buf, 'q', sizeof buf);
  T("pread 20..", SC(SYS_pread64, fd, buf, 4, 20));
  printf("hole bytes zero: %s\n", buf[0] == 0 && buf[3] == 0 ? "yes" : "no");
  T("pwrite", SC(SYS_pwrite64, fd, "HELLO", 5, 0));
  T("offset unchanged by pwrite", SC(SYS_lseek, fd, 0, SEEK_CUR));
  memset(buf, 0, sizeof buf);
  T("pread", SC(SYS_pread64, fd, buf, 11, 0));
  printf("pread data: %s\n", buf);
  T("pread negative offset", SC(SYS_pread64, fd, buf, 1, -1L));
  T("pread past eof", SC(SYS_pread64, fd, buf, 10, 1000));

  struct iovec wv[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
  T("lseek 0", SC(SYS_lseek, fd, 0, SEEK_SET));
  T("writev", SC(SYS_writev, fd, wv, 3));
  T("lseek 0 again", SC(SYS_lseek, fd, 0, SEEK_SET));
  char a[3] = {0}, b[5] = {0};
  struct iovec rv[2] = {{a, 2}, {b, 4}};
  T("readv", SC(SYS_readv, fd, rv, 2));
  printf("readv data: %s|%s\n", a, b);
  T("readv iovcnt 0", SC(SYS_readv, fd, rv, 0));
  T("readv iovcnt -1", SC(SYS_readv, fd, rv, -1L));
  T("readv iovcnt 1025", SC(SYS_readv, fd, rv, 1025));
  struct iovec neg[1] = {{buf, (size_t)-1}};
  T("readv negative len", SC(SYS_readv, fd, neg, 1));
  T("pwritev", SC(SYS_pwritev, fd, wv, 3, 30, 0));
  memset(buf, 0, sizeof buf);
  T("preadv", SC(SYS_preadv, fd, rv, 2, 30, 0));
  printf("preadv data: %s|%s\n", a, b);
  T("close", SC(SYS_close, fd));

  int ro = SC(SYS_openat, AT_FDCWD, "rw.txt", O_RDONLY);
  T("open ro", ro);
  T("write on ro", SC(SYS_write, ro, "x", 1));
  T("pwrite on ro", SC(SYS_pwrite64, ro, "x", 1, 0));
  T("close ro", SC(SYS_close, ro));
  int wo = SC(SYS_openat, AT_FDCWD, "rw.txt", O_WRONLY);
  T("read on wo", SC(SYS_read, wo, buf, 1));
  T("close wo", SC(SYS_close, wo));
  int ap = SC(SYS_openat, AT_FDCWD, "rw.txt", O_WRONLY | O_APPEND);
  T("append write", SC(SYS_write, ap, "!", 1));
  T("append offset", SC(SYS_lseek, ap, 0, SEEK_CUR));
  T("pwrite on append", SC(SYS_pwrite64, ap, "?", 1, 0));
  T("size after pwrite on append", SC(SYS_lseek, ap, 0, SEEK_END));
  T("close ap", SC(SYS_close, ap));
  T("read closed", SC(SYS_read, ap, buf, 1));
  return 0;
}
