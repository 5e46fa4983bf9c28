/*
 * pidfds beyond the basics of wait_pidfd: which pids pidfd_open takes (a
 * thread is EINVAL, a zombie is fine), PIDFD_NONBLOCK (waitid is EAGAIN
 * while the child runs), what /proc shows (anon_inode:[pidfd], fdinfo's
 * Pid line, -1 once reaped), read and write, readiness through epoll and
 * select (a waiter sleeps until the exit) and POLLHUP once reaped,
 * pidfd_send_signal with a siginfo (rt_sigqueueinfo's rules), CLONE_PIDFD
 * through clone3 and its errors, and pidfd_getfd. Errors are those of
 * Linux 6.18 (pidfd_open of a non-leader thread was EINVAL before 6.15; the
 * pidfd_send_signal scopes are 6.13's).
 */
#include "tproc.h"
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef PIDFD_SIGNAL_THREAD
#define PIDFD_SIGNAL_THREAD 1
#define PIDFD_SIGNAL_THREAD_GROUP 2
#define PIDFD_SIGNAL_PROCESS_GROUP 4
#endif

static int pidfd_open(pid_t pid, unsigned flags) { return (int)SC(SYS_pidfd_open, pid, flags); }

/* The "Pid:" value in /proc/self/fdinfo/<fd>, or -2 without one. */
static long fdinfo_pid(int fd) {
  char path[64], line[128];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  FILE *f = fopen(path, "r");
  long pid = -2;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Pid: %ld", &pid) == 1) break;
  if (f) fclose(f);
  return pid;
}

static volatile pid_t thread_tid;
static void *record_tid(void *arg) {
  (void)arg;
  thread_tid = gettid();
  for (;;) pause();
  return NULL;
}

static void which_pids(void) {
  pthread_t th;
  pthread_create(&th, NULL, record_tid, NULL);
  while (thread_tid == 0) sched_yield();
  T("pidfd_open of a thread that is not a leader", pidfd_open(thread_tid, 0));
  T("pidfd_open of -1", pidfd_open(-1, 0));
  int self = pidfd_open(getpid(), 0);
  REL("pidfd_open of itself", self >= 0);
  close(self);

  pid_t c = t_fork();
  if (c == 0) _exit(3);
  siginfo_t si;
  waitid(P_PID, c, &si, WEXITED | WNOWAIT); /* a zombie now */
  int fd = pidfd_open(c, 0);
  REL("pidfd_open of a zombie", fd >= 0);
  struct pollfd p = {.fd = fd, .events = POLLIN};
  T("a zombie's pidfd is readable at once", poll(&p, 1, 0));
  printf("revents of a zombie's pidfd: %#x\n", p.revents);
  REL("fdinfo names the zombie", fdinfo_pid(fd) == c);
  t_reap("the zombie", c);
  T("poll after it was reaped", poll(&p, 1, 0));
  printf("revents once reaped: %#x\n", p.revents);
  T("fdinfo Pid once reaped", fdinfo_pid(fd));
  T("pidfd_open once reaped", pidfd_open(c, 0));
  close(fd);
}

static void nonblocking(void) {
  struct t_gate g;
  t_gate_open(&g);
  pid_t c = t_gated_child(&g, 5);
  int fd = pidfd_open(c, PIDFD_NONBLOCK);
  REL("PIDFD_NONBLOCK: O_NONBLOCK in F_GETFL", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  printf("access mode: %s\n", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR ? "O_RDWR" : "other");
  siginfo_t si;
  T("waitid on a running child through a nonblocking pidfd", waitid(P_PIDFD, fd, &si, WEXITED));
  memset(&si, 0xff, sizeof si);
  T("with WNOHANG", waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG));
  REL("WNOHANG cleared si_pid", si.si_pid == 0);
  T("waitid P_PIDFD -1", waitid(P_PIDFD, -1, &si, WEXITED));
  T("waitid P_PIDFD without options", waitid(P_PIDFD, fd, &si, 0));
  char b[8];
  T("read a pidfd", read(fd, b, sizeof b));
  T("write a pidfd", write(fd, b, sizeof b));

  char path[64], link[64] = "";
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  T("readlink /proc/self/fd of a pidfd", readlink(path, link, sizeof link - 1));
  printf("it reads %s\n", link);
  REL("fdinfo names the child", fdinfo_pid(fd) == c);

  /* epoll and select wait until the child ends. */
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
  T("epoll_ctl ADD a pidfd", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
  T("epoll_wait while it runs", epoll_wait(ep, &ev, 1, 0));
  t_gate_pass(&g);
  memset(&ev, 0, sizeof ev);
  T("epoll_wait until it exits", epoll_wait(ep, &ev, 1, -1));
  printf("event %#x, data %u\n", ev.events, ev.data.u32);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(fd, &rd);
  T("select once it exited", select(fd + 1, &rd, NULL, NULL, NULL));
  memset(&si, 0, sizeof si);
  T("waitid P_PIDFD once it exited", waitid(P_PIDFD, fd, &si, WEXITED));
  printf("status %d, code %s\n", si.si_status, si.si_code == CLD_EXITED ? "CLD_EXITED" : "other");
  close(ep);
  close(fd);
  t_gate_close(&g);
}

static volatile int got_value, got_code;
static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)ctx;
  got_code = si->si_code;
  got_value = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
}

static const char *code_name(int code) {
  return code == SI_USER ? "SI_USER" : code == SI_TKILL ? "SI_TKILL" : code == SI_QUEUE ? "SI_QUEUE" : "other";
}

/* The scopes of Linux 6.13: the thread the pidfd names, its process, or the process group named after it. */
static void scopes(int self) {
  T("PIDFD_SIGNAL_THREAD to itself", SC(SYS_pidfd_send_signal, self, SIGUSR1, NULL, PIDFD_SIGNAL_THREAD));
  printf("si_code %s\n", code_name(got_code));
  T("PIDFD_SIGNAL_THREAD_GROUP to itself", SC(SYS_pidfd_send_signal, self, SIGUSR1, NULL, PIDFD_SIGNAL_THREAD_GROUP));
  printf("si_code %s\n", code_name(got_code));
  T("two scopes", SC(SYS_pidfd_send_signal, self, SIGUSR1, NULL, PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP));
  T("an unknown scope", SC(SYS_pidfd_send_signal, self, SIGUSR1, NULL, 8));

  struct t_gate g;
  t_gate_open(&g);
  pid_t c = t_gated_child(&g, 0);
  int fd = pidfd_open(c, 0);
  T("PIDFD_SIGNAL_PROCESS_GROUP: no group is named after the child", SC(SYS_pidfd_send_signal, fd, SIGTERM, NULL, PIDFD_SIGNAL_PROCESS_GROUP));
  T("setpgid(child, child)", setpgid(c, c));
  T("PIDFD_SIGNAL_PROCESS_GROUP: its own group now", SC(SYS_pidfd_send_signal, fd, SIGTERM, NULL, PIDFD_SIGNAL_PROCESS_GROUP));
  t_reap("the child", c);
  close(fd);
  t_gate_close(&g);
}

static void send_signal(void) {
  struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO};
  sigaction(SIGUSR1, &sa, NULL);
  int self = pidfd_open(getpid(), 0);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = SIGUSR1;
  info.si_code = SI_QUEUE;
  info.si_value.sival_int = 42;
  info.si_pid = getpid();
  T("pidfd_send_signal with a SI_QUEUE siginfo to itself", SC(SYS_pidfd_send_signal, self, SIGUSR1, &info, 0));
  printf("the handler saw value %d\n", got_value);
  T("si_signo differs from sig", SC(SYS_pidfd_send_signal, self, SIGUSR2, &info, 0));
  T("siginfo unmapped", SC(SYS_pidfd_send_signal, self, SIGUSR1, (void *)8, 0));
  T("signal 0", SC(SYS_pidfd_send_signal, self, 0, NULL, 0));
  T("signal 65", SC(SYS_pidfd_send_signal, self, 65, NULL, 0));
  T("bad descriptor", SC(SYS_pidfd_send_signal, 999, SIGUSR1, NULL, 0));
  scopes(self);
  close(self);

  struct t_gate g;
  t_gate_open(&g);
  pid_t c = t_gated_child(&g, 0);
  int fd = pidfd_open(c, 0);
  info.si_code = SI_USER;
  T("posing as kill() towards another process", SC(SYS_pidfd_send_signal, fd, SIGUSR1, &info, 0));
  info.si_code = SI_TKILL;
  T("posing as tkill() towards another process", SC(SYS_pidfd_send_signal, fd, SIGUSR1, &info, 0));
  t_gate_pass(&g);
  siginfo_t si;
  waitid(P_PID, c, &si, WEXITED | WNOWAIT);
  T("SIGKILL to a zombie", SC(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0));
  t_reap("the child", c);
  close(fd);
  t_gate_close(&g);
}

struct clone3_buf {
  struct clone_args a;
  uint64_t pad[4];
};

/* clone3 as fork: the child's pid (0 in the child) or -1 with errno. */
static long fork3(struct clone_args *a) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_clone3), "D"(a), "S"(sizeof *a) : "rcx", "r11", "memory");
  if (ret < 0) errno = (int)-ret;
  return ret < 0 ? -1 : ret;
}

/* A clone3 that must fail: a child made anyway (a bug) exits 98 at once and is reaped. */
static void fork3_fails(const char *label, struct clone_args *a) {
  errno = 0;
  long r = fork3(a);
  if (r == 0) _exit(98);
  t_value(label, r, errno);
  if (r > 0) t_reap(label, (pid_t)r);
}

/* A legacy clone (as fork) that must fail: a child made anyway (a bug) exits 98 at once and is reaped. */
static void clone_fails(const char *label, unsigned long flags, int *ptid) {
  errno = 0;
  long r = SC(SYS_clone, flags, 0L, ptid, 0L, 0L);
  if (r == 0) _exit(98);
  t_value(label, r, errno);
  if (r > 0) t_reap(label, (pid_t)r);
}

static void clone_pidfd(void) {
  int pfd = -1, ptid = -1;
  clone_fails("clone PIDFD with PARENT_SETTID", CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, &pfd);
  clone_fails("clone PIDFD with an unmapped parent_tid", CLONE_PIDFD | SIGCHLD, (int *)8);
  T("no child was made", waitpid(-1, NULL, __WALL | WNOHANG));

  static struct clone3_buf b;
  memset(&b, 0, sizeof b);
  b.a.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
  b.a.pidfd = (uint64_t)(uintptr_t)&pfd;
  b.a.parent_tid = (uint64_t)(uintptr_t)&ptid;
  b.a.exit_signal = SIGCHLD;
  long r = fork3(&b.a);
  if (r == 0) _exit(6);
  REL("clone3 PIDFD and PARENT_SETTID: a pidfd", r > 0 && pfd >= 0 && pfd != ptid);
  REL("and the tid", ptid == r);
  REL("close-on-exec", (fcntl(pfd, F_GETFD) & FD_CLOEXEC) != 0);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  T("waitid on it", waitid(P_PIDFD, pfd, &si, WEXITED));
  printf("status %d\n", si.si_status);
  close(pfd);

  b.a.parent_tid = (uint64_t)(uintptr_t)&pfd;
  fork3_fails("clone3 PIDFD and PARENT_SETTID at one address", &b.a);
  b.a.flags = CLONE_PIDFD;
  b.a.pidfd = 8;
  fork3_fails("clone3 PIDFD unmapped", &b.a);
  T("still no child", waitpid(-1, NULL, __WALL | WNOHANG));
}

static void getfd(void) {
  int p[2];
  pipe(p);
  struct t_gate g;
  t_gate_open(&g);
  pid_t c = t_fork();
  if (c == 0) {
    dup2(p[1], 40);
    t_gate_pass(&g); /* fd 40 is there */
    for (;;) pause();
  }
  close(p[1]);
  t_gate_wait(&g);
  int fd = pidfd_open(c, 0);
  int got = (int)SC(SYS_pidfd_getfd, fd, 40, 0);
  REL("pidfd_getfd of the child's fd 40", got >= 0);
  REL("close-on-exec", (fcntl(got, F_GETFD) & FD_CLOEXEC) != 0);
  T("write through it", write(got, "hi", 2));
  char buf[4] = "";
  T("the pipe has it", read(p[0], buf, sizeof buf));
  T("pidfd_getfd of a closed fd", SC(SYS_pidfd_getfd, fd, 41, 0));
  T("pidfd_getfd flags 1", SC(SYS_pidfd_getfd, fd, 40, 1));
  T("pidfd_getfd on a pipe", SC(SYS_pidfd_getfd, p[0], 40, 0));
  T("pidfd_getfd on a bad descriptor", SC(SYS_pidfd_getfd, 999, 40, 0));
  close(got);
  SC(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
  siginfo_t si;
  waitid(P_PID, c, &si, WEXITED | WNOWAIT);
  T("pidfd_getfd of a zombie", SC(SYS_pidfd_getfd, fd, 40, 0));
  t_reap("the child", c);
  T("pidfd_getfd once reaped", SC(SYS_pidfd_getfd, fd, 40, 0));
  close(fd);
  close(p[0]);
  t_gate_close(&g);
}

int main(void) {
  t_unbuffered();
  which_pids();
  nonblocking();
  send_signal();
  clone_pidfd();
  getfd();
  return 0;
}
