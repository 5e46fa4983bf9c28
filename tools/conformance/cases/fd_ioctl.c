/* ioctl on non-terminals: TCGETS/TIOCGWINSZ -> ENOTTY; FIONREAD on file/pipe. */
#include "t.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

int main(void) {
  struct termios tio;
  struct winsize ws;
  int n = -7;
  t_put("f.txt", "abcdefghij");
  int fd = SC(SYS_open, "f.txt", O_RDONLY);
  T("TCGETS file", SC(SYS_ioctl, fd, TCGETS, &tio));
  T("TIOCGWINSZ file", SC(SYS_ioctl, fd, TIOCGWINSZ, &ws));
  T("FIONREAD file", SC(SYS_ioctl, fd, FIONREAD, &n));
  printf("file bytes: %d\n", n);
  SC(SYS_lseek, fd, 4, SEEK_SET);
  T("FIONREAD file after seek", SC(SYS_ioctl, fd, FIONREAD, &n));
  printf("file bytes: %d\n", n);
  T("TCGETS stdout", SC(SYS_ioctl, 1, TCGETS, &tio));
  T("TIOCGWINSZ stdin", SC(SYS_ioctl, 0, TIOCGWINSZ, &ws));
  int p[2];
  T("pipe", SC(SYS_pipe2, p, 0));
  T("write pipe", SC(SYS_write, p[1], "xyz", 3));
  T("FIONREAD pipe", SC(SYS_ioctl, p[0], FIONREAD, &n));
  printf("pipe bytes: %d\n", n);
  T("TCGETS pipe", SC(SYS_ioctl, p[0], TCGETS, &tio));
  T("ioctl bad fd", SC(SYS_ioctl, 99, FIONREAD, &n));
  T("ioctl unknown request on file", SC(SYS_ioctl, fd, 0x12345678, &n));
  T("ioctl unknown request on pipe", SC(SYS_ioctl, p[0], 0x12345678, &n));
  T("FIONREAD wild pointer", SC(SYS_ioctl, p[0], FIONREAD, (void *)8));
  T("FIOCLEX", SC(SYS_ioctl, fd, FIOCLEX));
  T("cloexec set", SC(SYS_fcntl, fd, F_GETFD));
  T("FIONCLEX", SC(SYS_ioctl, fd, FIONCLEX));
  T("cloexec cleared", SC(SYS_fcntl, fd, F_GETFD));
  int on = 1;
  T("FIONBIO", SC(SYS_ioctl, p[0], FIONBIO, &on));
  printf("nonblock: %d\n", !!(SC(SYS_fcntl, p[0], F_GETFL) & O_NONBLOCK));
  return 0;
}
