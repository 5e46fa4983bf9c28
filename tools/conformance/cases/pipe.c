/* pipe and pipe2 within one process: data, EOF, EPIPE, O_NONBLOCK, capacity. */
#include "t.h"
#include <fcntl.h>

int main(void) {
  int p[2];
  char buf[256];
  signal(SIGPIPE, SIG_IGN);
  T("pipe", SC(SYS_pipe, p));
  printf("fds: %d %d\n", p[0], p[1]);
  T("write", SC(SYS_write, p[1], "through the pipe", 16));
  memset(buf, 0, sizeof buf);
  T("read partial", SC(SYS_read, p[0], buf, 7));
  printf("data: %s\n", buf);
  memset(buf, 0, sizeof buf);
  T("read rest", SC(SYS_read, p[0], buf, sizeof buf));
  printf("data: %s\n", buf);
  T("write to read end", SC(SYS_write, p[0], "x", 1));
  T("read from write end", SC(SYS_read, p[1], buf, 1));
  T("lseek on pipe", SC(SYS_lseek, p[0], 0, SEEK_CUR));
  T("pread on pipe", SC(SYS_pread64, p[0], buf, 1, 0));
  T("F_GETFL read end accmode", SC(SYS_fcntl, p[0], F_GETFL) & O_ACCMODE);
  T("F_GETFL write end accmode", SC(SYS_fcntl, p[1], F_GETFL) & O_ACCMODE);
  T("close write end", SC(SYS_close, p[1]));
  T("read at EOF", SC(SYS_read, p[0], buf, sizeof buf));
  T("close read end", SC(SYS_close, p[0]));

  T("pipe2 cloexec|nonblock", SC(SYS_pipe2, p, O_CLOEXEC | O_NONBLOCK));
  T("cloexec", SC(SYS_fcntl, p[0], F_GETFD));
  T("nonblock", !!(SC(SYS_fcntl, p[1], F_GETFL) & O_NONBLOCK));
  T("read empty nonblock", SC(SYS_read, p[0], buf, sizeof buf));
  long cap = SC(SYS_fcntl, p[1], F_GETPIPE_SZ);
  T("F_GETPIPE_SZ", cap);
  long total = 0, r;
  memset(buf, 'z', sizeof buf);
  while ((r = SC(SYS_write, p[1], buf, sizeof buf)) > 0) total += r;
  printf("fill stopped with: %s, total == capacity: %s\n", ename(errno), total == cap ? "yes" : "no");
  long drained = 0;
  while ((r = SC(SYS_read, p[0], buf, sizeof buf)) > 0) drained += r;
  printf("drained == total: %s, then %s\n", drained == total ? "yes" : "no", ename(errno));
  T("close read end", SC(SYS_close, p[0]));
  T("write with no reader", SC(SYS_write, p[1], "x", 1));
  T("close write end", SC(SYS_close, p[1]));

  T("pipe2 bad flags", SC(SYS_pipe2, p, 0x1));
  T("pipe2 O_DIRECT", SC(SYS_pipe2, p, O_DIRECT));
  T("pipe wild pointer", SC(SYS_pipe, (void *)16));
  return 0;
}
