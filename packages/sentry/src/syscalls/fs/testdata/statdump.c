// Prints "field offset size value" for struct stat and struct statx of argv[1],
// as the native kernel fills them: the layout and values the Sentry must match.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#define F(s, name, field) printf("%s %zu %zu %lld\n", name, offsetof(s, field), sizeof(((s *)0)->field), (long long)v.field)

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  {
    struct stat v;
    if (stat(argv[1], &v) != 0) return 1;
    F(struct stat, "st_mode", st_mode);
    F(struct stat, "st_nlink", st_nlink);
    F(struct stat, "st_uid", st_uid);
    F(struct stat, "st_gid", st_gid);
    F(struct stat, "st_size", st_size);
    F(struct stat, "st_blksize", st_blksize);
    F(struct stat, "st_blocks", st_blocks);
    F(struct stat, "st_mtim.tv_sec", st_mtim.tv_sec);
    F(struct stat, "st_mtim.tv_nsec", st_mtim.tv_nsec);
    F(struct stat, "st_atim.tv_sec", st_atim.tv_sec);
    printf("sizeof_stat %zu 0 0\n", sizeof(struct stat));
  }
  {
    struct statx v;
    if (statx(AT_FDCWD, argv[1], 0, STATX_BASIC_STATS, &v) != 0) return 1;
    F(struct statx, "stx_mode", stx_mode);
    F(struct statx, "stx_nlink", stx_nlink);
    F(struct statx, "stx_uid", stx_uid);
    F(struct statx, "stx_gid", stx_gid);
    F(struct statx, "stx_size", stx_size);
    F(struct statx, "stx_blksize", stx_blksize);
    F(struct statx, "stx_blocks", stx_blocks);
    F(struct statx, "stx_mtime.tv_sec", stx_mtime.tv_sec);
    F(struct statx, "stx_mtime.tv_nsec", stx_mtime.tv_nsec);
    printf("sizeof_statx %zu 0 0\n", sizeof(struct statx));
  }
  return 0;
}
