/*
 * Signals: every catchable signal has one handler that counts it. A fault
 * (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS raised by the CPU or the
 * kernel, si_code > 0) inside the loop jumps back to the loop, so a call
 * that broke the program's memory just ends that iteration. A periodic
 * SIGALRM interrupts any call that would block (nothing is installed with
 * SA_RESTART), so no call waits forever.
 *
 * Handlers are installed with raw rt_sigaction and our own restorer, and
 * the jump is __builtin_longjmp: none of it touches TLS, so a fault while a
 * random arch_prctl has moved the FS base is still recovered.
 */
#include "fuzz.h"
#include <signal.h>
#include <string.h>
#include <sys/time.h>

void *recover[5];
volatile int armed;
volatile unsigned long faults, signals_seen;

__asm__(".text\n.globl fuzz_restorer\n.type fuzz_restorer,@function\nfuzz_restorer:\n"
        "  mov $15, %eax\n  syscall\n  hlt\n");

static int is_fault(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS;
}

static void on_signal(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  signals_seen++;
  if (!is_fault(sig) || si->si_code <= 0) return; /* sent by a call (kill, a timer): just counted */
  if (armed) {
    faults++;
    __builtin_longjmp(recover, 1);
  }
  /* A fault outside the loop is the fuzzer's own bug (or tsv's): die of it. */
  struct kernel_sigaction dfl = {0};
  sys6(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
}

void reinstall_handler(int sig) {
  if (sig < 1 || sig > 64 || sig == SIGKILL || sig == SIGSTOP) return;
  /* Faults nest (a fault in a handler must still be caught); other signals do not, which bounds the stack a burst of them needs. */
  struct kernel_sigaction sa = {
    .handler = on_signal,
    .flags = SA_SIGINFO | SA_RESTORER_FLAG | (is_fault(sig) ? SA_NODEFER : 0),
    .restorer = fuzz_restorer,
    .mask = 0,
  };
  sys6(SYS_rt_sigaction, sig, (long)&sa, 0, 8, 0, 0);
}

void unblock_all(void) {
  unsigned long none = 0;
  sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8, 0, 0);
}

static void set_alarm(long usec) {
  struct itimerval it = {{0, usec}, {0, usec}};
  sys6(SYS_setitimer, ITIMER_REAL, (long)&it, 0, 0, 0, 0);
}
void arm_alarm(void) { set_alarm(20000); }
void disarm_alarm(void) { set_alarm(0); }

int safe_signal(void) {
  static const int safe[] = {
    SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH, SIGURG, SIGCONT, SIGALRM, SIGIO, SIGPIPE, SIGHUP, SIGTERM,
    SIGINT, SIGQUIT, SIGXFSZ, SIGVTALRM, SIGPROF, SIGTSTP, SIGTTIN, SIGTTOU, SIGSEGV, SIGBUS,
  };
  return chance(70) ? PICK(safe) : 34 + (int)below(31); /* real-time signals */
}

void signals_init(void) {
  for (int sig = 1; sig <= 64; sig++) reinstall_handler(sig);
  unblock_all();
  arm_alarm();
}
