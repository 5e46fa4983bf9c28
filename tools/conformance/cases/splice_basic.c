/*
 * splice, tee, vmsplice and copy_file_range: Linux's errno rules (flags,
 * EBADF, ESPIPE for an offset on a pipe, EINVAL without a pipe or for a
 * pipe to itself, O_APPEND), file -> pipe with and without an offset, pipe
 * -> file, pipe -> pipe, SPLICE_F_NONBLOCK, the end of a pipe whose writer
 * left, EPIPE without a reader, a blocking splice woken by a writer thread,
 * tee leaving the input in place, vmsplice both ways, and copy_file_range
 * between files (offsets, the end of the input, overlap in one file).
 */
#include "tproc.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

static void show(const char *label, int fd, long n) {
  char buf[128] = {0};
  long r = read(fd, buf, n < (long)sizeof buf - 1 ? n : (long)sizeof buf - 1);
  printf("%s: %ld '%s'\n", label, r, r > 0 ? buf : "");
}

static int wfd;
static void *later_write(void *arg) {
  (void)arg;
  struct timespec d = {0, 20 * 1000 * 1000};
  nanosleep(&d, NULL);
  write(wfd, "late", 4);
  return NULL;
}

int main(void) {
  t_unbuffered();
  signal(SIGPIPE, SIG_IGN);
  t_put("src", "0123456789abcdefghij");
  int src = open("src", O_RDONLY);
  int dst = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
  int app = open("app", O_WRONLY | O_CREAT | O_APPEND, 0644);
  int p[2], q[2];
  pipe(p);
  pipe(q);
  loff_t off = 5;

  T("bad flags", splice(src, NULL, p[1], NULL, 4, 0x10));
  T("bad fd in", splice(-1, NULL, p[1], NULL, 4, 0));
  T("bad fd out", splice(src, NULL, 99, NULL, 4, 0));
  T("in not readable", splice(p[1], NULL, q[1], NULL, 4, 0));
  T("out not writable", splice(src, NULL, p[0], NULL, 4, 0));
  T("no pipe", splice(src, NULL, dst, NULL, 4, 0));
  T("offset on the output pipe", splice(src, NULL, p[1], &off, 4, 0));
  T("offset on the input pipe", splice(p[0], &off, dst, NULL, 4, 0));
  T("pipe to itself", splice(p[0], NULL, p[1], NULL, 4, 0));
  T("offset EFAULT", splice(src, (loff_t *)8, p[1], NULL, 4, 0));
  T("length 0", splice(src, NULL, p[1], NULL, 0, 0));

  T("file -> pipe at offset 5", splice(src, &off, p[1], NULL, 4, 0));
  printf("offset now %lld, file offset %ld\n", (long long)off, (long)lseek(src, 0, SEEK_CUR));
  T("file -> pipe at the file offset", splice(src, NULL, p[1], NULL, 3, 0));
  printf("file offset %ld\n", (long)lseek(src, 0, SEEK_CUR));
  T("pipe -> pipe", splice(p[0], NULL, q[1], NULL, 5, 0));
  T("pipe -> file", splice(q[0], NULL, dst, NULL, 100, 0));
  T("rest -> file", splice(p[0], NULL, dst, NULL, 100, 0));
  off = 0;
  T("O_APPEND with an offset", splice(p[0], NULL, app, &off, 4, 0));
  lseek(dst, 0, SEEK_SET);
  show("dst", dst, 100);
  T("empty pipe, SPLICE_F_NONBLOCK", splice(p[0], NULL, dst, NULL, 4, SPLICE_F_NONBLOCK));
  write(p[1], "xy", 2);
  off = 2;
  T("pipe -> file at offset 2", splice(p[0], NULL, dst, &off, 10, 0));
  printf("offset now %lld\n", (long long)off);
  lseek(dst, 0, SEEK_SET);
  show("dst", dst, 100);

  /* A blocking splice waits for a writer. */
  wfd = p[1];
  pthread_t th;
  pthread_create(&th, NULL, later_write, NULL);
  T("blocking splice", splice(p[0], NULL, q[1], NULL, 100, 0));
  pthread_join(th, NULL);
  show("moved", q[0], 4);

  /* tee copies and leaves the input. */
  write(p[1], "teedata", 7);
  T("tee", tee(p[0], q[1], 100, 0));
  T("tee bad flags", tee(p[0], q[1], 100, 0x10));
  T("tee to itself", tee(p[0], p[1], 100, 0));
  T("tee from a file", tee(src, q[1], 100, 0));
  show("tee output", q[0], 100);
  show("input kept", p[0], 100);
  T("tee empty NONBLOCK", tee(p[0], q[1], 100, SPLICE_F_NONBLOCK));

  /* vmsplice both ways. */
  struct iovec iv[2] = {{"vm", 2}, {"splice", 6}};
  T("vmsplice to the write end", vmsplice(p[1], iv, 2, 0));
  char a[4] = {0}, b[5] = {0};
  struct iovec ov[2] = {{a, 3}, {b, 4}};
  T("vmsplice from the read end", vmsplice(p[0], ov, 2, 0));
  printf("read '%s' '%s'\n", a, b);
  T("vmsplice on a file", vmsplice(src, iv, 2, 0));
  T("vmsplice bad flags", vmsplice(p[1], iv, 2, 0x10));
  T("vmsplice empty NONBLOCK", vmsplice(p[0], ov, 2, SPLICE_F_NONBLOCK));

  /* The writer or reader gone. */
  close(p[1]);
  T("writer gone: end of input", splice(p[0], NULL, dst, NULL, 10, 0));
  close(q[0]);
  T("reader gone: EPIPE", splice(src, NULL, q[1], NULL, 4, 0));

  /* copy_file_range. */
  int c = open("copy", O_RDWR | O_CREAT | O_TRUNC, 0644);
  lseek(src, 0, SEEK_SET);
  T("bad flags", copy_file_range(src, NULL, c, NULL, 5, 1));
  T("bad fd", copy_file_range(-1, NULL, c, NULL, 5, 0));
  int r[2];
  pipe(r);
  T("pipe", copy_file_range(r[0], NULL, c, NULL, 5, 0));
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  T("directory", copy_file_range(dir, NULL, c, NULL, 5, 0));
  T("O_APPEND output", copy_file_range(src, NULL, app, NULL, 5, 0));
  T("read-only output", copy_file_range(src, NULL, src, NULL, 5, 0));
  T("offset EFAULT", copy_file_range(src, (loff_t *)8, c, NULL, 5, 0));
  T("copy 5", copy_file_range(src, NULL, c, NULL, 5, 0));
  printf("offsets %ld %ld\n", (long)lseek(src, 0, SEEK_CUR), (long)lseek(c, 0, SEEK_CUR));
  loff_t oi = 15, oo = 10;
  T("copy at offsets", copy_file_range(src, &oi, c, &oo, 100, 0));
  printf("offsets %lld %lld, file offsets %ld %ld\n", (long long)oi, (long long)oo, (long)lseek(src, 0, SEEK_CUR), (long)lseek(c, 0, SEEK_CUR));
  T("at the end of the input", copy_file_range(src, &oi, c, &oo, 100, 0));
  oi = 0;
  oo = 2;
  T("overlap in one file", copy_file_range(c, &oi, c, &oo, 5, 0));
  oo = 20;
  T("no overlap in one file", copy_file_range(c, &oi, c, &oo, 5, 0));
  struct stat st;
  fstat(c, &st);
  printf("size %lld\n", (long long)st.st_size);
  lseek(c, 0, SEEK_SET);
  char all[64] = {0};
  long n = read(c, all, sizeof all);
  for (long i = 0; i < n; i++)
    if (all[i] == 0) all[i] = '.';
  printf("copy: %ld '%s'\n", n, all);
  return 0;
}
