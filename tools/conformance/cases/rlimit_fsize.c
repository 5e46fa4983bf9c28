/* RLIMIT_FSIZE: writes are cut at the limit, a write or truncate past it is
 * EFBIG with SIGXFSZ, pipes are not limited, and SIGXFSZ's default action
 * ends the process. */
#include "t.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define LIM 65536L

static volatile int xfsz;
static void on_xfsz(int sig) { (void)sig; xfsz++; }

static long size_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (long)st.st_size : -1;
}

int main(void) {
  static char buf[LIM + 4096];
  memset(buf, 'x', sizeof buf);
  struct rlimit rl = {LIM, LIM};
  TOK("setrlimit", setrlimit(RLIMIT_FSIZE, &rl));
  signal(SIGXFSZ, on_xfsz);

  int fd = open("f", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  T("write below", write(fd, buf, LIM - 100));
  T("write crossing is cut", write(fd, buf, 1000));
  T("signals so far", xfsz);
  T("write at the limit", write(fd, buf, 1));
  T("signals after", xfsz);
  T("size", size_of(fd));
  T("pwrite crossing", pwrite(fd, buf, 10, LIM - 1));
  T("pwrite past", pwrite(fd, buf, 10, LIM + 5));
  struct iovec iov[2] = {{buf, 10}, {buf, 10}};
  T("pwritev crossing", pwritev(fd, iov, 2, LIM - 15));
  T("zero-length write past", pwrite(fd, buf, 0, LIM + 5));
  T("ftruncate past", ftruncate(fd, LIM + 1));
  T("ftruncate to it", ftruncate(fd, LIM));
  T("ftruncate below", ftruncate(fd, 10));
  T("truncate past", truncate("f", LIM + 1));
  T("truncate to it", truncate("f", LIM));
  int rd = open("f", O_RDONLY);
  T("ftruncate of a read-only fd", ftruncate(rd, LIM + 1));
  close(rd);
  int ap = open("f", O_WRONLY | O_APPEND);
  T("append at the limit", write(ap, buf, 1));
  close(ap);
  T("signals", xfsz);

  int p[2];
  TOK("pipe", pipe(p));
  fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
  T("pipe write past the limit", write(p[1], buf, LIM + 4096));

  pid_t c = fork();
  if (c == 0) {
    signal(SIGXFSZ, SIG_DFL);
    lseek(fd, LIM, SEEK_SET);
    write(fd, buf, 1);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  REL("child killed by SIGXFSZ", WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ);
  signal(SIGXFSZ, SIG_IGN);
  T("ignored: still EFBIG", pwrite(fd, buf, 1, LIM));
  return 0;
}
