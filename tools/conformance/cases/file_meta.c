/* chmod/fchmod/fchmodat, truncate/ftruncate, fsync/fdatasync, umask, statfs/fstatfs. */
#include "t.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

static void mode(const char *label, const char *path) {
  struct stat st;
  if (SC(SYS_lstat, path, &st) != 0) { printf("%s: -1 %s\n", label, ename(errno)); return; }
  if (S_ISDIR(st.st_mode)) printf("%s: %o dir\n", label, st.st_mode & 07777);
  else printf("%s: %o size=%lld\n", label, st.st_mode & 07777, (long long)st.st_size);
}

int main(void) {
  T("umask set 027 (old value hidden)", SC(SYS_umask, 027) >= 0);
  T("umask read back", SC(SYS_umask, 022));
  T("umask high bits ignored", (SC(SYS_umask, 0777777), SC(SYS_umask, 022)));
  SC(SYS_umask, 027);
  int fd = SC(SYS_open, "f", O_CREAT | O_RDWR, 0666);
  mode("created under 027", "f");
  SC(SYS_mkdir, "d", 0777);
  mode("mkdir under 027", "d");
  SC(SYS_umask, 0);
  SC(SYS_close, SC(SYS_open, "g", O_CREAT | O_RDWR, 0666));
  mode("created under 0", "g");

  T("chmod", SC(SYS_chmod, "f", 0600)); mode("after chmod", "f");
  T("chmod suid bits", SC(SYS_chmod, "f", 04755)); mode("after chmod 4755", "f");
  T("chmod missing", SC(SYS_chmod, "missing", 0600));
  T("fchmod", SC(SYS_fchmod, fd, 0640)); mode("after fchmod", "f");
  T("fchmod bad fd", SC(SYS_fchmod, 99, 0640));
  T("fchmodat", SC(SYS_fchmodat, AT_FDCWD, "g", 0400)); mode("after fchmodat", "g");
  SC(SYS_symlink, "g", "lg");
  T("chmod via symlink", SC(SYS_chmod, "lg", 0444)); mode("g after chmod via link", "g");

  T("write", SC(SYS_write, fd, "0123456789", 10));
  T("ftruncate shrink", SC(SYS_ftruncate, fd, 4)); mode("after ftruncate 4", "f");
  T("offset kept", SC(SYS_lseek, fd, 0, SEEK_CUR));
  T("ftruncate grow", SC(SYS_ftruncate, fd, 8192)); mode("after ftruncate 8192", "f");
  char buf[8];
  T("pread grown area", SC(SYS_pread64, fd, buf, 4, 5000));
  REL("grown area is zero", buf[0] == 0 && buf[3] == 0);
  T("ftruncate negative", SC(SYS_ftruncate, fd, -1L));
  int ro = SC(SYS_open, "f", O_RDONLY);
  T("ftruncate read-only fd", SC(SYS_ftruncate, ro, 0));
  T("ftruncate bad fd", SC(SYS_ftruncate, 99, 0));
  T("truncate", SC(SYS_truncate, "f", 3)); mode("after truncate 3", "f");
  T("truncate dir", SC(SYS_truncate, "d", 0));
  T("truncate missing", SC(SYS_truncate, "missing", 0));
  T("truncate negative", SC(SYS_truncate, "f", -5L));

  T("fsync", SC(SYS_fsync, fd));
  T("fdatasync", SC(SYS_fdatasync, fd));
  T("fsync bad fd", SC(SYS_fsync, 99));
  int p[2];
  SC(SYS_pipe2, p, 0);
  T("fsync pipe", SC(SYS_fsync, p[0]));

  struct statfs s1, s2;
  T("statfs", SC(SYS_statfs, ".", &s1));
  T("fstatfs", SC(SYS_fstatfs, fd, &s2));
  REL("same f_type", s1.f_type == s2.f_type);
  REL("f_bsize > 0", s1.f_bsize > 0);
  REL("f_namelen >= 255", s1.f_namelen >= 255);
  REL("f_bfree <= f_blocks", s1.f_bfree <= s1.f_blocks);
  REL("f_bavail <= f_bfree", s1.f_bavail <= s1.f_bfree);
  T("statfs missing", SC(SYS_statfs, "missing", &s1));
  T("fstatfs bad fd", SC(SYS_fstatfs, -3, &s1));
  return 0;
}
