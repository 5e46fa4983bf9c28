/*
 * memfd_create and file sealing: flags and name checks in Linux's order,
 * what fstat, F_GETFL and /proc/self/fd show, reading and writing, a
 * MAP_SHARED mapping shared with a forked child, reopening through
 * /proc/self/fd, and F_ADD_SEALS/F_GET_SEALS: the default seals, SEAL_SEAL,
 * SHRINK, GROW (writes past the end), WRITE (EBUSY while a shared mapping
 * exists, then EPERM for writes and writable shared maps), FUTURE_WRITE,
 * EXEC (fixed execute bits; on an executable file it brings the write seals).
 */
#include "tproc.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#ifndef MFD_EXEC
#define MFD_NOEXEC_SEAL 0x8
#define MFD_EXEC 0x10
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x20
#endif

static void link_of(int fd) {
  char path[64], link[512] = {0};
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  errno = 0;
  long n = readlink(path, link, sizeof link - 1);
  if (n < 0) t_value("readlink", n, errno);
  else printf("link %s\n", link);
}

static void stat_of(const char *label, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    t_value(label, -1, errno);
    return;
  }
  printf("%s: mode %o nlink %ld size %lld blksize %ld uid-is-me %d\n", label, st.st_mode, (long)st.st_nlink, (long long)st.st_size,
         (long)st.st_blksize, st.st_uid == geteuid());
}

int main(void) {
  t_unbuffered();
  T("bad flag", memfd_create("x", 0x100));
  T("EXEC with NOEXEC_SEAL", memfd_create("x", MFD_EXEC | MFD_NOEXEC_SEAL));
  T("flags before EFAULT", memfd_create((char *)8, 0x100));
  T("EFAULT", memfd_create((char *)8, 0));
  T("EFAULT NULL", SC(SYS_memfd_create, 0L, 0));
  char name[300];
  memset(name, 'n', sizeof name);
  name[249] = 0;
  int n249 = memfd_create(name, 0);
  REL("249-byte name", n249 >= 0);
  link_of(n249);
  close(n249);
  name[249] = 'n';
  name[250] = 0;
  T("250-byte name", memfd_create(name, 0));
  int empty = memfd_create("", 0);
  REL("empty name", empty >= 0);
  link_of(empty);
  close(empty);

  int m = memfd_create("hello", MFD_CLOEXEC);
  T("F_GETFD", fcntl(m, F_GETFD));
  T("F_GETFL", fcntl(m, F_GETFL));
  link_of(m);
  stat_of("fstat", m);
  T("F_GET_SEALS default", fcntl(m, F_GET_SEALS));
  T("F_ADD_SEALS without ALLOW_SEALING", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  T("write", write(m, "hello world", 11));
  T("lseek end", lseek(m, 0, SEEK_END));
  char buf[32] = {0};
  T("pread", pread(m, buf, sizeof buf, 6));
  printf("read %s\n", buf);
  T("ftruncate 8192", ftruncate(m, 8192));
  stat_of("after truncate", m);

  /* A shared mapping is shared with a forked child. */
  char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
  REL("mmap shared", p != MAP_FAILED);
  pid_t c = t_fork();
  if (c == 0) {
    memcpy(p + 4096, "from child", 11);
    p[0] = 'H';
    _exit(0);
  }
  t_reap("child", c);
  printf("parent sees %s / %s\n", p, p + 4096);
  memset(buf, 0, sizeof buf);
  T("pread page 2", pread(m, buf, 10, 4096));
  printf("read %s\n", buf);
  munmap(p, 8192);

  /* Reopened through /proc/self/fd: the same file. */
  int again = t_reopen(m, O_RDWR);
  REL("reopen", again >= 0);
  memset(buf, 0, sizeof buf);
  T("read reopened", read(again, buf, 5));
  printf("read %s\n", buf);
  T("reopened F_GETFL", fcntl(again, F_GETFL));
  close(again);

  /* Sealing. */
  int s = memfd_create("sealed", MFD_ALLOW_SEALING);
  T("seals", fcntl(s, F_GET_SEALS));
  T("bad seal bits", fcntl(s, F_ADD_SEALS, 0x40));
  T("seals 2^32", fcntl(s, F_ADD_SEALS, 1L << 32));
  T("seal nothing", fcntl(s, F_ADD_SEALS, 0));
  T("write", write(s, "hello", 5));
  T("F_SEAL_GROW", fcntl(s, F_ADD_SEALS, F_SEAL_GROW));
  T("write past end", write(s, "x", 1));
  T("pwrite inside", pwrite(s, "H", 1, 0));
  T("pwrite across end", pwrite(s, "xyz", 3, 4));
  T("grow", ftruncate(s, 9));
  T("F_SEAL_SHRINK", fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK));
  T("shrink", ftruncate(s, 2));
  T("same size", ftruncate(s, 5));
  char *q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, s, 0);
  REL("read-only shared map", q != MAP_FAILED);
  T("F_SEAL_WRITE while mapped shared", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
  munmap(q, 4096);
  q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, s, 0);
  REL("private map", q != MAP_FAILED);
  T("F_SEAL_WRITE with a private map", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
  munmap(q, 4096);
  T("write sealed", write(s, "x", 1));
  T("pwrite sealed", pwrite(s, "x", 1, 0));
  T("mmap shared writable", (long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0));
  q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, s, 0);
  REL("mmap shared read-only", q != MAP_FAILED);
  printf("mapped %.5s\n", q);
  munmap(q, 4096);
  memset(buf, 0, sizeof buf);
  T("pread sealed", pread(s, buf, 5, 0));
  printf("read %s\n", buf);
  int ro = t_reopen(s, O_RDONLY);
  T("F_ADD_SEALS read-only", fcntl(ro, F_ADD_SEALS, F_SEAL_SEAL));
  T("F_GET_SEALS read-only", fcntl(ro, F_GET_SEALS));
  close(ro);
  int rw = t_reopen(s, O_RDWR);
  T("write through reopened", write(rw, "x", 1));
  T("O_TRUNC reopen", t_reopen(s, O_RDWR | O_TRUNC));
  close(rw);
  T("F_SEAL_SEAL", fcntl(s, F_ADD_SEALS, F_SEAL_SEAL));
  T("seal after SEAL_SEAL", fcntl(s, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  T("nothing after SEAL_SEAL", fcntl(s, F_ADD_SEALS, 0));
  T("seals", fcntl(s, F_GET_SEALS));

  int fw = memfd_create("future", MFD_ALLOW_SEALING);
  write(fw, "abc", 3);
  T("F_SEAL_FUTURE_WRITE", fcntl(fw, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  T("write future-sealed", write(fw, "x", 1));
  T("mmap shared writable", (long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fw, 0));
  T("truncate", ftruncate(fw, 100));

  /* F_SEAL_EXEC. */
  int ne = memfd_create("noexec", MFD_NOEXEC_SEAL);
  stat_of("NOEXEC_SEAL", ne);
  T("NOEXEC_SEAL seals", fcntl(ne, F_GET_SEALS));
  T("chmod +x", fchmod(ne, 0755));
  T("chmod rw", fchmod(ne, 0600));
  T("NOEXEC_SEAL more seals", fcntl(ne, F_ADD_SEALS, F_SEAL_GROW));
  int ex = memfd_create("exec", MFD_EXEC | MFD_ALLOW_SEALING);
  stat_of("EXEC", ex);
  T("EXEC seals", fcntl(ex, F_GET_SEALS));
  T("F_SEAL_EXEC on 0777", fcntl(ex, F_ADD_SEALS, F_SEAL_EXEC));
  T("seals", fcntl(ex, F_GET_SEALS));
  T("chmod keeping x", fchmod(ex, 0711));
  T("chmod dropping x", fchmod(ex, 0644));

  int fds[2];
  pipe(fds);
  T("F_GET_SEALS on a pipe", fcntl(fds[0], F_GET_SEALS));
  T("F_ADD_SEALS on a pipe", fcntl(fds[1], F_ADD_SEALS, F_SEAL_SEAL));
  T("F_ADD_SEALS read end", fcntl(fds[0], F_ADD_SEALS, F_SEAL_SEAL));
  return 0;
}
