/*
 * timerfd_create/settime/gettime: clocks and flags, the itimerspec checks
 * and Linux's errno order, the 8-byte read of the expiration count (EAGAIN
 * while none, EINVAL below 8 bytes), one-shot, periodic and absolute
 * timers (a past absolute time expires at once), gettime, disarming,
 * readiness through poll and epoll, a blocking read woken by the timer in
 * another thread, a timer shared with a forked child, and what fstat,
 * lseek, pread, write, /proc/self/fd and fdinfo show.
 */
#include "tproc.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>

#define MS 1000000L

static void rd(const char *label, int fd) {
  uint64_t v = 0;
  errno = 0;
  long r = read(fd, &v, 8);
  if (r == 8) printf("%s: %llu\n", label, (unsigned long long)v);
  else t_value(label, r, errno);
}

static struct itimerspec spec(long value_ns, long interval_ns) {
  struct itimerspec s = {{interval_ns / 1000000000L, interval_ns % 1000000000L}, {value_ns / 1000000000L, value_ns % 1000000000L}};
  return s;
}

static int set(int fd, int flags, long value_ns, long interval_ns) {
  struct itimerspec s = spec(value_ns, interval_ns);
  return timerfd_settime(fd, flags, &s, NULL);
}

static void sleep_ms(long ms) {
  struct timespec d = {ms / 1000, (ms % 1000) * MS};
  nanosleep(&d, NULL);
}

/* Prints the first `lines` lines after ino: in /proc/self/fdinfo/fd. */
static void fdinfo(int fd, int lines) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int f = open(path, O_RDONLY);
  long n = read(f, buf, sizeof buf - 1);
  close(f);
  buf[n > 0 ? n : 0] = 0;
  char *p = strstr(buf, "\nino:");
  p = p ? strchr(p + 1, '\n') : NULL;
  for (int i = 0; p && i < lines; i++) {
    char *e = strchr(p + 1, '\n');
    if (!e) break;
    printf("fdinfo %.*s\n", (int)(e - p - 1), p + 1);
    p = e;
  }
}

static int blocking;
static void *reader(void *arg) {
  uint64_t v = 0;
  long r = read(blocking, &v, 8);
  *(long *)arg = r == 8 ? (long)v : -errno;
  return NULL;
}

int main(void) {
  t_unbuffered();
  T("bad clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
  T("bad clock 5", timerfd_create(CLOCK_REALTIME_COARSE, 0));
  T("bad clock -1", timerfd_create(-1, 0));
  T("bad flags", timerfd_create(CLOCK_MONOTONIC, 1));
  T("O_RDWR flag", timerfd_create(CLOCK_MONOTONIC, O_RDWR));
  int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME};
  for (int i = 0; i < 3; i++) {
    int c = timerfd_create(clocks[i], 0);
    REL("clock ok", c >= 0);
    close(c);
  }

  int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  T("F_GETFD", fcntl(t, F_GETFD));
  T("F_GETFL", fcntl(t, F_GETFL));
  struct stat st;
  T("fstat", fstat(t, &st));
  printf("mode %o size %lld\n", st.st_mode, (long long)st.st_size);
  char path[64], link[128] = {0};
  snprintf(path, sizeof path, "/proc/self/fd/%d", t);
  T("readlink", readlink(path, link, sizeof link - 1));
  printf("link %s\n", link);
  fdinfo(t, 3);

  uint64_t v = 0;
  T("read 4", read(t, &v, 4));
  rd("read disarmed", t);
  T("write", write(t, &v, 8));
  T("lseek", lseek(t, 5, SEEK_SET));
  T("pread", pread(t, &v, 8, 0));

  struct itimerspec s = spec(1000, 0), cur;
  T("settime bad flags", timerfd_settime(t, 4, &s, NULL));
  s.it_value.tv_nsec = 1000000000;
  T("settime nsec 1e9", timerfd_settime(t, 0, &s, NULL));
  s.it_value.tv_nsec = -1;
  T("settime nsec -1", timerfd_settime(t, 0, &s, NULL));
  s = spec(0, 0);
  s.it_interval.tv_sec = -1;
  T("settime interval -1", timerfd_settime(t, 0, &s, NULL));
  s = spec(1000, 0);
  T("settime bad fd", timerfd_settime(-1, 0, &s, NULL));
  T("settime not a timerfd", timerfd_settime(0, 0, &s, NULL));
  T("settime bad flags before bad fd", timerfd_settime(-1, 8, &s, NULL));
  T("settime EFAULT first", timerfd_settime(-1, 8, (void *)8, NULL));
  T("gettime bad fd", timerfd_gettime(-1, &cur));
  T("gettime not a timerfd", timerfd_gettime(0, &cur));
  T("gettime EFAULT", timerfd_gettime(t, (void *)8));
  T("CANCEL_ON_SET", timerfd_settime(t, TFD_TIMER_CANCEL_ON_SET, &s, NULL));
  T("old value EFAULT (timer set)", timerfd_settime(t, 0, &s, (void *)8));

  /* One-shot: expires once. */
  T("one-shot", set(t, 0, 200 * MS, 0));
  T("gettime", timerfd_gettime(t, &cur));
  REL("armed value <= 200 ms", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 200 * MS);
  printf("interval %ld.%09ld\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
  struct pollfd p = {t, POLLIN | POLLOUT, 0};
  T("poll before", poll(&p, 1, 0));
  T("poll waits", poll(&p, 1, 5000));
  printf("revents %#x\n", p.revents);
  rd("read one-shot", t);
  rd("read again", t);
  T("gettime expired", timerfd_gettime(t, &cur));
  printf("value %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

  /* Periodic: the count is the periods that ended. */
  T("periodic", set(t, 0, 2 * MS, 2 * MS));
  sleep_ms(20);
  errno = 0;
  long r = read(t, &v, 8);
  REL("periodic count >= 5", r == 8 && v >= 5);
  T("gettime periodic", timerfd_gettime(t, &cur));
  REL("periodic value <= interval", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 2 * MS);
  printf("interval %ld.%09ld\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
  struct itimerspec old;
  s = spec(0, 0);
  T("disarm", timerfd_settime(t, 0, &s, &old));
  printf("old interval %ld.%09ld\n", (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
  sleep_ms(5);
  rd("read disarmed", t);
  T("gettime disarmed", timerfd_gettime(t, &cur));
  printf("value %ld.%09ld interval %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec, (long)cur.it_interval.tv_sec,
         cur.it_interval.tv_nsec);

  /* Absolute: a past time on the realtime clock expires at once. */
  int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  s.it_interval.tv_sec = 0;
  s.it_interval.tv_nsec = 0;
  s.it_value.tv_sec = now.tv_sec - 10;
  s.it_value.tv_nsec = 0;
  T("abs past", timerfd_settime(rt, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &s, NULL));
  rd("read abs past", rt);
  clock_gettime(CLOCK_MONOTONIC, &now);
  s.it_value.tv_sec = now.tv_sec;
  s.it_value.tv_nsec = now.tv_nsec;
  s.it_value.tv_nsec += 200 * MS;
  if (s.it_value.tv_nsec >= 1000000000L) {
    s.it_value.tv_sec++;
    s.it_value.tv_nsec -= 1000000000L;
  }
  T("abs future (monotonic)", timerfd_settime(t, TFD_TIMER_ABSTIME, &s, NULL));
  rd("read abs future early", t);
  fdinfo(t, 3);

  /* epoll: the timer makes the set ready. */
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
  T("epoll_ctl", epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev));
  memset(&ev, 0, sizeof ev);
  T("epoll_wait", epoll_wait(ep, &ev, 1, 5000));
  printf("events %#x data %u\n", ev.events, ev.data.u32);
  rd("read after epoll", t);
  close(ep);

  /* A blocking read in another thread, woken by the timer. */
  blocking = timerfd_create(CLOCK_MONOTONIC, 0);
  set(blocking, 0, 10 * MS, 0);
  long got = 0;
  pthread_t th;
  pthread_create(&th, NULL, reader, &got);
  pthread_join(th, NULL);
  printf("blocking read: %ld\n", got);

  /* Shared with a child: the child reads the count the parent's timer made. */
  T("fork timer", set(blocking, 0, 5 * MS, 0));
  pid_t c = t_fork();
  if (c == 0) {
    uint64_t n = 0;
    _exit(read(blocking, &n, 8) == 8 ? (int)n : 99);
  }
  t_reap("child read", c);
  rd("parent after child", t);
  close(blocking);
  close(rt);
  close(t);
  return 0;
}
