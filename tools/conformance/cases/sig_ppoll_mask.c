/*
 * ppoll and pselect6 wait with their sigmask as the blocked set: a pending
 * signal it lets through interrupts the wait at once and its handler runs
 * on the temporary mask's terms while the frame saves the original one; a
 * wait that finds a descriptor ready or times out restores the mask at
 * once, leaving the signal pending; a pending ignored signal restarts the
 * wait; the sigset size must be 8.
 */
#include "t.h"
#include <poll.h>
#include <sys/select.h>
#include <time.h>
#include <ucontext.h>

static volatile int runs, usr2_blocked_inside, frame_blocks_usr1, frame_blocks_usr2;

static void on_usr1(int sig, siginfo_t *si, void *ucv) {
  (void)sig;
  (void)si;
  ucontext_t *uc = ucv;
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  runs++;
  usr2_blocked_inside = sigismember(&cur, SIGUSR2);
  frame_blocks_usr1 = sigismember(&uc->uc_sigmask, SIGUSR1);
  frame_blocks_usr2 = sigismember(&uc->uc_sigmask, SIGUSR2);
}

static void report(const char *what) {
  sigset_t cur, pend;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  sigpending(&pend);
  printf("%s: handler runs %d, USR1 blocked %d, USR2 blocked %d, USR1 pending %d\n", what, runs, sigismember(&cur, SIGUSR1),
         sigismember(&cur, SIGUSR2), sigismember(&pend, SIGUSR1));
  runs = 0;
}

int main(void) {
  int p[2];
  if (pipe(p) != 0) return 90;
  struct pollfd rd = {p[0], POLLIN, 0};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);

  sigset_t both, none;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &both, NULL);
  struct timespec ten = {10, 0}, short_ = {0, 20000000};
  struct timespec ten_again = {10, 0};

  raise(SIGUSR1);
  /* Raw calls where the time left matters: glibc's ppoll passes a copy of the timeout. */
  T("ppoll letting a pending SIGUSR1 through (SA_RESTART does not matter)", SC(SYS_ppoll, &rd, 1, &ten, &none, 8));
  report("after");
  printf("inside the handler: USR2 blocked %d; the frame saved USR1 %d USR2 %d\n", usr2_blocked_inside, frame_blocks_usr1,
         frame_blocks_usr2);
  REL("time left written back, just under 10 s", ten.tv_sec == 9);

  sigset_t only1;
  sigemptyset(&only1);
  sigaddset(&only1, SIGUSR1);
  raise(SIGUSR1);
  T("ppoll whose mask still blocks it", ppoll(&rd, 1, &short_, &only1));
  report("after");
  T("ppoll with a NULL mask", ppoll(&rd, 1, &short_, NULL));
  report("after");

  (void)!write(p[1], "x", 1);
  T("ppoll with a descriptor ready", ppoll(&rd, 1, &ten_again, &none));
  report("after (mask restored at once, signal left pending)");
  char c;
  (void)!read(p[0], &c, 1);
  T("ppoll again, nothing ready", ppoll(&rd, 1, &ten_again, &none));
  report("after");

  struct timespec t20 = {0, 20000000};
  T("ppoll timing out", SC(SYS_ppoll, &rd, 1, &t20, &none, 8));
  report("after");
  REL("time left written as 0", t20.tv_sec == 0 && t20.tv_nsec == 0);

  /* A pending SIGCHLD (ignored by default) that the mask lets through: no handler, so ppoll restarts. */
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  raise(SIGCHLD);
  struct timespec t30 = {0, 30000000};
  T("ppoll past an ignored SIGCHLD", ppoll(&rd, 1, &t30, &none));
  sigset_t pend;
  sigpending(&pend);
  REL("SIGCHLD consumed", !sigismember(&pend, SIGCHLD));

  /* pselect6, through glibc and raw (sigset, size) pairs. */
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(p[0], &rs);
  raise(SIGUSR1);
  struct timespec ten2 = {10, 0};
  T("pselect letting SIGUSR1 through", pselect(p[0] + 1, &rs, NULL, NULL, &ten2, &none));
  report("after");
  REL("read set left as given", FD_ISSET(p[0], &rs));
  struct { const sigset_t *ss; size_t len; } pack = {&none, 4};
  struct timespec zero = {0, 0};
  T("pselect6 sigsetsize 4", SC(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &zero, &pack));
  pack.len = 16;
  T("pselect6 sigsetsize 16", SC(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &zero, &pack));
  pack.ss = (const sigset_t *)8;
  pack.len = 8;
  T("pselect6 unreadable sigset", SC(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &zero, &pack));
  pack.ss = NULL;
  pack.len = 4;
  T("pselect6 NULL sigset, size ignored", SC(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &zero, &pack));
  T("pselect6 unreadable pack", SC(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &zero, (void *)8));

  T("ppoll sigsetsize 4", SC(SYS_ppoll, &rd, 1, &zero, &none, 4));
  T("ppoll sigsetsize 128", SC(SYS_ppoll, &rd, 1, &zero, &none, 128));
  T("ppoll unreadable sigset", SC(SYS_ppoll, &rd, 1, &zero, (void *)8, 8));
  T("ppoll NULL sigset, size ignored", SC(SYS_ppoll, &rd, 1, &zero, NULL, 4));
  T("ppoll unreadable fds, valid mask", SC(SYS_ppoll, (void *)8, 1, &zero, &none, 8));
  report("after the failures (mask untouched)");
  return 0;
}
