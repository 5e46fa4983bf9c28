/* dup, dup2, dup3 and fcntl descriptor/status flags; shared file offsets. */
#include "t.h"
#include <fcntl.h>

int main(void) {
  t_put("f.txt", "0123456789");
  int fd = SC(SYS_open, "f.txt", O_RDWR);
  T("open", fd);
  T("dup", SC(SYS_dup, fd));
  T("dup bad", SC(SYS_dup, 77));
  T("lseek via dup", SC(SYS_lseek, 4, 3, SEEK_SET));
  T("offset shared", SC(SYS_lseek, fd, 0, SEEK_CUR));
  T("dup2 to 10", SC(SYS_dup2, fd, 10));
  T("dup2 same fd", SC(SYS_dup2, fd, fd));
  T("dup2 bad same fd", SC(SYS_dup2, 55, 55));
  T("dup2 bad old", SC(SYS_dup2, 55, 11));
  T("dup2 newfd negative", SC(SYS_dup2, fd, -1));
  T("dup2 newfd huge", SC(SYS_dup2, fd, 1 << 30));
  T("dup3 same fd", SC(SYS_dup3, fd, fd, 0));
  T("dup3 bad flags", SC(SYS_dup3, fd, 12, 0x4));
  T("dup3 cloexec", SC(SYS_dup3, fd, 12, O_CLOEXEC));
  T("fd 12 flags", SC(SYS_fcntl, 12, F_GETFD));
  T("dup2 over cloexec fd", SC(SYS_dup2, fd, 12));
  T("fd 12 flags after dup2", SC(SYS_fcntl, 12, F_GETFD));

  T("F_GETFD", SC(SYS_fcntl, fd, F_GETFD));
  T("F_SETFD", SC(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC));
  T("F_GETFD after", SC(SYS_fcntl, fd, F_GETFD));
  T("dup does not copy cloexec", SC(SYS_fcntl, SC(SYS_dup, fd), F_GETFD));
  T("F_SETFD 0", SC(SYS_fcntl, fd, F_SETFD, 0));
  long fl = SC(SYS_fcntl, fd, F_GETFL);
  printf("F_GETFL accmode: %ld\n", fl & O_ACCMODE);
  printf("F_GETFL append: %d nonblock: %d\n", !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
  T("F_SETFL append|nonblock", SC(SYS_fcntl, fd, F_SETFL, O_APPEND | O_NONBLOCK | O_RDONLY));
  fl = SC(SYS_fcntl, fd, F_GETFL);
  printf("after SETFL accmode: %ld append: %d nonblock: %d\n", fl & O_ACCMODE, !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
  fl = SC(SYS_fcntl, 4, F_GETFL);
  printf("status flags shared with dup: append: %d\n", !!(fl & O_APPEND));
  T("F_DUPFD 20", SC(SYS_fcntl, fd, F_DUPFD, 20));
  T("F_DUPFD 20 again", SC(SYS_fcntl, fd, F_DUPFD, 20));
  T("F_DUPFD_CLOEXEC 30", SC(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 30));
  T("F_DUPFD_CLOEXEC flags", SC(SYS_fcntl, 30, F_GETFD));
  T("F_DUPFD negative", SC(SYS_fcntl, fd, F_DUPFD, -1L));
  T("F_DUPFD huge", SC(SYS_fcntl, fd, F_DUPFD, 1 << 30));
  T("fcntl bad fd", SC(SYS_fcntl, 99, F_GETFD));
  T("fcntl unknown cmd", SC(SYS_fcntl, fd, 0x7777));
  return 0;
}
