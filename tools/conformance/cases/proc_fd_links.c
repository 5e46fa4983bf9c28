/*
 * /proc/self/fd/N magic links and the /dev/fd family: readlink shows the
 * object, open() reopens it (pipes in either direction, files with a fresh
 * offset even after unlink, directories), stat follows to it, and bad names
 * and loops fail as Linux fails them. stdin is a regular file here (the
 * sidecar's); stdout and stderr are not touched through links, since what
 * they are differs between the runner and native.
 */
#include "t.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static char link_buf[PATH_MAX];

static const char *rl(const char *path) {
  ssize_t n = readlink(path, link_buf, sizeof link_buf - 1);
  if (n < 0) return ename(errno);
  link_buf[n] = 0;
  return link_buf;
}

static const char *fdpath(const char *dir, int fd, const char *rest) {
  static char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/%d%s", dir, fd, rest);
  return p;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void pipes(void) {
  int p[2];
  char buf[16] = {0};
  struct stat a, b;
  if (pipe(p) != 0) exit(91);
  const char *name = rl(fdpath("/proc/self/fd", p[0], ""));
  REL("pipe link names pipe:[ino]", strncmp(name, "pipe:[", 6) == 0 && ends_with(name, "]"));
  char first[64];
  snprintf(first, sizeof first, "%s", name);
  REL("both ends name the same pipe", strcmp(first, rl(fdpath("/proc/self/fd", p[1], ""))) == 0);
  int w2 = open(fdpath("/proc/self/fd", p[0], ""), O_WRONLY);
  REL("read end's link opens for writing", w2 >= 0);
  T("getfl of reopened write side", fcntl(w2, F_GETFL));
  T("write through it", write(w2, "via", 3));
  T("read from the original end", read(p[0], buf, sizeof buf));
  printf("data: %s\n", buf);
  REL("reopened end names the same pipe", strcmp(first, rl(fdpath("/proc/self/fd", w2, ""))) == 0);
  fstat(p[0], &a);
  T("stat through the link", stat(fdpath("/proc/self/fd", p[1], ""), &b));
  REL("same inode as fstat", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  printf("mode through link: %o\n", b.st_mode);
  lstat(fdpath("/proc/self/fd", p[1], ""), &b);
  printf("link mode %o size %ld\n", b.st_mode, (long)b.st_size);
  lstat(fdpath("/proc/self/fd", p[0], ""), &b);
  printf("read link mode %o\n", b.st_mode);
  int r2 = open(fdpath("/dev/fd", p[1], ""), O_RDONLY | O_NONBLOCK);
  REL("write end's /dev/fd link opens for reading", r2 >= 0);
  T("empty pipe", read(r2, buf, sizeof buf));
  close(p[1]);
  T("one writer left", read(r2, buf, sizeof buf));
  close(w2);
  T("no writer left: end of file", read(r2, buf, sizeof buf));
  int rw = open(fdpath("/proc/self/fd", p[0], ""), O_RDWR);
  T("O_RDWR write", write(rw, "rw", 2));
  memset(buf, 0, sizeof buf);
  T("O_RDWR read", read(rw, buf, sizeof buf));
  T("access mode 3", open(fdpath("/proc/self/fd", p[0], ""), 3));
  T("path below a pipe", open(fdpath("/dev/fd", p[0], "/x"), O_RDONLY));
  close(p[0]);
  close(r2);
  close(rw);
}

static void files(void) {
  char buf[32] = {0};
  struct stat st;
  int f = open("f.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  T("write", write(f, "hello world", 11));
  int g = open(fdpath("/proc/self/fd", f, ""), O_RDONLY);
  T("fresh offset", lseek(g, 0, SEEK_CUR));
  T("original offset", lseek(f, 0, SEEK_CUR));
  T("read", read(g, buf, 5));
  printf("data: %s\n", buf);
  T("reopened read-only: write", write(g, "x", 1));
  char cwd[PATH_MAX], want[PATH_MAX + 16];
  if (!getcwd(cwd, sizeof cwd)) exit(92);
  snprintf(want, sizeof want, "%s/f.txt", cwd);
  REL("link is the absolute path", strcmp(rl(fdpath("/proc/self/fd", f, "")), want) == 0);
  REL("cwd link is getcwd", strcmp(rl("/proc/self/cwd"), cwd) == 0);
  TOK("unlink", unlink("f.txt"));
  snprintf(want, sizeof want, "%s/f.txt (deleted)", cwd);
  REL("unlinked: (deleted)", strcmp(rl(fdpath("/proc/self/fd", f, "")), want) == 0);
  int h = open(fdpath("/proc/self/fd", f, ""), O_WRONLY | O_APPEND);
  REL("reopen after unlink", h >= 0);
  T("append", write(h, "!", 1));
  memset(buf, 0, sizeof buf);
  T("read the rest", read(g, buf, sizeof buf));
  printf("data: %s\n", buf);
  T("stat through link", stat(fdpath("/proc/self/fd", f, ""), &st));
  printf("nlink %ld size %ld\n", (long)st.st_nlink, (long)st.st_size);
  t_put("f.txt", "other");
  REL("a new file with the old name is not it", ends_with(rl(fdpath("/proc/self/fd", f, "")), " (deleted)"));
  T("path below a file", open(fdpath("/proc/self/fd", f, "/.."), O_RDONLY));
  T("trailing slash on a file", open(fdpath("/proc/self/fd", f, "/"), O_RDONLY));
  T("O_NOFOLLOW", open(fdpath("/proc/self/fd", f, ""), O_RDONLY | O_NOFOLLOW));
  lseek(f, 3, SEEK_SET);
  int fl = fcntl(f, F_GETFD);
  fcntl(f, F_SETFD, fl | FD_CLOEXEC);
  int info = open(fdpath("/proc/self/fdinfo", f, ""), O_RDONLY);
  char text[256] = {0};
  T("fdinfo read", read(info, text, sizeof text - 1) > 0);
  char *mnt = strstr(text, "mnt_id:");
  if (mnt) *mnt = 0;
  printf("fdinfo:\n%s", text);
  close(info);
  /* Writing through a read-only descriptor's link needs write permission on the file. */
  int ro = open("ro.txt", O_RDONLY | O_CREAT, 0444);
  int w = open(fdpath("/proc/self/fd", ro, ""), O_WRONLY);
  int e = errno;
  REL("reopen 0444 for writing iff access(W_OK)", (w >= 0) == (access("ro.txt", W_OK) == 0));
  REL("refused, if at all, with EACCES", w >= 0 || e == EACCES);
  close(ro);
  close(f);
  close(g);
  close(h);
  if (w >= 0) close(w);
}

static void dirs(void) {
  if (mkdir("d", 0755) != 0) exit(93);
  t_put("d/in.txt", "inside");
  int d = open("d", O_RDONLY | O_DIRECTORY);
  char buf[16] = {0};
  int f = open(fdpath("/proc/self/fd", d, "/in.txt"), O_RDONLY);
  T("name below a directory's link", read(f, buf, sizeof buf));
  printf("data: %s\n", buf);
  TOK("dot-dot from it", access(fdpath("/proc/self/fd", d, "/../d/in.txt"), R_OK));
  T("directory link for writing", open(fdpath("/proc/self/fd", d, ""), O_WRONLY));
  close(f);
  close(d);
}

static void hostile(void) {
  const char *bad[] = {"99999", "-1", "007", "+1", "4294967296", "99999999999", "0x1", ""};
  for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%s", bad[i]);
    printf("[%s] ", bad[i]);
    TOK("open", open(p, O_RDONLY));
  }
  int d = open("/dev/fd", O_RDONLY | O_DIRECTORY);
  for (int n = 37; n <= 40; n++) {
    char p[PATH_MAX] = "/dev/fd";
    for (int i = 0; i < n; i++) snprintf(p + strlen(p), sizeof p - strlen(p), "/%d", d);
    errno = 0;
    int r = open(p, O_RDONLY);
    printf("%d hops: %s\n", n, r >= 0 ? "ok" : ename(errno));
    if (r >= 0) close(r);
  }
  close(d);
}

static void named(void) {
  const char *links[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/fd"};
  for (unsigned i = 0; i < 4; i++) printf("%s -> %s\n", links[i], rl(links[i]));
  char buf[8] = {0};
  T("read stdin", read(0, buf, 5));
  int in = open("/dev/stdin", O_RDONLY);
  memset(buf, 0, sizeof buf);
  T("reopened stdin starts at 0", read(in, buf, 5));
  printf("data: %s\n", buf);
  close(in);
  int n = open("/dev/null", O_WRONLY);
  REL("/dev/null's link", strcmp(rl(fdpath("/dev/fd", n, "")), "/dev/null") == 0);
  struct stat st;
  stat(fdpath("/proc/self/fd", n, ""), &st);
  REL("stat through it is the device", S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
  char self[PATH_MAX];
  snprintf(self, sizeof self, "%s", rl(fdpath("/proc/self/fd", n, "")));
  REL("thread-self sees the same", strcmp(self, rl(fdpath("/proc/thread-self/fd", n, ""))) == 0);
  close(n);
}

static void exe(const char *argv0) {
  char real[PATH_MAX];
  if (!realpath(argv0, real)) exit(94);
  REL("exe link is the program's real path", strcmp(rl("/proc/self/exe"), real) == 0);
  int f = open("/proc/self/exe", O_RDONLY);
  char magic[4] = {0};
  T("read exe", read(f, magic, 4));
  REL("it is the ELF", memcmp(magic, "\177ELF", 4) == 0);
  close(f);
}

int main(int argc, char **argv) {
  (void)argc;
  setvbuf(stdout, NULL, _IONBF, 0);
  pipes();
  files();
  dirs();
  hostile();
  named();
  exe(argv[0]);
  return 0;
}
