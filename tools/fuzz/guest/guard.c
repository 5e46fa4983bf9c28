/*
 * What the fuzzer never does to itself, in one place.
 *
 * A call is judged by its effective number: Linux dispatches on the low 32
 * bits of rax, and the x32 bit (0x40000000) selects the x32 table, so
 * (1<<32)|60 is exit. A rewritten call still goes to the kernel with the
 * rest of its random arguments.
 */
#include "fuzz.h"
#include <signal.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define X32_BIT 0x40000000u

/*
 * Process creation and program replacement: not implemented by tsv yet
 * (ENOSYS today) but coming. A child would run this loop too and execve would
 * replace it; take a call out of this list once the fuzzer waits for and
 * bounds its children.
 */
static const long NOT_YET[] = {SYS_fork, SYS_vfork, SYS_clone, SYS_clone3, SYS_execve, SYS_execveat};

/* Calls that would end or wedge the run whatever their arguments. */
static const long NEVER[] = {
  SYS_exit, SYS_exit_group,      /* made once, at the end */
  SYS_rt_sigreturn,             /* loads every register from the random stack */
  SYS_pause, SYS_rt_sigsuspend, /* wait for a signal by design */
  SYS_ptrace,                   /* PTRACE_TRACEME turns each later signal into a stop nobody resumes */
  SYS_seccomp,                  /* a filter (or strict mode) kills the program at its next call */
  SYS_userfaultfd,              /* a registered range makes the next touch wait for a handler forever */
  SYS_process_vm_writev,        /* writes anywhere in the program, stack and TLS included */
};
/* x32 calls (with the x32 bit): their own rt_sigreturn, execve, ptrace... */
#define X32_FIRST 512
#define X32_LAST 547

static int listed(const long *list, int n, unsigned nr) {
  for (int i = 0; i < n; i++) if ((unsigned)list[i] == nr) return 1;
  return 0;
}
#define LISTED(list, nr) listed((list), (int)(sizeof(list) / sizeof((list)[0])), (nr))

/* ---- memory the program lives in ---- */
extern char __executable_start[];
static unsigned long stack_lo, stack_hi;

void guard_init(void) {
  unsigned long sp = (unsigned long)__builtin_frame_address(0);
  stack_lo = (sp & ~(PAGE - 1)) - (2UL << 20);
  stack_hi = (sp & ~(PAGE - 1)) + (1UL << 20);
}

int touches_self(unsigned long addr, unsigned long len) {
  addr &= ~(PAGE - 1);
  if (len == 0) len = PAGE;
  unsigned long end = addr + len < addr ? ~0UL : addr + len;
  unsigned long image_lo = (unsigned long)__executable_start, image_hi = (unsigned long)start_brk_top;
  return (addr < image_hi && end > image_lo) || (addr < stack_hi && end > stack_lo) || in_path_page(addr, len);
}

static int reserved_fd(long fd) { return (unsigned)fd == OUT_FD || (unsigned)fd == WORK_FD; }

/* SIGKILL and SIGSTOP cannot be caught: anything else is handled. */
static long tame_signal(long sig) {
  return ((int)sig == SIGKILL || (int)sig == SIGSTOP) ? SIGUSR1 : sig;
}

/* Limits whose hard value is enforced with SIGKILL: CPU time, and CPU time at real-time priority. */
static int cpu_limit(long resource) { return (unsigned)resource == RLIMIT_CPU || (unsigned)resource == RLIMIT_RTTIME; }

/* timer_create and mq_notify read a sigevent: give them one with a safe signal. */
static long safe_sigevent(void) {
  static struct sigevent ev;
  if (chance(15)) return 0; /* the default: SIGALRM */
  static const int notify[] = {SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID, SIGEV_SIGNAL | SIGEV_THREAD_ID, 99};
  ev.sigev_notify = PICK(notify);
  ev.sigev_signo = safe_signal();
  ev.sigev_value.sival_ptr = (void *)pool_ptr();
  ev._sigev_un._tid = chance(80) ? (int)self_pid : (int)pool_id();
  return (long)&ev;
}

/*
 * ppoll, pselect6, epoll_pwait(2) and io_pgetevents wait with a temporary
 * signal mask of their own: a random one may block the periodic SIGALRM, so
 * when a call has a mask its wait is bounded (1 ms) instead.
 */
static long short_wait(void) {
  static struct timespec ts;
  ts = (struct timespec){0, 1000000};
  return (long)&ts;
}

#define ARCH_SET_FS 0x1002
#define ARCH_SHSTK_ENABLE 0x5001
#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif

static unsigned effective(long nr) { return (unsigned)nr & ~X32_BIT; }

enum verdict guard_before(long nr, long a[6]) {
  unsigned n = effective(nr);
  if (LISTED(NOT_YET, n) || LISTED(NEVER, n) || (n >= X32_FIRST && n <= X32_LAST)) return SKIP;
  switch (n) {
    case SYS_kill: case SYS_tkill: case SYS_rt_sigqueueinfo: case SYS_pidfd_send_signal:
      a[1] = tame_signal(a[1]);
      break;
    case SYS_tgkill: case SYS_rt_tgsigqueueinfo:
      a[2] = tame_signal(a[2]);
      break;
    case SYS_fcntl:
      if ((int)a[1] == 10 /* F_SETSIG */) a[2] = tame_signal(a[2]);
      break;
    case SYS_ppoll:
      if (a[3]) a[2] = short_wait();
      break;
    case SYS_pselect6: case SYS_io_pgetevents:
      if (a[5]) a[4] = short_wait();
      break;
    case SYS_epoll_pwait:
      if (a[4]) a[3] = 1;
      break;
    case SYS_epoll_pwait2:
      if (a[4]) a[3] = short_wait();
      break;
    case SYS_timer_create: case SYS_mq_notify:
      a[1] = safe_sigevent();
      break;
    case SYS_prctl:
      if ((int)a[0] == PR_SET_SECCOMP || (int)a[0] == PR_SET_SYSCALL_USER_DISPATCH) return SKIP;
      if ((int)a[0] == PR_SET_PDEATHSIG) a[1] = tame_signal(a[1]);
      break;
    case SYS_arch_prctl:
      if ((int)a[0] == ARCH_SHSTK_ENABLE) return SKIP; /* every return would fault */
      break;
    case SYS_setrlimit: /* a CPU time limit ends in SIGKILL */
      if (cpu_limit(a[0])) a[0] = RLIMIT_CORE;
      break;
    case SYS_prlimit64:
      if (cpu_limit(a[1])) a[1] = RLIMIT_CORE;
      break;
    case SYS_brk: /* below the break at start lies glibc's TLS */
      if (a[0] != 0 && (unsigned long)a[0] < (unsigned long)start_brk_top) a[0] = start_brk_top;
      break;
    case SYS_close:
      if (reserved_fd(a[0])) return SKIP;
      break;
    case SYS_dup2: case SYS_dup3:
      if (reserved_fd(a[1])) return SKIP;
      break;
    case SYS_close_range: {
      unsigned lo = (unsigned)a[0], hi = (unsigned)a[1];
      if (lo <= WORK_FD && hi >= OUT_FD) {
        if (lo < OUT_FD) a[1] = OUT_FD - 1;
        else if (hi > WORK_FD) a[0] = WORK_FD + 1;
        else return SKIP;
      }
      break;
    }
    case SYS_mmap:
      if ((a[3] & MAP_FIXED) && touches_self(a[0], a[1])) return SKIP;
      break;
    case SYS_munmap: case SYS_mprotect: case SYS_pkey_mprotect: case SYS_madvise: case SYS_remap_file_pages:
      if (touches_self(a[0], a[1])) return SKIP;
      break;
    case SYS_mremap:
      if (touches_self(a[0], a[1])) return SKIP;
      if ((a[3] & MREMAP_FIXED) && touches_self(a[4], a[2])) return SKIP;
      break;
    case SYS_shmat: /* with SHM_REMAP it replaces whatever is there */
      if (touches_self(a[1], 1UL << 30)) return SKIP;
      break;
  }
  return CALL;
}

void guard_after(long nr, const long a[6]) {
  switch (effective(nr)) {
    case SYS_arch_prctl: /* first: glibc reads its TLS through FS */
      if ((int)a[0] == ARCH_SET_FS) sys6(SYS_arch_prctl, ARCH_SET_FS, fs_base, 0, 0, 0, 0);
      break;
    case SYS_rt_sigaction:
      reinstall_handler((int)a[0]);
      break;
    case SYS_rt_sigprocmask:
      unblock_all();
      break;
    case SYS_setitimer: case SYS_alarm:
      arm_alarm();
      break;
  }
}

long guarded_call(long nr, long a[6]) {
  if (guard_before(nr, a) == SKIP) {
    guarded_calls++;
    return -1;
  }
  long r = sc(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  guard_after(nr, a);
  return r;
}
