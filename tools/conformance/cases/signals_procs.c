/*
 * Signals between processes and threads: kill of a pid, of 0 (our group),
 * of -pgid and of -1 (from an unprivileged uid of our own, so that nothing
 * else on the host can be hit), sigqueue to another process, tgkill of
 * another thread, a process-directed signal taken by the thread that does
 * not block it, SIGCHLD's siginfo, SA_NOCLDWAIT and SIG_IGN auto-reaping
 * (wait then gives ECHILD), SIGKILL of a child, and a fatal signal in one
 * thread ending the whole process.
 */
#include "tproc.h"
#include <pthread.h>
#include <sys/resource.h>

static volatile sig_atomic_t got;
static volatile pid_t got_tid;
static void on_usr(int sig) {
  got = sig;
  got_tid = gettid();
}

static void handle(int sig, void (*fn)(int)) {
  struct sigaction sa = {.sa_handler = fn};
  sigaction(sig, &sa, NULL);
}

static void block(int sig, int how) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  pthread_sigmask(how, &s, NULL);
}

/* With `sig` blocked (so it cannot slip in before the wait), waits until its handler has run. */
static void await_signal(int sig) {
  sigset_t open;
  pthread_sigmask(SIG_BLOCK, NULL, &open);
  sigdelset(&open, sig);
  while (got != sig) sigsuspend(&open);
}

/* A child that takes `sig` with a handler, and exits with the signal's number once it has. */
static pid_t catcher(int sig, struct t_gate *ready) {
  pid_t c = t_fork();
  if (c == 0) {
    handle(sig, on_usr);
    block(sig, SIG_BLOCK);
    t_gate_pass(ready);
    await_signal(sig);
    _exit(got);
  }
  t_gate_wait(ready);
  return c;
}

static void kill_forms(void) {
  struct t_gate ready;
  t_gate_open(&ready);
  pid_t c = catcher(SIGUSR1, &ready);
  T("kill pid", kill(c, SIGUSR1));
  t_reap("child caught (exit = signal number)", c);
  T("kill a reaped pid", kill(c, SIGUSR1));
  T("kill with signal 65", kill(getpid(), 65));
  T("kill with signal 0", kill(getpid(), 0));

  /* kill(0): every process of our group (made our own in main), us included. */
  got = 0;
  handle(SIGUSR2, on_usr);
  block(SIGUSR2, SIG_BLOCK);
  c = catcher(SIGUSR2, &ready);
  T("kill 0", kill(0, SIGUSR2));
  await_signal(SIGUSR2);
  t_reap("child in our group", c);
  printf("we got it too: %s\n", got == SIGUSR2 ? "yes" : "no");
  signal(SIGUSR2, SIG_DFL);
  block(SIGUSR2, SIG_UNBLOCK);

  /* kill(-pgid): two children in a group of their own die; we are not in it. */
  pid_t a = t_fork();
  if (a == 0) for (;;) pause();
  pid_t b = t_fork();
  if (b == 0) for (;;) pause();
  setpgid(a, a);
  setpgid(b, a);
  T("kill -pgid", kill(-a, SIGTERM));
  t_reap("first of the group", a);
  t_reap("second of the group", b);
  T("kill -pgid of a gone group", kill(-a, SIGTERM));

  /* sigqueue: the value and SI_QUEUE reach the other process. */
  pid_t q = t_fork();
  if (q == 0) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &s, NULL);
    t_gate_pass(&ready);
    siginfo_t si;
    if (sigwaitinfo(&s, &si) != SIGRTMIN) _exit(1);
    _exit(si.si_code == SI_QUEUE && si.si_value.sival_int == 42 && si.si_pid == getppid() ? 0 : 2);
  }
  t_gate_wait(&ready);
  T("sigqueue", sigqueue(q, SIGRTMIN, (union sigval){.sival_int = 42}));
  t_reap("child saw SI_QUEUE, the value and our pid (0 = all)", q);
  t_gate_close(&ready);
}

/* kill(-1) from a uid nobody else on the host has: it reaches our own processes of that uid, never the sender. */
static void kill_everyone(void) {
  pid_t c = t_fork();
  if (c == 0) for (;;) pause();
  T("kill -1 with signal 0, a child alive", kill(-1, 0));
  kill(c, SIGKILL);
  t_reap("that child", c);
  if (geteuid() != 0) {
    printf("kill -1: needs root to make a uid of its own\n");
    return;
  }
  pid_t boss = t_fork();
  if (boss == 0) {
    if (setresgid(61234, 61234, 61234) || setresuid(61234, 61234, 61234)) _exit(90);
    struct t_gate ready;
    t_gate_open(&ready);
    pid_t a = catcher(SIGUSR1, &ready), b = catcher(SIGUSR1, &ready);
    handle(SIGUSR1, on_usr);
    got = 0;
    if (kill(-1, SIGUSR1) != 0) _exit(91);
    int sa, sb;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    /* 0: both children caught it and the sender did not */
    _exit((WIFEXITED(sa) && WEXITSTATUS(sa) == SIGUSR1 ? 0 : 1) | (WIFEXITED(sb) && WEXITSTATUS(sb) == SIGUSR1 ? 0 : 2) |
          (got ? 4 : 0));
  }
  t_reap("kill -1 from a uid of our own", boss);
}

static pthread_barrier_t barrier;
/* Runs with SIGUSR1 blocked like its creator, and takes it only inside sigsuspend. */
static void *waiter(void *arg) {
  *(pid_t *)arg = gettid();
  pthread_barrier_wait(&barrier);
  await_signal(SIGUSR1);
  return NULL;
}

static void threads(void) {
  handle(SIGUSR1, on_usr);
  block(SIGUSR1, SIG_BLOCK); /* for good: only a waiter's sigsuspend opens it */

  /* Process-directed: only the other thread ever unblocks SIGUSR1 (in sigsuspend), so it takes it. */
  pid_t tid = 0;
  pthread_t t;
  got = 0;
  pthread_barrier_init(&barrier, NULL, 2);
  pthread_create(&t, NULL, waiter, &tid);
  pthread_barrier_wait(&barrier);
  T("kill our own pid", kill(getpid(), SIGUSR1));
  pthread_join(t, NULL);
  REL("the thread that does not block it took it", got == SIGUSR1 && got_tid == tid);

  /* tgkill: that thread and no other. */
  got = 0;
  pthread_create(&t, NULL, waiter, &tid);
  pthread_barrier_wait(&barrier);
  T("tgkill the other thread", SC(SYS_tgkill, getpid(), tid, SIGUSR1));
  pthread_join(t, NULL);
  REL("it ran the handler", got == SIGUSR1 && got_tid == tid);
  T("tgkill with a wrong tgid", SC(SYS_tgkill, getpid() + 1, gettid(), SIGUSR1));
  T("tgkill tid 0", SC(SYS_tgkill, getpid(), 0, SIGUSR1));
  signal(SIGUSR1, SIG_DFL);
  block(SIGUSR1, SIG_UNBLOCK);
}

static void *crash(void *arg) {
  (void)arg;
  *(volatile int *)16 = 1;
  return NULL;
}
static void *raise_usr1(void *arg) {
  (void)arg;
  raise(SIGUSR1); /* default action: terminate the whole process */
  for (;;) pause();
  return NULL;
}

/* A fatal signal in one thread ends every thread of the process. */
static void fatal_in_thread(void *(*fn)(void *), const char *label) {
  pid_t c = t_fork();
  if (c == 0) {
    setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0}); /* a fault must not leave a core file */
    pthread_t t;
    pthread_create(&t, NULL, fn, NULL);
    for (;;) pause();
  }
  int st;
  waitpid(c, &st, 0);
  printf("%s: %s\n", label, WIFSIGNALED(st) ? t_signame(WTERMSIG(st)) : "not by a signal");
}

static volatile int chld_code, chld_status, chld_pid_ok;
static volatile pid_t expect_pid;
static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  chld_code = si->si_code;
  chld_status = si->si_status;
  chld_pid_ok = si->si_pid == expect_pid;
}

static void sigchld_info(void) {
  struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = SA_SIGINFO};
  sigaction(SIGCHLD, &sa, NULL);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL); /* taken at the sigsuspend below, not earlier */
  sigset_t open;
  sigemptyset(&open);

  chld_code = 0;
  pid_t c = t_fork();
  if (c == 0) _exit(3);
  expect_pid = c;
  sigsuspend(&open);
  printf("SIGCHLD for exit 3: code %s, status %d, pid %s\n", chld_code == CLD_EXITED ? "CLD_EXITED" : "other",
         chld_status, chld_pid_ok ? "right" : "wrong");
  waitpid(c, NULL, 0);

  chld_code = 0;
  c = t_fork();
  if (c == 0) for (;;) pause();
  expect_pid = c;
  T("SIGKILL the child", kill(c, SIGKILL));
  sigsuspend(&open);
  printf("SIGCHLD for SIGKILL: code %s, status %d, pid %s\n", chld_code == CLD_KILLED ? "CLD_KILLED" : "other",
         chld_status, chld_pid_ok ? "right" : "wrong");
  t_reap("killed child", c);
  sigprocmask(SIG_UNBLOCK, &chld, NULL);
  signal(SIGCHLD, SIG_DFL);
}

/* With SA_NOCLDWAIT or SIGCHLD ignored, children are reaped as they end: wait blocks until all are gone, then ECHILD. */
static void auto_reap(void) {
  struct sigaction sa = {.sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT};
  sigaction(SIGCHLD, &sa, NULL);
  for (int i = 0; i < 3; i++)
    if (t_fork() == 0) _exit(i);
  T("wait with SA_NOCLDWAIT", wait(NULL));
  signal(SIGCHLD, SIG_IGN);
  for (int i = 0; i < 3; i++)
    if (t_fork() == 0) _exit(i);
  T("wait with SIGCHLD ignored", wait(NULL));
  signal(SIGCHLD, SIG_DFL);
  pid_t c = t_fork();
  if (c == 0) _exit(4);
  t_reap("back to default: a zombie to wait for", c);
}

int main(void) {
  t_unbuffered();
  /*
   * A group of our own, so that kill(0) reaches nothing outside the case
   * (natively we start in our caller's group). It fails harmlessly where
   * we lead a session already.
   */
  setpgid(0, 0);
  kill_forms();
  kill_everyone();
  threads();
  fatal_in_thread(crash, "a thread faults");
  fatal_in_thread(raise_usr1, "a thread raises SIGUSR1");
  sigchld_info();
  auto_reap();
  T("no children left", wait(NULL));
  return 0;
}
