/*
 * pidfds: pidfd_open of a child, poll on it (readable once the child has
 * exited), waitid(P_PIDFD), pidfd_send_signal, and clone's CLONE_PIDFD;
 * with the errors for a bad descriptor, a pidfd of a reaped process and
 * unknown flags.
 */
#include "tproc.h"
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int readable(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return (int)poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

int main(void) {
  t_unbuffered();
  struct t_gate g;
  t_gate_open(&g);
  pid_t c = t_fork();
  if (c == 0) {
    t_gate_wait(&g);
    _exit(9);
  }
  int fd = (int)SC(SYS_pidfd_open, c, 0);
  REL("pidfd_open of a child", fd >= 0);
  REL("close-on-exec", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  REL("not readable while it runs", !readable(fd));
  T("pidfd_open unknown flags", SC(SYS_pidfd_open, c, 1));
  T("pidfd_open of a missing pid", SC(SYS_pidfd_open, 4194304 + 7, 0));
  T("pidfd_open pid 0", SC(SYS_pidfd_open, 0, 0));
  siginfo_t si;
  T("waitid P_PIDFD WNOHANG while it runs", waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG));
  t_gate_pass(&g);
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (fd >= 0) T("poll until it exits", poll(&p, 1, -1));
  else T("wait without a pidfd", waitpid(c, NULL, 0) == c ? 0 : -1); /* poll would skip fd -1 and sleep forever */
  memset(&si, 0, sizeof si);
  T("waitid P_PIDFD", waitid(P_PIDFD, fd, &si, WEXITED));
  printf("status %d, pid %s\n", si.si_status, si.si_pid == c ? "right" : "wrong");
  T("pidfd_send_signal after it was reaped", SC(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
  T("waitid P_PIDFD again", waitid(P_PIDFD, fd, &si, WEXITED));
  close(fd);
  T("waitid P_PIDFD on a closed fd", waitid(P_PIDFD, fd, &si, WEXITED));
  T("waitid P_PIDFD on a pipe", waitid(P_PIDFD, g.fd[0], &si, WEXITED));
  T("pidfd_send_signal on a pipe", SC(SYS_pidfd_send_signal, g.fd[0], SIGTERM, NULL, 0));

  c = t_fork();
  if (c == 0) for (;;) pause();
  fd = (int)SC(SYS_pidfd_open, c, 0);
  T("pidfd_send_signal unknown flags", SC(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 99));
  errno = 0;
  long sent = SC(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0);
  t_value("pidfd_send_signal SIGTERM", sent, errno);
  if (sent != 0) kill(c, SIGTERM); /* the case ends either way */
  t_reap("the child", c);
  close(fd);

  /* CLONE_PIDFD: the descriptor arrives through parent_tid (clone's third argument). */
  int cfd = -1;
  long r = SC(SYS_clone, CLONE_PIDFD | SIGCHLD, 0L, &cfd, 0L, 0L);
  if (r == 0) _exit(4);
  REL("clone CLONE_PIDFD gave a descriptor", r > 0 && cfd >= 0);
  if (r > 0) {
    memset(&si, 0, sizeof si);
    T("waitid on it", waitid(P_PIDFD, cfd, &si, WEXITED));
    printf("status %d\n", si.si_status);
  }
  T("no children left", wait(NULL));
  return 0;
}
