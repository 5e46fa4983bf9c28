/*
 * clone and clone3 flag rules: the invalid combinations get Linux's errno
 * (copy_process's checks, clone3's argument checks), namespace flags get
 * EPERM for an unprivileged caller, a TLS base outside the user half gets
 * EPERM, legacy clone's exit signal past _NSIG is accepted and sends
 * nothing, and the valid calls that a vfork-style child allows still work.
 *
 * Every raw call goes through an asm stub whose child (if one is made, which
 * for the invalid calls would be a bug) exits at once with status 99 on
 * whatever stack it got, so no C code ever runs in it.
 */
#include "tproc.h"
#include <linux/sched.h>
#include <stdint.h>

/* The namespace flags this libc's headers may lack. */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

/* The system call, then in a child (rax 0) exit(99) before anything touches the stack. */
#define SYSCALL_CHILD_EXITS_99 \
  "syscall\n\t"               \
  "test %%rax, %%rax\n\t"     \
  "jnz 1f\n\t"                \
  "mov $60, %%eax\n\t"        \
  "mov $99, %%edi\n\t"        \
  "syscall\n\t"               \
  "1:"

/* clone(flags, stack, ptid, ctid, tls); the child exits 99 at once. Returns the raw result (-errno on error). */
static long raw_clone(unsigned long flags, void *stack, int *ptid, int *ctid, unsigned long tls) {
  long ret;
  register long r10 __asm__("r10") = (long)ctid;
  register long r8 __asm__("r8") = (long)tls;
  __asm__ volatile(SYSCALL_CHILD_EXITS_99
      : "=a"(ret)
      : "0"((long)SYS_clone), "D"(flags), "S"(stack), "d"(ptid), "r"(r10), "r"(r8)
      : "rcx", "r11", "memory");
  return ret;
}

/* clone3(args, size); the child exits 99 at once. */
static long raw_clone3(void *args, unsigned long size) {
  long ret;
  __asm__ volatile(SYSCALL_CHILD_EXITS_99
      : "=a"(ret)
      : "0"((long)SYS_clone3), "D"(args), "S"(size)
      : "rcx", "r11", "memory");
  return ret;
}

/* Prints a raw result: "-1 ENAME" for an error, else what the child did once reaped. */
static void report(const char *label, long r) {
  if (r < 0) {
    printf("%s: -1 %s\n", label, ename((int)-r));
    return;
  }
  char what[96];
  snprintf(what, sizeof what, "%s: child", label);
  t_reap(what, (pid_t)r);
}

static char *child_stack(void) { return (char *)t_map(1 << 16, MAP_PRIVATE) + (1 << 16); }

/* A root caller drops to an unprivileged uid first, so that namespace flags answer as they do for one. */
static void drop_privileges(void) {
  if (geteuid() != 0) return;
  if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) { perror("drop"); exit(91); }
}

static void legacy_clone(void) {
  char *stack = child_stack();
  report("SIGHAND without VM", raw_clone(CLONE_SIGHAND | SIGCHLD, stack, 0, 0, 0));
  report("THREAD without SIGHAND", raw_clone(CLONE_THREAD | CLONE_VM, stack, 0, 0, 0));
  report("NEWNS with FS", raw_clone(CLONE_NEWNS | CLONE_FS | SIGCHLD, 0, 0, 0, 0));
  report("NEWUSER with FS", raw_clone(CLONE_NEWUSER | CLONE_FS | SIGCHLD, 0, 0, 0, 0));
  report("THREAD with NEWPID", raw_clone(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWPID, stack, 0, 0, 0));
  report("THREAD with NEWUSER", raw_clone(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER, stack, 0, 0, 0));
  report("PIDFD with DETACHED", raw_clone(CLONE_PIDFD | CLONE_DETACHED | SIGCHLD, 0, 0, 0, 0));

  static const struct { const char *name; unsigned long flag; } ns[] = {
      {"NEWNS", CLONE_NEWNS},   {"NEWPID", CLONE_NEWPID},       {"NEWNET", CLONE_NEWNET}, {"NEWUTS", CLONE_NEWUTS},
      {"NEWIPC", CLONE_NEWIPC}, {"NEWCGROUP", CLONE_NEWCGROUP},
  };
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    char label[64];
    snprintf(label, sizeof label, "unprivileged %s", ns[i].name);
    report(label, raw_clone(ns[i].flag | SIGCHLD, 0, 0, 0, 0));
  }

  report("SETTLS at 2^47", raw_clone(CLONE_SETTLS | SIGCHLD, 0, 0, 0, 1UL << 47));
  report("SETTLS at TASK_SIZE_MAX", raw_clone(CLONE_SETTLS | SIGCHLD, 0, 0, 0, (1UL << 47) - 4096));
  report("SETTLS non-canonical", raw_clone(CLONE_SETTLS | SIGCHLD, 0, 0, 0, 0x8000000000001000UL));
  report("SETTLS kernel half", raw_clone(CLONE_SETTLS | SIGCHLD, 0, 0, 0, 0xffffffff81000000UL));

  /* What is valid still works: a vfork-style child on its own stack, with its tid reported both ways. */
  static int ptid, ctid;
  ctid = -1;
  long r = raw_clone(CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD,
                     stack, &ptid, &ctid, 0);
  REL("vfork-style: parent tid written", r > 0 && ptid == r);
  REL("vfork-style: child tid cleared at exit", ctid == 0);
  report("vfork-style clone", r);
  report("vfork-style with exit signal 0", raw_clone(CLONE_VM | CLONE_VFORK, stack, 0, 0, 0));
}

/*
 * Legacy clone takes any exit-signal byte: one past _NSIG (65) makes a child
 * that sends no signal when it ends (Linux's do_notify_parent skips an
 * invalid one), and that only a __WALL or __WCLONE wait sees, as any child
 * whose exit signal is not SIGCHLD. clone3 refuses it (below).
 */
static void exit_signal_past_nsig(void) {
  sigset_t all, old, pending;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  long r = raw_clone(65, 0, 0, 0, 0);
  if (r > 0) T("exit signal 65: plain wait for it", waitpid((pid_t)r, NULL, 0));
  report("exit signal 65", r);
  sigpending(&pending);
  int n = 0;
  for (int s = 1; s < 65; s++) n += sigismember(&pending, s) == 1;
  printf("exit signal 65: signals pending after its end: %d\n", n);
  sigprocmask(SIG_SETMASK, &old, NULL);
}

/* struct clone_args as the kernel reads it, with room past its end for the size tests. */
struct clone3_buf {
  struct clone_args a;
  uint64_t extra[4];
};

static long clone3_with(struct clone3_buf *b, unsigned long size) { return raw_clone3(b, size); }

static void fresh(struct clone3_buf *b) {
  memset(b, 0, sizeof *b);
  b->a.exit_signal = SIGCHLD;
}

static void clone3_checks(void) {
  static struct clone3_buf b;
  char *stack = child_stack();

  fresh(&b);
  report("clone3 size 0", clone3_with(&b, 0));
  report("clone3 size 63", clone3_with(&b, 63));
  report("clone3 size 4097", clone3_with(&b, 4097));
  b.extra[0] = 1;
  report("clone3 nonzero bytes past its struct", clone3_with(&b, sizeof b));
  report("clone3 bad pointer", raw_clone3((void *)8, 64));
  report("clone3 unmapped high pointer", raw_clone3((void *)0x7ffffffff000UL, 64));

  fresh(&b);
  b.a.flags = 1ULL << 40;
  report("clone3 unknown flag", clone3_with(&b, 64));
  fresh(&b);
  b.a.flags = SIGCHLD;
  report("clone3 CSIGNAL bits in flags", clone3_with(&b, 64));
  fresh(&b);
  b.a.flags = CLONE_DETACHED;
  report("clone3 DETACHED", clone3_with(&b, 64));
  fresh(&b);
  b.a.exit_signal = 65;
  report("clone3 exit signal 65", clone3_with(&b, 64));
  fresh(&b);
  b.a.exit_signal = 0x100 | SIGCHLD;
  report("clone3 exit signal past CSIGNAL", clone3_with(&b, 64));
  fresh(&b);
  b.a.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
  b.a.stack = (uint64_t)(stack - (1 << 16));
  b.a.stack_size = 1 << 16;
  report("clone3 THREAD with exit signal", clone3_with(&b, 64));
  fresh(&b);
  b.a.flags = CLONE_PARENT;
  report("clone3 PARENT with exit signal", clone3_with(&b, 64));

  fresh(&b);
  b.a.stack = (uint64_t)(stack - (1 << 16));
  report("clone3 stack without size", clone3_with(&b, 64));
  fresh(&b);
  b.a.stack_size = 1 << 16;
  report("clone3 size without stack", clone3_with(&b, 64));
  fresh(&b);
  b.a.flags = CLONE_VM | CLONE_VFORK;
  b.a.stack = 0xffff800000000000UL;
  b.a.stack_size = 1 << 16;
  report("clone3 stack in the kernel half", clone3_with(&b, 64));
  fresh(&b);
  b.a.flags = CLONE_VM | CLONE_VFORK;
  b.a.stack = (1UL << 47) - 4096;
  b.a.stack_size = 1 << 16;
  report("clone3 stack crossing the top", clone3_with(&b, 64));

  /* set_tid lies past the first 64 bytes: these need the 88-byte struct. */
  static pid_t tids[40];
  fresh(&b);
  b.a.set_tid = (uint64_t)tids;
  b.a.set_tid_size = 33;
  report("clone3 set_tid_size 33", clone3_with(&b, 88));
  fresh(&b);
  b.a.set_tid_size = 1;
  report("clone3 set_tid_size without array", clone3_with(&b, 88));
  fresh(&b);
  b.a.set_tid = (uint64_t)tids;
  report("clone3 set_tid without size", clone3_with(&b, 88));
  fresh(&b);
  b.a.flags = CLONE_NEWPID;
  report("clone3 unprivileged NEWPID", clone3_with(&b, 64));
  fresh(&b);
  b.a.flags = CLONE_NEWTIME; /* in the exit-signal byte of legacy clone, a flag for clone3 */
  report("clone3 unprivileged NEWTIME", clone3_with(&b, 64));
  fresh(&b);
  b.a.flags = CLONE_SETTLS;
  b.a.tls = 1UL << 47;
  report("clone3 SETTLS at 2^47", clone3_with(&b, 64));

  /* Valid: a vfork-style child on its own stack, with the struct's full size and a larger zero-padded one. */
  fresh(&b);
  b.a.flags = CLONE_VM | CLONE_VFORK;
  b.a.stack = (uint64_t)(stack - (1 << 16));
  b.a.stack_size = 1 << 16;
  report("clone3 vfork-style size 64", clone3_with(&b, 64));
  report("clone3 vfork-style size 88", clone3_with(&b, 88));
  report("clone3 vfork-style zero-padded size 120", clone3_with(&b, sizeof b));
}

int main(void) {
  t_unbuffered();
  drop_privileges();
  legacy_clone();
  exit_signal_past_nsig();
  clone3_checks();
  T("no children left", waitpid(-1, NULL, __WALL | WNOHANG));
  return 0;
}
