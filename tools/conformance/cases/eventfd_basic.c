/*
 * eventfd and eventfd2: flags, the counter and EFD_SEMAPHORE, the 8-byte
 * rules, the overflow limit, poll readiness, what fstat/lseek/pread and
 * /proc/self/fd show, a blocking read woken by another thread, a blocking
 * write woken by a read, and a counter shared with a forked child.
 */
#include "tproc.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#define MAX UINT64_MAX

static int wr(int fd, uint64_t v) { return write(fd, &v, 8); }

/* read(fd, 8 bytes): prints the value or the errno. */
static void rd(const char *label, int fd) {
  uint64_t v = 0;
  errno = 0;
  long r = read(fd, &v, 8);
  if (r == 8) printf("%s: %llu\n", label, (unsigned long long)v);
  else t_value(label, r, errno);
}

static void revents(const char *label, int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLERR, 0};
  int n = poll(&p, 1, 0);
  printf("%s: %d revents=%#x\n", label, n, p.revents);
}

static int efd;
/* What the other thread read: printed by main after the join, so the output order never depends on which thread runs first. */
static uint64_t other_read;
static long other_r;
static void *later(void *arg) {
  struct timespec d = {0, 20 * 1000 * 1000};
  nanosleep(&d, NULL);
  if (arg) other_r = read(efd, &other_read, 8);
  else wr(efd, 9);
  return NULL;
}

int main(void) {
  t_unbuffered();
  T("eventfd2 bad flag", SC(SYS_eventfd2, 0, 2));
  T("eventfd2 O_RDWR flag", SC(SYS_eventfd2, 0, O_RDWR));
  int e = eventfd(3, EFD_CLOEXEC | EFD_NONBLOCK);
  T("EFD_CLOEXEC", fcntl(e, F_GETFD));
  T("F_GETFL", fcntl(e, F_GETFL));
  int plain = SC(SYS_eventfd, 0xffffffffL);
  T("eventfd F_GETFL", fcntl(plain, F_GETFL));
  rd("initval 2^32-1", plain);
  close(plain);

  struct stat st;
  fstat(e, &st);
  printf("fstat mode %o nlink %ld size %ld\n", st.st_mode, (long)st.st_nlink, (long)st.st_size);
  char link[64] = {0};
  char path[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", e);
  T("readlink", readlink(path, link, sizeof link - 1));
  printf("link: %s\n", link);
  T("lseek", lseek(e, 5, SEEK_SET));
  uint64_t v;
  T("pread", pread(e, &v, 8, 0));
  T("open /proc/self/fd/N", open(path, O_RDWR));

  rd("read the counter", e);
  rd("read at 0, non-blocking", e);
  T("write 5", wr(e, 5));
  T("write 6", wr(e, 6));
  rd("read the sum", e);
  char buf[16] = {1};
  T("read 7 bytes", read(e, buf, 7));
  T("read 0 bytes", read(e, buf, 0));
  T("write 7 bytes", write(e, buf, 7));
  T("write 9 bytes", write(e, buf, 9));
  T("write 0 bytes", write(e, buf, 0));
  T("write a bad pointer", write(e, (void *)16, 8));
  T("write 1", wr(e, 1));
  T("read 16 bytes", read(e, buf, 16));
  struct iovec iov[2] = {{buf, 4}, {buf + 8, 4}};
  wr(e, 2);
  T("readv 4+4", readv(e, iov, 2));

  revents("poll at 0", e);
  T("write 2^64-1", wr(e, MAX));
  T("write 2^64-2", wr(e, MAX - 1));
  revents("poll at 2^64-2", e);
  T("write 1 more, non-blocking", wr(e, 1));
  T("write 0", wr(e, 0));
  rd("read", e);
  T("write 2^64-3", wr(e, MAX - 2));
  revents("poll at 2^64-3", e);
  rd("read", e);

  int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
  rd("semaphore read", sem);
  rd("semaphore read", sem);
  rd("semaphore read at 0", sem);
  close(sem);
  close(e);

  efd = eventfd(0, 0);
  pthread_t t;
  pthread_create(&t, NULL, later, NULL);
  rd("blocking read, woken by a write", efd);
  pthread_join(t, NULL);
  wr(efd, MAX - 1);
  pthread_create(&t, NULL, later, (void *)1);
  T("blocking write, woken by a read", wr(efd, 4));
  pthread_join(t, NULL);
  printf("the other thread read %ld bytes: %llu\n", other_r, (unsigned long long)other_read);
  rd("after both", efd);

  pid_t pid = fork();
  if (pid == 0) _exit(wr(efd, 7) == 8 ? 0 : 1);
  t_reap("child wrote to the shared counter", pid);
  rd("the parent reads it", efd);
  close(efd);
  return 0;
}
