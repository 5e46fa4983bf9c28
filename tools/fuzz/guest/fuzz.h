/*
 * The syscall fuzzer's guest program: shared declarations.
 *
 * From a seed it makes random system calls (random numbers, arguments drawn
 * from edge-case pools) and "structured" calls that reach deeper code. It
 * must survive its own calls: everything that would end or wedge the
 * process (guard.c) is never called or is rewritten, and faults in its own
 * code jump back to the loop (signals.c). Memory the program itself lives in
 * (its image, TLS, stack, the path page) is never handed to a call that
 * could unmap or overwrite it; only the arena is.
 *
 * Every system call goes through sys6(): a raw `syscall` instruction, so no
 * libc wrapper touches errno (TLS) while a random call may have moved the FS
 * base.
 */
#ifndef TSV_FUZZ_H
#define TSV_FUZZ_H
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#define PAGE 4096L
/** Highest system call number drawn as "in range" (Linux has ~462). */
#define NR_MAX 470

/* ---- raw system calls ---- */
static inline long sys6(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long r10 __asm__("r10") = a3;
  register long r8 __asm__("r8") = a4;
  register long r9 __asm__("r9") = a5;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
/** A system call the program makes on purpose: counted in the summary. */
long sc(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
#define SC0(nr) sc((nr), 0, 0, 0, 0, 0, 0)
#define SC1(nr, a) sc((nr), (long)(a), 0, 0, 0, 0, 0)
#define SC2(nr, a, b) sc((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define SC3(nr, a, b, c) sc((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SC4(nr, a, b, c, d) sc((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SC5(nr, a, b, c, d, e) sc((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define SC6(nr, a, b, c, d, e, f) sc((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* ---- rng.c: one deterministic stream per seed ---- */
void rng_seed(uint64_t seed);
uint64_t rnd(void);
/** Uniform in [0, n); 0 when n is 0. */
uint64_t below(uint64_t n);
/** True with probability percent/100. */
int chance(int percent);
#define PICK(arr) ((arr)[below(sizeof(arr) / sizeof((arr)[0]))])

/* ---- main.c: what the program owns ---- */
/** Regions of memory the calls may map, unmap, protect and scribble on. */
#define NREGIONS 8
struct region {
  char *base;
  long len;
};
extern struct region regions[NREGIONS];
/** Descriptors the program opened, as a pool for fd arguments (some may be closed since). */
#define NFDS 48
extern int fds[NFDS];
void remember_fd(long fd);
/** Descriptors calls must not close or replace: the summary's stdout and the work directory. */
#define OUT_FD 1000
#define WORK_FD 1001
/** A path on the host outside the sandbox's root (argv); it must stay out of reach. */
extern const char *outside_path;
extern long start_brk_top, vdso_base, self_pid, fs_base;

/* ---- pools.c: argument values ---- */
long pool_int(void);
long pool_len(void);
long pool_offset(void);
long pool_flags(void);
long pool_fd(void);
long pool_ptr(void);
long pool_addr(void);
long pool_path(void);
long pool_signal(void);
long pool_id(void);
long pool_small(void);
/** An address where the program has nothing mapped (it may be mapped later by a random call). */
long pool_wild(void);
/** A pointer into the arena with `want` writable bytes when it can find them, else anywhere in it. */
char *arena_ptr(long want);
/** Fills part of the arena with a structure-like pattern (iovecs, timespecs, small ints, zeros). */
void scribble(void);

void pools_init(void);
int in_path_page(unsigned long addr, unsigned long len);

/* ---- signatures.c: argument kinds of each system call ---- */
/** A string of kinds, one per argument (see signatures.c), or NULL when unknown. */
const char *signature(long nr);
long arg_of_kind(char kind);

/* ---- guard.c: what the program must never do to itself ---- */
enum verdict { CALL, SKIP };
/** May rewrite a[]; SKIP when the call must not be made at all. */
enum verdict guard_before(long nr, long a[6]);
/** Undoes what a call did to the program's own machinery (handlers, mask, timer, FS base). */
void guard_after(long nr, const long a[6]);
/** guard_before, the call, guard_after; -1 (EPERM) for a skipped call. */
long guarded_call(long nr, long a[6]);
/** True when [addr, addr+len) touches memory the program itself lives in. */
int touches_self(unsigned long addr, unsigned long len);
void guard_init(void);

/* ---- signals.c ---- */
/** rt_sigaction's own struct (the kernel's, not glibc's): 8-byte mask, restorer explicit. */
struct kernel_sigaction {
  void *handler;
  unsigned long flags;
  void *restorer;
  unsigned long mask;
};
#define SA_RESTORER_FLAG 0x04000000
/** rt_sigreturn, as the return address of every handler the program installs. */
void fuzz_restorer(void);
void signals_init(void);
/** Restores the handler of one signal (after a call may have changed it). */
void reinstall_handler(int sig);
/** Unblocks every signal. */
void unblock_all(void);
/** Re-arms the periodic SIGALRM that interrupts a call that would block. */
void arm_alarm(void);
void disarm_alarm(void);
/** A signal that is safe to raise at the program: handled, never fatal, never a stop. */
int safe_signal(void);
extern volatile int armed;
/** Where a fault inside the loop jumps back to (__builtin_setjmp in main.c's loop). */
extern void *recover[5];
/** A signal whose handler op_signal replaced for one delivery, until it is ours again (else 0). */
extern volatile int odd_signal;
extern volatile unsigned long faults, signals_seen;

/* ---- record.c ---- */
void record(long nr, long ret);
/** Whether system call `nr` (0..NR_MAX) has returned ENOSYS in this run. */
int returned_enosys(long nr);
void print_summary(unsigned long seed, unsigned long iterations, double elapsed);
void out_line(const char *s);
/** A line for the driver: TOKEN, ": ", then `text` (which ends in a newline). */
void report(const char *text);
/** Reports a broken Linux rule: "check failed: <what>". */
void check_failed(const char *what);
extern const char *token;
extern unsigned long random_calls, structured_calls, guarded_calls;
extern int verbose;

/* ---- structured operations (ops_*.c) ---- */
void op_mm(void);
void op_brk(void);
void op_file(void);
void op_pipe(void);
void op_dup(void);
void op_signal(void);
void op_timer(void);
void op_futex(void);
void op_prctl(void);
void op_arch_prctl(void);
void op_proc(void);
void op_misc(void);
void op_cpu(void);
/** Whether the registers a system call must keep survive system call `nr` (and, with `spin`, a busy wait first). */
int regs_kept(long nr, long a0, long a1, long spin);
/** The work directory's files, directories and symlinks (ops_fs.c). */
void files_init(void);
#endif
