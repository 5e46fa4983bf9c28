/*
 * tsv's syscall fuzzer, the guest side.
 *
 *   fuzz SEED [ITERATIONS [SECONDS [OUTSIDE [TOKEN [v]]]]]
 *
 * Makes ITERATIONS steps (default 20000), or fewer if SECONDS (default 60)
 * pass first: each step is one random system call or one structured
 * operation (ops_*.c). OUTSIDE is a host path outside the sandbox's root that
 * the calls try to reach; TOKEN (default "fuzz") starts every line meant for
 * the driver; "v" traces every call to stdout. Ends with a summary
 * (record.c) and exit status 0; any other end is the fuzzer's or tsv's bug.
 * Run it in its own working directory: it creates files there.
 */
#include "fuzz.h"
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <fcntl.h>

struct region regions[NREGIONS];
int fds[NFDS];
const char *outside_path = "/nonexistent-outside";
long start_brk_top, vdso_base, self_pid, fs_base;

void remember_fd(long fd) {
  if (fd >= 0 && fd < 1 << 20 && fd != OUT_FD && fd != WORK_FD) fds[below(NFDS)] = (int)fd;
}

static double now(void) {
  struct timespec ts = {0, 0};
  sys6(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Touch the stack the run will need now: later, a random rlimit could forbid
 * growing it. Nested signal frames are the deepest use: up to 64 signals at
 * a few KiB each (the xsave area).
 */
static void __attribute__((noinline)) grow_stack(void) {
  volatile char pad[1 << 20];
  for (size_t i = 0; i < sizeof pad; i += PAGE) pad[i] = 0;
}

static void regions_init(void) {
  for (int i = 0; i < NREGIONS; i++) {
    long len = (1 + (long)below(i < 6 ? 16 : 64)) * PAGE;
    long p = sys6(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, (i % 2 ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if ((unsigned long)p > -4096UL) continue;
    regions[i] = (struct region){(char *)p, len};
    memset((char *)p, 0x11 * i, (size_t)len);
  }
}

/* Numbers in range, mostly ones not yet known to be ENOSYS: the depth is in what is implemented. */
static long pick_nr(void) {
  if (chance(92)) {
    long nr = (long)below(NR_MAX + 1);
    for (int tries = 0; tries < 8 && returned_enosys(nr) && chance(90); tries++) nr = (long)below(NR_MAX + 1);
    return nr;
  }
  static const long odd[] = {-1, 0xffffffffL, 1000, 0x80000000L, 1L << 62};
  switch (below(4)) {
    case 0: return NR_MAX + 1 + (long)below(100);
    case 1: return 0x40000000L | (long)below(600);   /* the x32 table */
    case 2: return (1L << 32) | (long)below(NR_MAX); /* Linux looks at eax only */
    default: return chance(50) ? PICK(odd) : (long)rnd();
  }
}

static void random_call(void) {
  long nr = pick_nr();
  const char *kinds = signature((long)((unsigned)nr & ~0x40000000u));
  long a[6];
  for (int i = 0; i < 6; i++) a[i] = arg_of_kind(kinds && i < (int)strlen(kinds) ? kinds[i] : 'x');
  random_calls++;
  long r = guarded_call(nr, a);
  if (r >= 0 && r < 1 << 20 && chance(30)) remember_fd(r); /* it may be a new descriptor */
}

typedef void (*op_fn)(void);
static const op_fn OPS[] = {
  op_mm, op_mm, op_mm, op_brk, op_file, op_file, op_pipe, op_dup, op_signal, op_timer,
  op_futex, op_prctl, op_arch_prctl, op_proc, op_misc, op_cpu, scribble,
};

static volatile unsigned long iteration;

/*
 * After a fault jumped back: whatever the step was doing is abandoned, and
 * what it had changed of the program's machinery is put back. Still armed:
 * a pending signal delivered by the unblocking may fault too.
 */
static void after_fault(void) {
  sys6(SYS_arch_prctl, 0x1002 /* ARCH_SET_FS */, fs_base, 0, 0, 0, 0);
  if (odd_signal) reinstall_handler(odd_signal);
  odd_signal = 0;
  unblock_all();
}

static void run(unsigned long iterations, double deadline) {
  char line[64];
  for (iteration = 0; iteration < iterations; iteration++) {
    if ((iteration & 255) == 0 && now() > deadline) break;
    if ((iteration & 4095) == 0 && iteration) {
      strcpy(line, "at ");
      char *p = line + strlen(line), digits[24];
      int n = 0;
      for (unsigned long v = iteration; v; v /= 10) digits[n++] = (char)('0' + v % 10);
      while (n) *p++ = digits[--n];
      strcpy(p, "\n");
      report(line);
    }
    if (__builtin_setjmp(recover)) {
      after_fault();
      continue;
    }
    armed = 1;
    if (chance(35)) {
      structured_calls++;
      PICK(OPS)();
    } else {
      random_call();
    }
    armed = 0;
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    static const char usage[] = "usage: fuzz SEED [ITERATIONS [SECONDS [OUTSIDE [TOKEN [v]]]]]\n";
    sys6(SYS_write, 2, (long)usage, sizeof usage - 1, 0, 0, 0);
    return 2;
  }
  unsigned long seed = strtoul(argv[1], NULL, 0);
  unsigned long iterations = argc > 2 ? strtoul(argv[2], NULL, 0) : 20000;
  double seconds = argc > 3 ? strtod(argv[3], NULL) : 60;
  if (argc > 4) outside_path = argv[4];
  if (argc > 5) token = argv[5];
  verbose = argc > 6 && strcmp(argv[6], "v") == 0;
  rng_seed(seed);

  /* A process group of its own: natively, kill(0, sig) then reaches this program only. */
  sys6(SYS_setpgid, 0, 0, 0, 0, 0, 0);
  self_pid = sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
  start_brk_top = sys6(SYS_brk, 0, 0, 0, 0, 0, 0);
  sys6(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, (long)&fs_base, 0, 0, 0, 0);
  vdso_base = (long)getauxval(AT_SYSINFO_EHDR);
  grow_stack();
  sys6(SYS_dup2, 1, OUT_FD, 0, 0, 0, 0);
  long work = sys6(SYS_open, (long)".", O_RDONLY | O_DIRECTORY, 0, 0, 0, 0);
  sys6(SYS_dup2, work, WORK_FD, 0, 0, 0, 0);
  sys6(SYS_close, work, 0, 0, 0, 0, 0);

  guard_init();
  pools_init();
  regions_init();
  files_init();
  signals_init();
  double start = now();
  run(iterations, start + seconds);
  disarm_alarm();
  sys6(SYS_arch_prctl, 0x1002 /* ARCH_SET_FS */, fs_base, 0, 0, 0, 0);
  print_summary(seed, iteration, now() - start);
  sys6(SYS_exit_group, 0, 0, 0, 0, 0, 0);
  return 0;
}
