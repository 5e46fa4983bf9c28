/* open, openat, creat, close, close_range and fd allocation order. */
#include "t.h"
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/stat.h>

int main(void) {
  T("creat", SC(SYS_creat, "c.txt", 0600));
  T("open same again gets next fd", SC(SYS_open, "c.txt", O_RDONLY));
  T("close 3", SC(SYS_close, 3));
  T("lowest free fd reused", SC(SYS_open, "c.txt", O_RDONLY));
  T("O_EXCL on existing", SC(SYS_open, "c.txt", O_CREAT | O_EXCL | O_WRONLY, 0600));
  T("missing", SC(SYS_open, "nope.txt", O_RDONLY));
  T("missing dir component", SC(SYS_open, "nodir/x", O_RDONLY));
  T("file as dir component", SC(SYS_open, "c.txt/x", O_RDONLY));
  T("O_DIRECTORY on file", SC(SYS_open, "c.txt", O_RDONLY | O_DIRECTORY));
  T("mkdir d", SC(SYS_mkdir, "d", 0755));
  T("write-open dir", SC(SYS_open, "d", O_WRONLY));
  T("O_CREAT dir", SC(SYS_open, "d", O_RDWR | O_CREAT, 0644));
  int dfd = SC(SYS_open, "d", O_RDONLY | O_DIRECTORY);
  T("open dir", dfd);
  T("openat in dir", SC(SYS_openat, dfd, "inner", O_CREAT | O_WRONLY, 0644));
  T("openat AT_FDCWD", SC(SYS_openat, AT_FDCWD, "d/inner", O_RDONLY));
  T("openat relative to file fd", SC(SYS_openat, 3, "x", O_RDONLY));
  T("openat bad dirfd", SC(SYS_openat, 999, "x", O_RDONLY));
  T("openat bad dirfd absolute path", SC(SYS_openat, 999, "/", O_RDONLY | O_DIRECTORY) >= 0);
  T("O_TRUNC", SC(SYS_open, "c.txt", O_WRONLY | O_TRUNC));
  T("empty path", SC(SYS_open, "", O_RDONLY));
  int cx = SC(SYS_open, "c.txt", O_RDONLY | O_CLOEXEC);
  T("O_CLOEXEC fd flags", SC(SYS_fcntl, cx, F_GETFD));
  T("O_NOFOLLOW on symlink", (SC(SYS_symlink, "c.txt", "lnk"), SC(SYS_open, "lnk", O_RDONLY | O_NOFOLLOW)));
  T("O_PATH on symlink+NOFOLLOW", SC(SYS_open, "lnk", O_PATH | O_NOFOLLOW) >= 0);
  T("dangling symlink", (SC(SYS_symlink, "gone", "dang"), SC(SYS_open, "dang", O_RDONLY)));
  T("O_CREAT through dangling symlink", SC(SYS_open, "dang", O_CREAT | O_WRONLY, 0644) >= 0);
  T("close", SC(SYS_close, cx));
  T("close again", SC(SYS_close, cx));
  T("close -1", SC(SYS_close, -1));

  T("close_range 3..~0", SC(SYS_close_range, 3, ~0U, 0));
  T("fd 5 closed", SC(SYS_fcntl, 5, F_GETFD));
  T("reopen gets 3", SC(SYS_open, "c.txt", O_RDONLY));
  T("reopen gets 4", SC(SYS_open, "c.txt", O_RDONLY));
  T("close_range CLOEXEC", SC(SYS_close_range, 3, 4, CLOSE_RANGE_CLOEXEC));
  T("fd 3 cloexec", SC(SYS_fcntl, 3, F_GETFD));
  T("fd 4 cloexec", SC(SYS_fcntl, 4, F_GETFD));
  T("close_range first>last", SC(SYS_close_range, 10, 5, 0));
  T("close_range bad flags", SC(SYS_close_range, 3, 4, 0x80));
  T("close_range empty", SC(SYS_close_range, 100, 200, 0));
  T("fd 3 still open", SC(SYS_fcntl, 3, F_GETFD));
  return 0;
}
