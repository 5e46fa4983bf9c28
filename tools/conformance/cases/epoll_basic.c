/*
 * epoll: create and ctl errors in Linux's order, level- and edge-triggered
 * reports, EPOLLONESHOT, HUP/ERR, maxevents and ready-list order, the last
 * close of a file leaving the set, nested sets (ELOOP), wait errors, a wait
 * woken by another thread, epoll_pwait ended by a signal its mask lets
 * through, and a set shared with a forked child.
 */
#include "tproc.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>

static int ep;

/* epoll_wait(ep, .., max, timeout): prints the count, then "events=0x.. data=N" per event. */
static void show(const char *label, int set, int max, int timeout) {
  struct epoll_event ev[8];
  errno = 0;
  int n = epoll_wait(set, ev, max, timeout);
  t_value(label, n, errno);
  for (int i = 0; i < n; i++) printf("  events=%#x data=%llu\n", ev[i].events, (unsigned long long)ev[i].data.u64);
}

static int add(int set, int fd, unsigned events, unsigned long long data) {
  struct epoll_event ev = {.events = events, .data.u64 = data};
  return epoll_ctl(set, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int set, int fd, unsigned events, unsigned long long data) {
  struct epoll_event ev = {.events = events, .data.u64 = data};
  return epoll_ctl(set, EPOLL_CTL_MOD, fd, &ev);
}

static void errors(void) {
  T("epoll_create 0", epoll_create(0));
  T("epoll_create -1", epoll_create(-1));
  T("epoll_create1 bad flag", epoll_create1(1));
  int e = epoll_create1(EPOLL_CLOEXEC);
  T("EPOLL_CLOEXEC sets FD_CLOEXEC", fcntl(e, F_GETFD));
  T("F_GETFL is O_RDWR", fcntl(e, F_GETFL));
  char b[8];
  T("read an epoll fd", read(e, b, 8));
  close(e);

  int p[2];
  pipe(p);
  t_put("file", "x");
  int file = open("file", O_RDONLY);
  int dir = open(".", O_RDONLY);
  int null = open("/dev/null", O_RDWR);
  struct epoll_event ev = {.events = EPOLLIN};
  T("ADD a regular file", epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev));
  T("ADD a directory", epoll_ctl(ep, EPOLL_CTL_ADD, dir, &ev));
  T("ADD /dev/null", epoll_ctl(ep, EPOLL_CTL_ADD, null, &ev));
  T("ADD a bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));
  T("ctl on a bad epfd", epoll_ctl(999, EPOLL_CTL_ADD, p[0], &ev));
  T("ctl on a pipe as epfd", epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev));
  T("ctl on a file as epfd, file target", epoll_ctl(file, EPOLL_CTL_ADD, dir, &ev));
  T("ADD the set to itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
  T("NULL event for ADD", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], NULL));
  T("unknown op, NULL event", epoll_ctl(ep, 99, p[0], NULL));
  T("unknown op", epoll_ctl(ep, 99, p[0], &ev));
  T("MOD absent", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
  T("DEL absent, NULL event", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  T("ADD", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  T("ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  T("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  T("EXCLUSIVE with ONESHOT", add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0));
  T("EXCLUSIVE with RDHUP", add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP, 0));
  T("EXCLUSIVE|ET|WAKEUP", add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLET | EPOLLWAKEUP, 0));
  T("MOD an exclusive item", mod(ep, p[0], EPOLLIN, 0));
  T("MOD with EXCLUSIVE", mod(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE, 0));
  int inner = epoll_create1(0);
  T("EXCLUSIVE on a set", add(ep, inner, EPOLLIN | EPOLLEXCLUSIVE, 0));
  T("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));

  struct epoll_event out[2];
  T("wait maxevents 0", epoll_wait(ep, out, 0, 0));
  T("wait maxevents -1", epoll_wait(ep, out, -1, 0));
  T("wait maxevents past INT_MAX/12", epoll_wait(ep, out, 178956971, 0));
  T("wait on a bad fd", epoll_wait(999, out, 1, 0));
  T("wait on a pipe", epoll_wait(p[0], out, 1, 0));
  T("wait at the top of user space", epoll_wait(ep, (void *)0x7ffffffff000, 1, 0));
  T("wait NULL, nothing ready", epoll_wait(ep, NULL, 1, 0));
  add(ep, p[1], EPOLLOUT, 0);
  T("wait NULL, one ready", epoll_wait(ep, NULL, 1, 0));
  epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL);
  close(inner);
  close(p[0]);
  close(p[1]);
  close(file);
  close(dir);
  close(null);
}

static void triggers(void) {
  int p[2];
  pipe2(p, O_NONBLOCK);
  char b[16];
  T("ADD level-triggered", add(ep, p[0], EPOLLIN, 1));
  show("LT empty", ep, 8, 0);
  write(p[1], "ab", 2);
  show("LT after a write", ep, 8, 0);
  show("LT again", ep, 8, 0);
  read(p[0], b, sizeof b);
  show("LT drained", ep, 8, 0);

  T("MOD to edge-triggered", mod(ep, p[0], EPOLLIN | EPOLLET, 2));
  write(p[1], "c", 1);
  show("ET after a write", ep, 8, 0);
  show("ET again", ep, 8, 0);
  write(p[1], "d", 1);
  show("ET after another write", ep, 8, 0);
  read(p[0], b, sizeof b);

  T("MOD to one-shot", mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 3));
  write(p[1], "e", 1);
  show("ONESHOT", ep, 8, 0);
  write(p[1], "f", 1);
  show("ONESHOT disabled", ep, 8, 0);
  T("MOD re-arms", mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 4));
  show("ONESHOT re-armed", ep, 8, 0);

  T("MOD level-triggered", mod(ep, p[0], EPOLLIN, 5));
  close(p[1]);
  show("writer closed, data left", ep, 8, 0);
  read(p[0], b, sizeof b);
  show("writer closed, drained", ep, 8, 0);
  close(p[0]);
  show("read end closed: gone from the set", ep, 8, 0);

  pipe(p);
  add(ep, p[1], EPOLLOUT, 6);
  close(p[0]);
  show("reader closed", ep, 8, 0);
  close(p[1]);
}

static void order(void) {
  int e[3];
  for (int i = 0; i < 3; i++) {
    e[i] = eventfd(1, 0);
    add(ep, e[i], EPOLLIN, 10 + i);
  }
  show("maxevents 2", ep, 2, 0);
  show("maxevents 2, next", ep, 2, 0);
  uint64_t v;
  read(e[0], &v, 8);
  show("one drained", ep, 8, 0);
  for (int i = 0; i < 3; i++) close(e[i]);
  show("all closed", ep, 8, 0);
}

static void last_close(void) {
  int p[2];
  pipe(p);
  int dup_r = dup(p[0]);
  add(ep, p[0], EPOLLIN, 20);
  write(p[1], "x", 1);
  close(p[0]);
  show("closed, a dup still open: still reported", ep, 8, 0);
  T("DEL by the closed number", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  close(dup_r);
  show("last descriptor closed", ep, 8, 0);
  close(p[1]);
}

static void nested(void) {
  int inner = epoll_create1(0), p[2];
  pipe(p);
  add(inner, p[0], EPOLLIN, 30);
  T("ADD a set to a set", add(ep, inner, EPOLLIN, 31));
  show("outer, inner empty", ep, 8, 0);
  struct pollfd pf = {inner, POLLIN, 0};
  T("poll the inner set", poll(&pf, 1, 0));
  write(p[1], "x", 1);
  show("outer, inner ready", ep, 8, 0);
  T("poll the inner set", poll(&pf, 1, 0));
  printf("revents: %#x\n", pf.revents);
  show("inner", inner, 8, 0);
  T("ADD outer to inner: a cycle", add(inner, ep, EPOLLIN, 0));
  int chain[6];
  for (int i = 0; i < 6; i++) chain[i] = epoll_create1(0);
  for (int i = 0; i < 5; i++) {
    char label[32];
    snprintf(label, sizeof label, "chain link %d", i + 1);
    T(label, add(chain[i], chain[i + 1], EPOLLIN, 0));
  }
  for (int i = 0; i < 6; i++) close(chain[i]);
  epoll_ctl(ep, EPOLL_CTL_DEL, inner, NULL);
  close(inner);
  close(p[0]);
  close(p[1]);
}

static int wake_fd;
static void *writer(void *arg) {
  (void)arg;
  struct timespec d = {0, 20 * 1000 * 1000};
  nanosleep(&d, NULL);
  uint64_t one = 1;
  write(wake_fd, &one, 8);
  return NULL;
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig) { (void)sig; handled = 1; }
static void *signaller(void *arg) {
  struct timespec d = {0, 20 * 1000 * 1000};
  nanosleep(&d, NULL);
  pthread_kill(*(pthread_t *)arg, SIGUSR1);
  return NULL;
}

static void waits(void) {
  wake_fd = eventfd(0, 0);
  add(ep, wake_fd, EPOLLIN, 40);
  show("timeout 10ms", ep, 8, 10);
  pthread_t t;
  pthread_create(&t, NULL, writer, NULL);
  show("woken by another thread", ep, 8, -1);
  pthread_join(t, NULL);
  uint64_t v;
  read(wake_fd, &v, 8);

  signal(SIGUSR1, on_usr1);
  sigset_t block, none;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigemptyset(&none);
  pthread_sigmask(SIG_BLOCK, &block, NULL);
  pthread_t self = pthread_self();
  pthread_create(&t, NULL, signaller, &self);
  struct epoll_event ev[1];
  T("epoll_pwait, SIGUSR1 blocked: times out", epoll_pwait(ep, ev, 1, 60, &block));
  T("epoll_pwait, mask lets it through", epoll_pwait(ep, ev, 1, -1, &none));
  printf("handler ran: %d\n", (int)handled);
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, NULL, &now);
  printf("SIGUSR1 blocked again: %d\n", sigismember(&now, SIGUSR1));
  pthread_join(t, NULL);
  struct timespec zero = {0, 0};
  T("epoll_pwait2 zero timeout", syscall(SYS_epoll_pwait2, ep, ev, 1, &zero, NULL, 8));
  struct timespec bad = {0, 1000000000};
  T("epoll_pwait2 bad timeout", syscall(SYS_epoll_pwait2, ep, ev, 1, &bad, NULL, 8));
  T("epoll_pwait bad sigsetsize", syscall(SYS_epoll_pwait, ep, ev, 1, 0, &none, 4));
  epoll_ctl(ep, EPOLL_CTL_DEL, wake_fd, NULL);
  close(wake_fd);
}

static void forked(void) {
  int p[2];
  pipe(p);
  add(ep, p[0], EPOLLIN, 50);
  pid_t pid = fork();
  if (pid == 0) _exit(add(ep, p[1], EPOLLOUT, 51) == 0 ? 0 : 1);
  t_reap("child added the write end to the shared set", pid);
  show("the parent sees its item", ep, 8, 0);
  epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL);
  pid = fork();
  if (pid == 0) _exit(add(ep, eventfd(1, 0), EPOLLIN, 52) == 0 ? 0 : 1);
  t_reap("child added an eventfd of its own", pid);
  show("its exit closed the eventfd: gone from the set", ep, 8, 0);
  pid = fork();
  if (pid == 0) {
    close(ep);
    close(p[0]);
    write(p[1], "x", 1);
    _exit(0);
  }
  t_reap("child closed its copies and wrote", pid);
  show("the parent's set still holds the pipe", ep, 8, 0);
  close(p[0]);
  close(p[1]);
}

int main(void) {
  t_unbuffered();
  ep = epoll_create(1);
  errors();
  triggers();
  order();
  last_close();
  nested();
  waits();
  forked();
  return 0;
}
