/* readlink(at), symlink(at), link(at), unlink(at), rename, renameat, renameat2. */
#include "t.h"
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>

static void cat(const char *path) {
  char buf[64] = {0};
  int fd = SC(SYS_open, path, O_RDONLY);
  if (fd < 0) { printf("  %s: -1 %s\n", path, ename(errno)); return; }
  SC(SYS_read, fd, buf, sizeof buf - 1);
  SC(SYS_close, fd);
  printf("  %s = %s\n", path, buf);
}

static long nlink(const char *path) {
  struct stat st;
  return SC(SYS_lstat, path, &st) == 0 ? (long)st.st_nlink : -1;
}

int main(void) {
  char buf[256];
  t_put("a", "A");
  t_put("b", "B");
  SC(SYS_mkdir, "d", 0755);
  int d = SC(SYS_open, "d", O_RDONLY | O_DIRECTORY);

  T("symlink", SC(SYS_symlink, "a", "la"));
  T("symlink exists", SC(SYS_symlink, "a", "la"));
  T("symlink empty target", SC(SYS_symlink, "", "le"));
  T("symlinkat", SC(SYS_symlinkat, "../b", d, "lb"));
  memset(buf, 0, sizeof buf);
  T("readlink", SC(SYS_readlink, "la", buf, sizeof buf));
  printf("  target: %s\n", buf);
  memset(buf, 0, sizeof buf);
  T("readlinkat", SC(SYS_readlinkat, d, "lb", buf, sizeof buf));
  printf("  target: %s\n", buf);
  memset(buf, 0, sizeof buf);
  T("readlink truncated", SC(SYS_readlink, "d/lb", buf, 2));
  printf("  target: %s\n", buf);
  T("readlink size 0", SC(SYS_readlink, "la", buf, 0));
  T("readlink on file", SC(SYS_readlink, "a", buf, sizeof buf));
  T("readlink missing", SC(SYS_readlink, "missing", buf, sizeof buf));
  T("readlinkat empty path", SC(SYS_readlinkat, d, "", buf, sizeof buf));
  cat("d/lb");
  SC(SYS_symlink, "loop2", "loop1");
  SC(SYS_symlink, "loop1", "loop2");
  T("open symlink loop", SC(SYS_open, "loop1", O_RDONLY));

  T("link", SC(SYS_link, "a", "a2"));
  printf("  nlink a = %ld\n", nlink("a"));
  T("link exists", SC(SYS_link, "a", "b"));
  T("link dir", SC(SYS_link, "d", "d2"));
  T("link missing", SC(SYS_link, "missing", "m2"));
  T("linkat", SC(SYS_linkat, AT_FDCWD, "b", d, "b2", 0));
  T("linkat symlink nofollow", SC(SYS_linkat, AT_FDCWD, "la", AT_FDCWD, "la2", 0));
  printf("  la2 is symlink: %s\n", nlink("la2") >= 1 && SC(SYS_readlink, "la2", buf, sizeof buf) > 0 ? "yes" : "no");
  T("linkat follow", SC(SYS_linkat, AT_FDCWD, "la", AT_FDCWD, "la3", AT_SYMLINK_FOLLOW));
  printf("  la3 is symlink: %s\n", SC(SYS_readlink, "la3", buf, sizeof buf) > 0 ? "yes" : "no");
  printf("  nlink a = %ld\n", nlink("a"));
  T("linkat bad flags", SC(SYS_linkat, AT_FDCWD, "a", AT_FDCWD, "a9", 0x1));

  T("unlink", SC(SYS_unlink, "a2"));
  printf("  nlink a = %ld\n", nlink("a"));
  T("unlink missing", SC(SYS_unlink, "a2"));
  T("unlink dir", SC(SYS_unlink, "d"));
  T("unlink symlink only", SC(SYS_unlink, "la3"));
  cat("a");
  T("unlinkat", SC(SYS_unlinkat, d, "b2", 0));
  T("unlinkat bad flags", SC(SYS_unlinkat, d, "lb", 0x1));
  T("unlinkat REMOVEDIR on file", SC(SYS_unlinkat, AT_FDCWD, "b", AT_REMOVEDIR));
  int fd = SC(SYS_open, "b", O_RDONLY);
  T("unlink open file", SC(SYS_unlink, "b"));
  memset(buf, 0, sizeof buf);
  T("read unlinked open file", SC(SYS_read, fd, buf, sizeof buf));
  printf("  data: %s\n", buf);
  t_put("b", "B");

  T("rename", SC(SYS_rename, "a", "a_new"));
  cat("a_new");
  T("rename missing", SC(SYS_rename, "a", "x"));
  T("rename over existing", SC(SYS_rename, "b", "a_new"));
  cat("a_new");
  T("rename same", SC(SYS_rename, "a_new", "a_new"));
  T("rename file over dir", SC(SYS_rename, "a_new", "d"));
  SC(SYS_mkdir, "e", 0755);
  T("rename dir over empty dir", SC(SYS_rename, "e", "f"));
  SC(SYS_mkdir, "g", 0755);
  T("rename dir over non-empty dir", SC(SYS_rename, "g", "d"));
  T("rename dir into itself", SC(SYS_rename, "d", "d/inside"));
  T("renameat", SC(SYS_renameat, AT_FDCWD, "a_new", d, "moved"));
  cat("d/moved");
  t_put("x", "X");
  t_put("y", "Y");
  T("renameat2 NOREPLACE exists", SC(SYS_renameat2, AT_FDCWD, "x", AT_FDCWD, "y", RENAME_NOREPLACE));
  T("renameat2 NOREPLACE free", SC(SYS_renameat2, AT_FDCWD, "x", AT_FDCWD, "z", RENAME_NOREPLACE));
  T("renameat2 EXCHANGE", SC(SYS_renameat2, AT_FDCWD, "y", AT_FDCWD, "z", RENAME_EXCHANGE));
  cat("y");
  cat("z");
  T("renameat2 EXCHANGE missing", SC(SYS_renameat2, AT_FDCWD, "y", AT_FDCWD, "nope", RENAME_EXCHANGE));
  T("renameat2 both flags", SC(SYS_renameat2, AT_FDCWD, "y", AT_FDCWD, "z", RENAME_EXCHANGE | RENAME_NOREPLACE));
  T("renameat2 unknown flag", SC(SYS_renameat2, AT_FDCWD, "y", AT_FDCWD, "z", 0x100));
  return 0;
}
