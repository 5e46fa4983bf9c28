/* sendfile file->file and file->pipe, with and without an offset pointer. */
#include "t.h"
#include <fcntl.h>
#include <sys/sendfile.h>

int main(void) {
  char buf[64];
  t_put("src", "abcdefghijklmnopqrstuvwxyz");
  int in = SC(SYS_open, "src", O_RDONLY);
  int out = SC(SYS_open, "dst", O_CREAT | O_RDWR | O_TRUNC, 0644);
  T("sendfile 10", SC(SYS_sendfile, out, in, NULL, 10));
  T("in offset advanced", SC(SYS_lseek, in, 0, SEEK_CUR));
  off_t off = 20;
  T("sendfile with offset", SC(SYS_sendfile, out, in, &off, 100));
  printf("offset now: %lld\n", (long long)off);
  T("in offset unchanged", SC(SYS_lseek, in, 0, SEEK_CUR));
  T("sendfile rest", SC(SYS_sendfile, out, in, NULL, 1000));
  T("sendfile at eof", SC(SYS_sendfile, out, in, NULL, 1000));
  memset(buf, 0, sizeof buf);
  SC(SYS_pread64, out, buf, sizeof buf - 1, 0);
  printf("dst: %s\n", buf);

  int p[2];
  SC(SYS_pipe2, p, 0);
  off = 0;
  T("sendfile to pipe", SC(SYS_sendfile, p[1], in, &off, 5));
  memset(buf, 0, sizeof buf);
  T("read pipe", SC(SYS_read, p[0], buf, sizeof buf));
  printf("pipe: %s\n", buf);
  T("sendfile count 0", SC(SYS_sendfile, out, in, NULL, 0));
  T("sendfile bad in", SC(SYS_sendfile, out, 99, NULL, 1));
  T("sendfile bad out", SC(SYS_sendfile, 99, in, NULL, 1));
  T("sendfile out read-only", SC(SYS_sendfile, in, in, NULL, 1));
  int wo = SC(SYS_open, "dst", O_WRONLY);
  T("sendfile in write-only", SC(SYS_sendfile, out, wo, NULL, 1));
  off = -1;
  T("sendfile negative offset", SC(SYS_sendfile, out, in, &off, 1));
  T("sendfile wild offset ptr", SC(SYS_sendfile, out, in, (void *)8, 1));
  return 0;
}
