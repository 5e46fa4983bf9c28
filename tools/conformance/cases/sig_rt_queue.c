/*
 * Real-time signals queue: every sigqueue() is its own instance with its
 * own value, taken lowest signal first and in order within a signal,
 * those sent to the thread before those sent to the process; standard
 * signals coalesce. rt_sigqueueinfo/rt_tgsigqueueinfo check their
 * arguments as Linux does; RLIMIT_SIGPENDING bounds the queue.
 */
#include "t.h"
#include <sys/resource.h>
#include <time.h>

#define NOPID 0x3fffffff /* above any pid_max */

static int order[32], values[32], nrun;

static void on_sig(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  order[nrun] = sig;
  values[nrun++] = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
}

static const char *signame(int sig) {
  static char b[16];
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) snprintf(b, sizeof b, "RTMIN+%d", sig - SIGRTMIN);
  else snprintf(b, sizeof b, "%s", t_signame(sig));
  return b;
}

static const char *codename(int code) {
  switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    default: return "other";
  }
}

/* Takes every pending signal of `set` with sigtimedwait and prints it. */
static void drain(const sigset_t *set) {
  struct timespec zero = {0, 0};
  siginfo_t si;
  int sig;
  while ((sig = sigtimedwait(set, &si, &zero)) > 0) {
    printf("  %s %s value %d pid %s\n", signame(sig), codename(si.si_code), si.si_code == SI_QUEUE ? si.si_value.sival_int : -1,
           si.si_pid == getpid() ? "self" : si.si_pid == 0 ? "0" : "other");
  }
  printf("  then: %s\n", ename(errno));
}

static long queue(pid_t pid, int sig, int code, int value) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_code = code;
  si.si_pid = getpid();
  si.si_uid = getuid();
  si.si_value.sival_int = value;
  return SC(SYS_rt_sigqueueinfo, pid, sig, &si);
}

int main(void) {
  sigset_t rt;
  sigemptyset(&rt);
  for (int s = SIGRTMIN; s <= SIGRTMIN + 3; s++) sigaddset(&rt, s);
  sigaddset(&rt, SIGUSR1);
  sigprocmask(SIG_BLOCK, &rt, NULL);

  union sigval v;
  for (int i = 1; i <= 3; i++) {
    v.sival_int = i;
    T("sigqueue RTMIN+1", sigqueue(getpid(), SIGRTMIN + 1, v));
    v.sival_int = 10 + i;
    T("sigqueue RTMIN", sigqueue(getpid(), SIGRTMIN, v));
  }
  T("kill RTMIN+2", kill(getpid(), SIGRTMIN + 2));
  T("kill RTMIN+2 again", kill(getpid(), SIGRTMIN + 2));
  T("kill SIGUSR1", kill(getpid(), SIGUSR1));
  T("kill SIGUSR1 again", kill(getpid(), SIGUSR1));
  v.sival_int = 99;
  T("sigqueue SIGUSR1 (coalesced)", sigqueue(getpid(), SIGUSR1, v));
  sigset_t pend;
  sigpending(&pend);
  printf("pending: USR1 %d RTMIN %d RTMIN+1 %d RTMIN+2 %d RTMIN+3 %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGRTMIN),
         sigismember(&pend, SIGRTMIN + 1), sigismember(&pend, SIGRTMIN + 2), sigismember(&pend, SIGRTMIN + 3));
  printf("sigtimedwait takes:\n");
  drain(&rt);

  /* Delivered to handlers: one at a time (sa_mask blocks everything), same order. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sig;
  sa.sa_flags = SA_SIGINFO;
  sigfillset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  for (int s = SIGRTMIN; s <= SIGRTMIN + 3; s++) sigaction(s, &sa, NULL);
  for (int i = 1; i <= 2; i++) {
    v.sival_int = 20 + i;
    sigqueue(getpid(), SIGRTMIN + 3, v);
    v.sival_int = 30 + i;
    sigqueue(getpid(), SIGRTMIN, v);
    raise(SIGUSR1);
  }
  sigprocmask(SIG_UNBLOCK, &rt, NULL);
  printf("handlers ran %d times:\n", nrun);
  for (int i = 0; i < nrun; i++) printf("  %s value %d\n", signame(order[i]), values[i]);
  sigprocmask(SIG_BLOCK, &rt, NULL);

  printf("rt_sigqueueinfo checks:\n");
  T("to self, SI_QUEUE", queue(getpid(), SIGRTMIN, SI_QUEUE, 1));
  T("to self, SI_USER (allowed to itself)", queue(getpid(), SIGRTMIN, SI_USER, 2));
  T("to self, SI_TKILL", queue(getpid(), SIGRTMIN, SI_TKILL, 3));
  T("to another pid, SI_USER", queue(NOPID, SIGRTMIN, SI_USER, 0));
  T("to another pid, SI_KERNEL", queue(NOPID, SIGRTMIN, SI_KERNEL, 0));
  T("to another pid, SI_TKILL", queue(NOPID, SIGRTMIN, SI_TKILL, 0));
  T("to a missing pid, SI_QUEUE", queue(NOPID, SIGRTMIN, SI_QUEUE, 0));
  T("signal 65", queue(getpid(), 65, SI_QUEUE, 0));
  T("signal -1", queue(getpid(), -1, SI_QUEUE, 0));
  T("signal 0", queue(getpid(), 0, SI_QUEUE, 0));
  T("bad siginfo pointer", SC(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, (void *)8));
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_code = SI_QUEUE;
  T("tgsigqueueinfo to self", SC(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN, &si));
  T("tgsigqueueinfo tgid 0", SC(SYS_rt_tgsigqueueinfo, 0, gettid(), SIGRTMIN, &si));
  T("tgsigqueueinfo tid -1", SC(SYS_rt_tgsigqueueinfo, getpid(), -1, SIGRTMIN, &si));
  T("tgsigqueueinfo missing tid", SC(SYS_rt_tgsigqueueinfo, getpid(), NOPID, SIGRTMIN, &si));
  si.si_code = SI_TKILL;
  T("tgsigqueueinfo missing tid, SI_TKILL", SC(SYS_rt_tgsigqueueinfo, getpid(), NOPID, SIGRTMIN, &si));
  T("tgsigqueueinfo bad siginfo", SC(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN, (void *)8));
  drain(&rt);

  /*
   * RLIMIT_SIGPENDING: sigqueue fails with EAGAIN; kill() still sends, without its siginfo.
   * Linux counts the queued signals of every process of the user, so only a limit of 0 is
   * reached the same way on every machine.
   */
  struct rlimit lim = {0, 0};
  T("setrlimit SIGPENDING 0", setrlimit(RLIMIT_SIGPENDING, &lim));
  v.sival_int = 40;
  T("sigqueue RTMIN+1 over the limit", sigqueue(getpid(), SIGRTMIN + 1, v));
  T("kill RTMIN+2 over the limit", kill(getpid(), SIGRTMIN + 2));
  T("tgkill RTMIN+3 over the limit", SC(SYS_tgkill, getpid(), gettid(), SIGRTMIN + 3));
  T("kill SIGUSR1 over the limit", kill(getpid(), SIGUSR1));
  drain(&rt);
  return 0;
}
