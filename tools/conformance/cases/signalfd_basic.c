/*
 * signalfd and signalfd4: Linux's errno order (sizemask, mask pointer,
 * flags, descriptor), reading pending signals of the mask as 128-byte
 * signalfd_siginfo records (kill, sigqueue with its value, tgkill, a
 * child's SIGCHLD with its status), several per read, EAGAIN/EINVAL,
 * changing the mask of an existing signalfd, SIGKILL left out of the mask,
 * readiness through poll and epoll, a blocking read woken by a signal from
 * another thread, a forked child reading its own signals, and what
 * /proc/self/fd and fdinfo show.
 */
#include "tproc.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>

static void show(const char *label, struct signalfd_siginfo *s) {
  printf("%s: signo %u code %d errno %d pid-is-me %d int %d ptr %llu status %d\n", label, s->ssi_signo, s->ssi_code, s->ssi_errno,
         s->ssi_pid == (uint32_t)getpid(), s->ssi_int, (unsigned long long)s->ssi_ptr, s->ssi_status);
}

static void rd(const char *label, int fd) {
  struct signalfd_siginfo s[4];
  memset(s, 0, sizeof s);
  errno = 0;
  long r = read(fd, s, sizeof s);
  if (r < 0) {
    t_value(label, r, errno);
    return;
  }
  printf("%s: %ld records\n", label, r / (long)sizeof s[0]);
  for (long i = 0; i < r / (long)sizeof s[0]; i++) show(label, &s[i]);
}

static void fdinfo_mask(int fd) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int f = open(path, O_RDONLY);
  long n = read(f, buf, sizeof buf - 1);
  close(f);
  buf[n > 0 ? n : 0] = 0;
  char *p = strstr(buf, "sigmask:");
  printf("%s", p ? p : "no sigmask\n");
}

static pid_t me;
static void *later_kill(void *arg) {
  struct timespec d = {0, 20 * 1000 * 1000};
  nanosleep(&d, NULL);
  kill(me, (int)(long)arg);
  return NULL;
}

int main(void) {
  t_unbuffered();
  me = getpid();
  sigset_t m, both;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  sigaddset(&both, SIGRTMIN);
  sigaddset(&both, SIGCHLD);
  sigprocmask(SIG_BLOCK, &both, NULL);

  T("sizemask 4", SC(SYS_signalfd4, -1, &m, 4, 0));
  T("sizemask 16", SC(SYS_signalfd4, -1, &m, 16, 0));
  T("sizemask before EFAULT", SC(SYS_signalfd4, -1, 8L, 4, 0));
  T("mask EFAULT", SC(SYS_signalfd4, -1, 8L, 8, 0));
  T("EFAULT before flags", SC(SYS_signalfd4, -1, 8L, 8, 1));
  T("bad flags", SC(SYS_signalfd4, -1, &m, 8, 1));
  T("bad flags before EBADF", SC(SYS_signalfd4, 999, &m, 8, 1));
  T("fd 999", SC(SYS_signalfd4, 999, &m, 8, 0));
  T("fd -2", SC(SYS_signalfd4, -2, &m, 8, 0));
  T("not a signalfd", SC(SYS_signalfd4, 1, &m, 8, 0));
  T("signalfd sizemask 4", SC(SYS_signalfd, -1, &m, 4));

  int s = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
  T("F_GETFD", fcntl(s, F_GETFD));
  T("F_GETFL", fcntl(s, F_GETFL));
  char path[64], link[128] = {0};
  snprintf(path, sizeof path, "/proc/self/fd/%d", s);
  T("readlink", readlink(path, link, sizeof link - 1));
  printf("link %s\n", link);
  fdinfo_mask(s);
  char small[64];
  T("read 64", read(s, small, sizeof small));
  rd("read empty", s);
  T("lseek", lseek(s, 3, SEEK_SET));
  T("write", write(s, small, 8));

  struct pollfd p = {s, POLLIN | POLLOUT, 0};
  T("poll empty", poll(&p, 1, 0));
  kill(me, SIGUSR1);
  T("poll after kill", poll(&p, 1, 0));
  printf("revents %#x\n", p.revents);
  rd("read kill", s);

  /* A signal outside the mask stays pending; the mask can change. */
  kill(me, SIGUSR2);
  rd("USR2 not in mask", s);
  T("update mask", signalfd(s, &both, 0) == s);
  T("F_GETFL after update", fcntl(s, F_GETFL));
  fdinfo_mask(s);
  union sigval v = {.sival_int = 42};
  sigqueue(me, SIGRTMIN, v);
  v.sival_int = 43;
  sigqueue(me, SIGRTMIN, v);
  rd("read three", s);
  SC(SYS_tgkill, me, SC(SYS_gettid), SIGUSR1);
  rd("read tgkill", s);

  /* SIGKILL and SIGSTOP never join the mask. */
  sigset_t k;
  sigemptyset(&k);
  sigaddset(&k, SIGKILL);
  sigaddset(&k, SIGSTOP);
  sigaddset(&k, SIGUSR1);
  int sk = signalfd(-1, &k, 0);
  fdinfo_mask(sk);
  close(sk);

  /* A child's end, as SIGCHLD. */
  pid_t c = t_fork();
  if (c == 0) _exit(3);
  struct signalfd_siginfo si;
  int sb = signalfd(-1, &both, 0);
  T("read SIGCHLD", read(sb, &si, sizeof si));
  printf("signo %u code %d status %d pid-is-child %d\n", si.ssi_signo, si.ssi_code, si.ssi_status, si.ssi_pid == (uint32_t)c);
  t_reap("child", c);

  /* epoll sees it. */
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5};
  T("epoll_ctl", epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
  T("epoll_wait empty", epoll_wait(ep, &ev, 1, 0));
  pthread_t th;
  pthread_create(&th, NULL, later_kill, (void *)(long)SIGUSR2);
  memset(&ev, 0, sizeof ev);
  T("epoll_wait", epoll_wait(ep, &ev, 1, 5000));
  printf("events %#x data %u\n", ev.events, ev.data.u32);
  pthread_join(th, NULL);
  rd("read after epoll", s);
  close(ep);

  /* A blocking read, woken by a signal another thread sends. */
  pthread_create(&th, NULL, later_kill, (void *)(long)SIGUSR1);
  T("blocking read", read(sb, &si, sizeof si));
  printf("signo %u\n", si.ssi_signo);
  pthread_join(th, NULL);

  /* After fork the child reads its own signals, not its parent's. */
  kill(me, SIGUSR2);
  c = t_fork();
  if (c == 0) {
    struct signalfd_siginfo cs;
    if (read(sb, &cs, sizeof cs) != sizeof cs) _exit(90);
    _exit(cs.ssi_signo == SIGUSR1 && cs.ssi_pid == (uint32_t)getppid() ? 0 : 91);
  }
  struct timespec d = {0, 20 * 1000 * 1000};
  nanosleep(&d, NULL);
  kill(c, SIGUSR1);
  t_reap("child read", c);
  rd("parent's own still pending", s);
  return 0;
}
