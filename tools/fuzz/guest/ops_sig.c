/*
 * Structured signal, timer and futex operations. Every handler change is
 * undone in the same step (reinstall_handler), every mask change too
 * (unblock_all), and every wait is bounded (a zero or 2 ms timeout, or the
 * periodic SIGALRM).
 */
#include "fuzz.h"
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>


static char altstack[64 << 10];
volatile int odd_signal;

/* A signal whose default action is to be ignored: SIG_DFL and SIG_IGN are safe for it. */
static int ignorable(int sig) { return sig == SIGCHLD || sig == SIGWINCH || sig == SIGURG || sig == SIGCONT; }

static int raise_it(int sig) {
  switch (below(4)) {
    case 0: return (int)SC2(SYS_kill, chance(80) ? self_pid : 0, sig);
    case 1: return (int)SC3(SYS_tgkill, self_pid, self_pid, sig);
    case 2: return (int)SC2(SYS_tkill, self_pid, sig);
    default: {
      siginfo_t si;
      memset(&si, 0, sizeof si);
      si.si_signo = sig;
      si.si_code = chance(80) ? SI_QUEUE : (int)pool_int();
      si.si_value.sival_ptr = (void *)rnd();
      return (int)SC3(SYS_rt_sigqueueinfo, self_pid, sig, &si);
    }
  }
}

/*
 * A handler of another kind for one delivery: ignored, default, ours with
 * random flags (on the alternate stack, reset after one delivery...), or a
 * handler or restorer at an address where nothing is mapped, whose fault
 * ends the step. Never the arena: it may be executable and holds random bytes.
 */
static void odd_handler(int sig) {
  static const unsigned long flag_bits[] = {SA_SIGINFO, SA_RESTART, SA_NODEFER, SA_RESETHAND, SA_ONSTACK, 0x80000000UL >> 1};
  /* A fault signal blocked while a wild handler or restorer faults would be fatal: never in the mask. */
  unsigned long faults_mask = (1UL << (SIGSEGV - 1)) | (1UL << (SIGBUS - 1)) | (1UL << (SIGILL - 1)) | (1UL << (SIGFPE - 1)) |
                              (1UL << (SIGTRAP - 1)) | (1UL << (SIGSYS - 1));
  struct kernel_sigaction sa = {0, SA_RESTORER_FLAG, (void *)fuzz_restorer, rnd() & ~faults_mask};
  for (int i = 0, n = (int)below(4); i < n; i++) sa.flags |= PICK(flag_bits);
  /* The same signal may also arrive on its own (the periodic SIGALRM, a timer) before ours: after a
   * one-shot handler it would meet the default action, fatal for all but the ignorable ones. */
  if (!ignorable(sig)) sa.flags &= ~(unsigned long)SA_RESETHAND;
  if (sa.flags & SA_ONSTACK) {
    stack_t ss = {altstack, 0, sizeof altstack};
    SC2(SYS_sigaltstack, &ss, 0);
  }
  switch (below(4)) {
    case 0: sa.handler = ignorable(sig) ? SIG_DFL : SIG_IGN; break;
    case 1: sa.handler = (void *)pool_wild(); break;
    case 2: /* our handler, a wild restorer */
      sa.restorer = (void *)pool_wild();
      __attribute__((fallthrough));
    default: {
      struct kernel_sigaction mine;
      sys6(SYS_rt_sigaction, sig, 0, (long)&mine, 8, 0, 0);
      sa.handler = mine.handler;
      break;
    }
  }
  odd_signal = sig; /* a fault before the end of this step still gets our handler back (after_fault) */
  SC4(SYS_rt_sigaction, sig, &sa, chance(50) ? arena_ptr(32) : 0, 8);
  raise_it(sig);
  reinstall_handler(sig);
  odd_signal = 0;
}

void op_signal(void) {
  int sig = safe_signal();
  if (sig == SIGSEGV || sig == SIGBUS) sig = SIGUSR2; /* a wild handler for a fault signal faults forever */
  unsigned long set = 1UL << (sig - 1), old = 0;
  char info[128];
  struct timespec zero = {0, 0};
  switch (below(7)) {
    case 0: odd_handler(sig); break;
    case 1: /* pending while blocked, then taken by sigtimedwait or delivered by unblocking */
      SC4(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 8);
      raise_it(sig);
      SC2(SYS_rt_sigpending, &old, 8);
      if (chance(50)) SC4(SYS_rt_sigtimedwait, &set, info, &zero, 8);
      unblock_all();
      break;
    case 2: { /* a signalfd reads it */
      SC4(SYS_rt_sigprocmask, SIG_BLOCK, &set, 0, 8);
      long fd = SC4(SYS_signalfd4, -1, &set, 8, 04000 /* SFD_NONBLOCK */ | (chance(50) ? 02000000 : 0));
      raise_it(sig);
      if (fd >= 0) {
        SC3(SYS_read, fd, info, chance(80) ? sizeof info : below(sizeof info));
        SC1(SYS_close, fd);
      }
      unblock_all();
      break;
    }
    case 3: { /* any alternate stack: our handlers never run on it */
      stack_t ss = {chance(50) ? (void *)altstack : (void *)pool_ptr(), (int)(chance(70) ? 0 : pool_flags()), chance(70) ? sizeof altstack : (size_t)pool_len()};
      SC2(SYS_sigaltstack, chance(80) ? &ss : 0, chance(50) ? (void *)info : 0);
      break;
    }
    case 4: { /* a burst of queued real-time signals */
      int rt = 34 + (int)below(31);
      unsigned long rts = 1UL << (rt - 1);
      SC4(SYS_rt_sigprocmask, SIG_BLOCK, &rts, 0, 8);
      for (int i = 0, n = 1 + (int)below(40); i < n; i++) raise_it(rt);
      unblock_all();
      break;
    }
    case 5: SC4(SYS_rt_sigprocmask, below(4), chance(80) ? &set : (void *)pool_ptr(), &old, chance(90) ? 8 : pool_small()); unblock_all(); break;
    default: raise_it(sig); break;
  }
}

static int timers[4] = {-1, -1, -1, -1};
static const long CLOCKS[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
                              CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME, 8 /* REALTIME_ALARM */, 11 /* TAI */, 12, -1, -6};

/* Intervals of at least a millisecond: a microsecond timer is a signal storm that only slows the run. */
static struct itimerspec short_spec(void) {
  struct itimerspec s = {{0, 0}, {0, 1 + (long)below(2000000)}};
  if (chance(30)) s.it_interval.tv_nsec = 1000000 + (long)below(20000000);
  if (chance(5)) s.it_value.tv_nsec = (long)pool_int(); /* invalid */
  return s;
}

void op_timer(void) {
  struct itimerspec spec = short_spec(), old;
  struct itimerval iv = {{0, spec.it_interval.tv_nsec / 1000}, {0, spec.it_value.tv_nsec / 1000}};
  struct timespec ts;
  switch (below(6)) {
    case 0: /* virtual and profiling timers: their signals are handled */
      SC3(SYS_setitimer, chance(50) ? ITIMER_VIRTUAL : ITIMER_PROF, chance(80) ? &iv : (void *)pool_ptr(), &iv);
      SC2(SYS_getitimer, below(4), &iv);
      break;
    case 1:
      SC3(SYS_setitimer, ITIMER_REAL, &iv, 0);
      SC1(SYS_alarm, 0);
      arm_alarm();
      break;
    case 2: {
      int slot = (int)below(4), id = -1;
      if (timers[slot] >= 0 && chance(60)) SC1(SYS_timer_delete, timers[slot]);
      struct sigevent ev;
      memset(&ev, 0, sizeof ev);
      ev.sigev_notify = chance(80) ? SIGEV_SIGNAL : SIGEV_NONE;
      ev.sigev_signo = safe_signal();
      if (SC3(SYS_timer_create, PICK(CLOCKS), chance(90) ? &ev : 0, &id) == 0) timers[slot] = id;
      SC4(SYS_timer_settime, timers[slot], chance(30) ? TIMER_ABSTIME : 0, &spec, &old);
      SC2(SYS_timer_gettime, timers[slot], &old);
      SC1(SYS_timer_getoverrun, timers[slot]);
      break;
    }
    case 3: {
      long fd = SC2(SYS_timerfd_create, PICK(CLOCKS), 04000 /* TFD_NONBLOCK */ | (chance(50) ? 02000000 : 0));
      if (fd < 0) break;
      SC4(SYS_timerfd_settime, fd, below(4), &spec, &old);
      unsigned long ticks;
      SC3(SYS_read, fd, &ticks, 8);
      if (chance(70)) SC1(SYS_close, fd);
      else remember_fd(fd);
      break;
    }
    case 4: { /* sleeps of at most 2 ms, relative or absolute */
      long clock = PICK(CLOCKS);
      ts = (struct timespec){0, (long)below(2000000)};
      if (chance(30)) {
        SC4(SYS_clock_nanosleep, clock, 0, &ts, &old);
      } else if (chance(50)) {
        struct timespec at = {0, 0};
        SC2(SYS_clock_gettime, clock, &at);
        at.tv_nsec += ts.tv_nsec;
        if (at.tv_nsec >= 1000000000) { at.tv_sec++; at.tv_nsec -= 1000000000; }
        SC4(SYS_clock_nanosleep, clock, TIMER_ABSTIME, &at, 0);
      } else {
        SC2(SYS_nanosleep, &ts, &old);
      }
      break;
    }
    default:
      SC2(chance(50) ? SYS_clock_gettime : SYS_clock_getres, PICK(CLOCKS), chance(90) ? (void *)&ts : (void *)pool_ptr());
      break;
  }
}

/* Futex words of our own (a wake-op and PI lock write them), and some in the arena. */
static unsigned int words[4];

static unsigned int *futex_word(void) {
  if (chance(75)) return &words[below(4)];
  return (unsigned int *)(arena_ptr(8) + (chance(90) ? 0 : 1)); /* maybe unmapped, maybe misaligned */
}

void op_futex(void) {
  unsigned int *w = futex_word(), *w2 = futex_word();
  long priv = chance(70) ? FUTEX_PRIVATE_FLAG : 0;
  struct timespec rel = {0, 1000000 + (long)below(1000000)}, abs = {0, 0};
  unsigned int val = 0;
  if (w >= words && w < words + 4) val = *w; /* arena words are read by the kernel only: they may be gone */
  switch (below(9)) {
    case 0: SC4(SYS_futex, w, FUTEX_WAIT | priv, val + 1, &rel); break; /* EAGAIN */
    case 1: SC4(SYS_futex, w, FUTEX_WAIT | priv, val, &rel); break;     /* ETIMEDOUT */
    case 2:
      SC2(SYS_clock_gettime, CLOCK_MONOTONIC, &abs);
      abs.tv_nsec += 1000000;
      if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
      SC6(SYS_futex, w, FUTEX_WAIT_BITSET | priv, val, &abs, 0, chance(90) ? FUTEX_BITSET_MATCH_ANY : (long)rnd());
      break;
    case 3: SC3(SYS_futex, w, FUTEX_WAKE | priv, below(4)); break;
    case 4: SC6(SYS_futex, w, (chance(50) ? FUTEX_REQUEUE : FUTEX_CMP_REQUEUE) | priv, below(4), below(4), w2, val); break;
    case 5: SC6(SYS_futex, w, FUTEX_WAKE_OP | priv, below(4), below(4), w2, (long)(rnd() & 0xffffffff)); break;
    case 6: { /* priority inheritance on a word we own: lock, relock (EDEADLK), unlock */
      static const long pi[] = {FUTEX_LOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_UNLOCK_PI, FUTEX_LOCK_PI2};
      if (w >= words && w < words + 4 && chance(50)) *w = chance(50) ? 0 : (unsigned int)self_pid;
      SC2(SYS_clock_gettime, CLOCK_REALTIME, &abs);
      abs.tv_sec += 1;
      SC4(SYS_futex, w, PICK(pi) | priv, 0, &abs);
      break;
    }
    case 7: {
      struct { unsigned long val, uaddr; unsigned int flags, reserved; } wv[2] = {
        {val + 1, (unsigned long)w, 2 /* FUTEX2_SIZE_U32 */ | (priv ? 128 : 0), 0},
        {(unsigned long)rnd(), (unsigned long)w2, chance(90) ? 2 : (unsigned int)rnd(), 0},
      };
      SC2(SYS_clock_gettime, CLOCK_MONOTONIC, &abs);
      abs.tv_sec += 1;
      SC5(SYS_futex_waitv, wv, 1 + below(2), 0, &abs, CLOCK_MONOTONIC);
      break;
    }
    default: { /* a robust list of our own: empty, so exit walks nothing */
      static struct { void *next; long offset; void *pending; } head;
      head.next = &head;
      head.offset = (long)below(64) - 32;
      SC2(SYS_set_robust_list, chance(90) ? (void *)&head : (void *)pool_ptr(), chance(90) ? 24 : pool_len());
      void *got = 0;
      size_t len = 0;
      SC3(SYS_get_robust_list, 0, &got, &len);
      break;
    }
  }
}
