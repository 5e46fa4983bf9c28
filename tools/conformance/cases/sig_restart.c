/*
 * System calls interrupted by signal handlers (signal(7)): SA_RESTART
 * restarts pipe reads, readv and untimed futex waits; without it they fail
 * with EINTR; partial writes return their count; nanosleep and timed futex
 * waits are never restarted; ignored signals interrupt nothing; a pending
 * ignored signal that sigsuspend's mask lets through restarts it. SIGALRM
 * comes from setitimer(ITIMER_REAL) and alarm().
 */
#include "t.h"
#include <linux/futex.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>

static volatile sig_atomic_t hits;
/* What the handler does on its `act_on`-th run: write a byte to `wfd`, set `word` if `set_word`. */
static volatile int wfd = -1, act_on = 1, set_word;
static volatile uint32_t word;

static void on_alrm(int sig) {
  (void)sig;
  if (++hits != act_on) return;
  if (wfd >= 0) (void)!write(wfd, "x", 1);
  if (set_word) word = 1;
}

static void handle(int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alrm;
  sa.sa_flags = flags;
  sigaction(SIGALRM, &sa, NULL);
  hits = 0;
  act_on = 1;
  wfd = -1;
  set_word = 0;
  word = 0;
}

/*
 * SIGALRM after `ms` milliseconds, then every `every` ms (0: once). The
 * waits below use a repeating timer, so a signal that comes before the wait
 * began (a slow machine) is followed by one that interrupts it.
 */
static void arm(long ms, long every) {
  struct itimerval it = {{every / 1000, (every % 1000) * 1000}, {ms / 1000, (ms % 1000) * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void) { arm(0, 0); }

int main(void) {
  int p[2];
  char buf[8];
  if (pipe(p) != 0) return 90;

  handle(SA_RESTART);
  wfd = p[1];
  arm(20, 20);
  T("read, SA_RESTART", read(p[0], buf, sizeof buf));
  disarm();
  REL("handler ran", hits >= 1);

  handle(SA_RESTART);
  wfd = p[1];
  act_on = 3;
  arm(10, 10);
  T("read, SA_RESTART, three signals", read(p[0], buf, sizeof buf));
  disarm();
  REL("handler ran three times", hits >= 3);

  handle(SA_RESTART);
  wfd = p[1];
  arm(20, 20);
  struct iovec iov = {buf, sizeof buf};
  T("readv, SA_RESTART", readv(p[0], &iov, 1));
  disarm();

  handle(0);
  arm(20, 20);
  T("read, no SA_RESTART", read(p[0], buf, sizeof buf));
  disarm();
  REL("handler ran", hits >= 1);

  handle(SA_RESTART);
  static char big[100000];
  arm(20, 20);
  T("write into a full pipe, SA_RESTART", write(p[1], big, sizeof big));
  disarm();
  handle(0);
  arm(20, 20);
  T("write into a full pipe again", write(p[1], big, sizeof big));
  disarm();
  while (SC(SYS_read, p[0], big, sizeof big) == sizeof big) {}
  close(p[0]);
  close(p[1]);
  if (pipe(p) != 0) return 90;

  /* The restarted wait sees the word the handler changed. */
  handle(SA_RESTART);
  set_word = 1;
  arm(20, 20);
  T("futex WAIT, SA_RESTART", SC(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
  disarm();
  handle(0);
  arm(20, 20);
  T("futex WAIT, no SA_RESTART", SC(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
  disarm();
  handle(SA_RESTART);
  struct timespec ten = {10, 0};
  arm(20, 20);
  T("timed futex WAIT, SA_RESTART", SC(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ten, NULL, 0));
  disarm();

  handle(SA_RESTART);
  struct timespec rem = {0, 0};
  arm(20, 20);
  T("nanosleep, SA_RESTART", SC(SYS_nanosleep, &ten, &rem));
  disarm();
  REL("rem set", rem.tv_sec > 0 && rem.tv_sec <= 10);

  /* An ignored signal interrupts nothing. */
  signal(SIGALRM, SIG_IGN);
  struct timespec fifty = {0, 50000000};
  arm(5, 5);
  T("nanosleep under ignored SIGALRMs", SC(SYS_nanosleep, &fifty, NULL));
  disarm();

  /* A pending SIGCHLD (ignored by default) let through by sigsuspend's mask restarts it. */
  sigset_t chld, none, cur;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  raise(SIGCHLD);
  handle(0);
  arm(30, 30);
  T("sigsuspend past an ignored SIGCHLD", sigsuspend(&none));
  disarm();
  REL("handler ran", hits >= 1);
  sigpending(&cur);
  REL("SIGCHLD still pending", sigismember(&cur, SIGCHLD));
  sigprocmask(SIG_BLOCK, NULL, &cur);
  REL("SIGCHLD blocked again", sigismember(&cur, SIGCHLD));

  /* alarm(): seconds left, rounded; 0 cancels. */
  T("alarm 100", alarm(100));
  T("alarm 0 (was 100)", alarm(0));
  T("alarm 0 again", alarm(0));
  struct itimerval it, old;
  T("getitimer disarmed", getitimer(ITIMER_REAL, &it));
  printf("value %ld.%06ld interval %ld.%06ld\n", (long)it.it_value.tv_sec, (long)it.it_value.tv_usec,
         (long)it.it_interval.tv_sec, (long)it.it_interval.tv_usec);
  struct itimerval set = {{2, 500000}, {30, 0}};
  T("setitimer", setitimer(ITIMER_REAL, &set, NULL));
  T("setitimer again, old value", setitimer(ITIMER_REAL, &set, &old));
  REL("old value just under 30 s", old.it_value.tv_sec == 29 || (old.it_value.tv_sec == 30 && old.it_value.tv_usec == 0));
  printf("old interval %ld.%06ld\n", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
  struct itimerval bad = {{0, 1000000}, {1, 0}};
  T("setitimer usec 1000000", SC(SYS_setitimer, ITIMER_REAL, &bad, NULL));
  T("setitimer which 3", SC(SYS_setitimer, 3, &set, NULL));
  T("getitimer which 3", SC(SYS_getitimer, 3, &it));
  T("setitimer bad pointer", SC(SYS_setitimer, ITIMER_REAL, (void *)8, NULL));
  T("getitimer bad pointer", SC(SYS_getitimer, ITIMER_REAL, (void *)8));
  T("disarm", SC(SYS_setitimer, ITIMER_REAL, NULL, NULL));
  T("alarm after disarm", alarm(0));

  /* SIGALRM's default action ends the process. */
  signal(SIGALRM, SIG_DFL);
  fflush(stdout);
  arm(10, 0);
  for (;;) pause();
}
