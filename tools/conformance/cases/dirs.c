/* Directories: mkdir(at), rmdir, getcwd, chdir, fchdir, getdents64. */
#include "t.h"
#include <fcntl.h>
#include <sys/stat.h>

struct ent { char name[256]; unsigned char type; };

static int cmp(const void *a, const void *b) {
  return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

/* Lists a directory with a deliberately small buffer so several calls are needed. */
static void list(const char *label, int dfd) {
  static struct ent ents[64];
  int n = 0, calls = 0;
  char buf[128];
  for (;;) {
    long r = SC(SYS_getdents64, dfd, buf, sizeof buf);
    if (r < 0) { printf("%s: getdents64 -1 %s\n", label, ename(errno)); return; }
    if (r == 0) break;
    calls++;
    for (long off = 0; off < r;) {
      unsigned short reclen = *(unsigned short *)(buf + off + 16);
      if (n < 64) {
        ents[n].type = *(unsigned char *)(buf + off + 18);
        snprintf(ents[n].name, sizeof ents[n].name, "%s", buf + off + 19);
        n++;
      }
      off += reclen;
    }
  }
  qsort(ents, n, sizeof ents[0], cmp);
  printf("%s: %d entries, needed several calls: %s\n", label, n, calls > 1 ? "yes" : "no");
  for (int i = 0; i < n; i++) printf("  %s type=%d\n", ents[i].name, ents[i].type);
}

static const char *tail(const char *s, int parts) {
  const char *p = s + strlen(s);
  while (p > s && parts > 0) { p--; if (*p == '/') parts--; }
  return p;
}

int main(void) {
  char cwd0[4096], cwd[4096];
  T("getcwd", SC(SYS_getcwd, cwd0, sizeof cwd0) > 0);
  REL("getcwd absolute", cwd0[0] == '/');
  T("getcwd tiny buffer", SC(SYS_getcwd, cwd, 2));
  T("getcwd size 0", SC(SYS_getcwd, cwd, 0));
  T("getcwd returns length incl NUL", SC(SYS_getcwd, cwd, sizeof cwd) == (long)strlen(cwd0) + 1);

  T("mkdir", SC(SYS_mkdir, "top", 0755));
  T("mkdir exists", SC(SYS_mkdir, "top", 0755));
  T("mkdir missing parent", SC(SYS_mkdir, "no/such", 0755));
  T("mkdir trailing slash", SC(SYS_mkdir, "top/sub/", 0755));
  int top = SC(SYS_open, "top", O_RDONLY | O_DIRECTORY);
  T("mkdirat", SC(SYS_mkdirat, top, "sub2", 0700));
  T("mkdirat bad dirfd", SC(SYS_mkdirat, 99, "x", 0700));
  for (int i = 0; i < 12; i++) {
    char name[64];
    snprintf(name, sizeof name, "top/file-with-a-longish-name-%02d", i);
    t_put(name, "x");
  }
  SC(SYS_symlink, "sub", "top/link");
  list("top", top);
  T("getdents64 at eof", SC(SYS_getdents64, top, cwd, sizeof cwd));
  T("lseek rewind dir", SC(SYS_lseek, top, 0, SEEK_SET));
  char small[8];
  T("getdents64 buffer too small", SC(SYS_getdents64, top, small, sizeof small));
  int f = SC(SYS_open, "top/file-with-a-longish-name-00", O_RDONLY);
  T("getdents64 on file", SC(SYS_getdents64, f, cwd, sizeof cwd));
  T("getdents64 bad fd", SC(SYS_getdents64, 99, cwd, sizeof cwd));

  T("chdir", SC(SYS_chdir, "top/sub"));
  SC(SYS_getcwd, cwd, sizeof cwd);
  printf("cwd tail: %s\n", tail(cwd, 2));
  T("relative open after chdir", SC(SYS_open, "../file-with-a-longish-name-01", O_RDONLY) > 0);
  T("chdir ..", SC(SYS_chdir, ".."));
  SC(SYS_getcwd, cwd, sizeof cwd);
  printf("cwd tail: %s\n", tail(cwd, 1));
  T("chdir file", SC(SYS_chdir, "file-with-a-longish-name-02"));
  T("chdir missing", SC(SYS_chdir, "missing"));
  T("chdir symlink", SC(SYS_chdir, "link"));
  SC(SYS_getcwd, cwd, sizeof cwd);
  printf("cwd tail after symlink: %s\n", tail(cwd, 1));
  T("fchdir", SC(SYS_fchdir, top));
  SC(SYS_getcwd, cwd, sizeof cwd);
  printf("cwd tail: %s\n", tail(cwd, 1));
  T("fchdir file", SC(SYS_fchdir, f));
  T("fchdir bad", SC(SYS_fchdir, -1));
  T("chdir back", SC(SYS_chdir, cwd0));
  SC(SYS_getcwd, cwd, sizeof cwd);
  REL("back at start", strcmp(cwd, cwd0) == 0);

  T("rmdir non-empty", SC(SYS_rmdir, "top"));
  T("rmdir file", SC(SYS_rmdir, "top/file-with-a-longish-name-03"));
  T("rmdir dot", SC(SYS_rmdir, "top/sub/."));
  T("rmdir missing", SC(SYS_rmdir, "top/missing"));
  T("rmdir symlink to dir", SC(SYS_rmdir, "top/link"));
  T("rmdir", SC(SYS_rmdir, "top/sub"));
  T("unlinkat AT_REMOVEDIR", SC(SYS_unlinkat, top, "sub2", AT_REMOVEDIR));
  SC(SYS_lseek, top, 0, SEEK_SET);
  list("top after removals", top);
  T("chdir into dir then remove it", (SC(SYS_mkdir, "doomed", 0755), SC(SYS_chdir, "doomed")));
  T("rmdir cwd by absolute path", (snprintf(cwd, sizeof cwd, "%s/doomed", cwd0), SC(SYS_rmdir, cwd)));
  T("getcwd of removed dir", SC(SYS_getcwd, cwd, sizeof cwd));
  T("create in removed cwd", SC(SYS_open, "x", O_CREAT | O_WRONLY, 0644));
  return 0;
}
