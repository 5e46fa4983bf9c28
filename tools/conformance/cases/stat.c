/* stat, fstat, lstat, newfstatat, statx, access, faccessat, faccessat2. */
#include "t.h"
#include <fcntl.h>
#include <sys/stat.h>

static const char *kind(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "reg";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "lnk";
    case S_IFIFO: return "fifo";
    case S_IFCHR: return "chr";
    default: return "other";
  }
}

/* Directory sizes and link counts are filesystem-specific, so only files show them. */
static void show(const char *label, const struct stat *st) {
  printf("%s: %s mode=%o blksize>0=%d", label, kind(st->st_mode), st->st_mode & 07777, st->st_blksize > 0);
  if (S_ISREG(st->st_mode)) printf(" size=%lld nlink=%ld", (long long)st->st_size, (long)st->st_nlink);
  printf("\n");
}

int main(void) {
  struct stat a, b, c;
  SC(SYS_umask, 022);
  t_put("f.txt", "twelve bytes");
  SC(SYS_mkdir, "d", 0750);
  SC(SYS_symlink, "f.txt", "l");
  SC(SYS_link, "f.txt", "h");

  T("stat", SC(SYS_stat, "f.txt", &a)); show("stat f", &a);
  T("stat dir", SC(SYS_stat, "d", &b)); show("stat d", &b);
  T("stat symlink follows", SC(SYS_stat, "l", &c)); show("stat l", &c);
  REL("stat l same inode as f", a.st_ino == c.st_ino && a.st_dev == c.st_dev);
  T("lstat symlink", SC(SYS_lstat, "l", &c));
  printf("lstat l: %s size=%lld\n", kind(c.st_mode), (long long)c.st_size);
  int fd = SC(SYS_open, "f.txt", O_RDONLY);
  T("fstat", SC(SYS_fstat, fd, &b)); show("fstat f", &b);
  REL("fstat same inode", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  REL("hard link same inode", SC(SYS_stat, "h", &c) == 0 && c.st_ino == a.st_ino);
  T("fstat bad fd", SC(SYS_fstat, 99, &b));
  T("stat missing", SC(SYS_stat, "missing", &b));
  T("stat through file", SC(SYS_stat, "f.txt/x", &b));
  T("stat empty", SC(SYS_stat, "", &b));
  T("newfstatat", SC(SYS_newfstatat, AT_FDCWD, "f.txt", &b, 0)); show("newfstatat f", &b);
  T("newfstatat nofollow", SC(SYS_newfstatat, AT_FDCWD, "l", &b, AT_SYMLINK_NOFOLLOW));
  printf("newfstatat l: %s\n", kind(b.st_mode));
  T("newfstatat empty path", SC(SYS_newfstatat, fd, "", &b, AT_EMPTY_PATH)); show("empty path", &b);
  T("newfstatat empty no flag", SC(SYS_newfstatat, fd, "", &b, 0));
  T("newfstatat bad flag", SC(SYS_newfstatat, AT_FDCWD, "f.txt", &b, 0x40000000));
  int dfd = SC(SYS_open, "d", O_RDONLY | O_DIRECTORY);
  t_put("d/in", "x");
  T("newfstatat dirfd", SC(SYS_newfstatat, dfd, "in", &b, 0)); show("d/in", &b);

  struct statx sx;
  memset(&sx, 0, sizeof sx);
  T("statx", SC(SYS_statx, AT_FDCWD, "f.txt", 0, STATX_BASIC_STATS, &sx));
  printf("statx: mask_has_basic=%d mode=%o size=%llu nlink=%u\n",
         (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, sx.stx_mode & 07777,
         (unsigned long long)sx.stx_size, sx.stx_nlink);
  REL("statx ino == stat ino", sx.stx_ino == a.st_ino);
  T("statx nofollow", SC(SYS_statx, AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
  printf("statx l: %s\n", kind(sx.stx_mode));
  T("statx reserved mask bit", SC(SYS_statx, AT_FDCWD, "f.txt", 0, 0x80000000U, &sx));
  T("statx bad flags", SC(SYS_statx, AT_FDCWD, "f.txt", 0x40000000, STATX_BASIC_STATS, &sx));
  T("statx missing", SC(SYS_statx, AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx));
  T("statx empty path", SC(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
  printf("statx empty path size=%llu\n", (unsigned long long)sx.stx_size);

  SC(SYS_chmod, "f.txt", 0644);
  T("access F_OK", SC(SYS_access, "f.txt", F_OK));
  T("access R_OK", SC(SYS_access, "f.txt", R_OK));
  T("access X_OK on 0644", SC(SYS_access, "f.txt", X_OK));
  T("access X_OK dir", SC(SYS_access, "d", X_OK));
  T("access missing", SC(SYS_access, "missing", F_OK));
  T("access bad mode", SC(SYS_access, "f.txt", 0100));
  T("faccessat dirfd", SC(SYS_faccessat, dfd, "in", R_OK));
  T("faccessat2 AT_EACCESS", SC(SYS_faccessat2, AT_FDCWD, "f.txt", R_OK, AT_EACCESS));
  T("faccessat2 nofollow dangling", (SC(SYS_symlink, "gone", "dang"),
                                     SC(SYS_faccessat2, AT_FDCWD, "dang", F_OK, AT_SYMLINK_NOFOLLOW)));
  T("faccessat2 follow dangling", SC(SYS_faccessat2, AT_FDCWD, "dang", F_OK, 0));
  T("faccessat2 bad flags", SC(SYS_faccessat2, AT_FDCWD, "f.txt", F_OK, 0x1));
  T("faccessat2 empty path", SC(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
  return 0;
}
