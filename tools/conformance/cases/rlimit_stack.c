/* RLIMIT_STACK: the stack grows up to the soft limit and no further (the
 * program gets SIGSEGV), whether set before an execve or by the running
 * program; execve leaves room for it below the stack (mmap gives addresses
 * at least the limit below it) and gives the arguments a quarter of it. */
#include "t.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static const char *self;
static volatile int sink;

/* Uses about `kib` KiB of stack. */
static int deep(long kib) {
  volatile char frame[4096];
  frame[0] = (char)kib;
  if (kib <= 4) return frame[0];
  return deep(kib - 4) + frame[0];
}

static void set_stack(rlim_t soft, rlim_t hard) {
  struct rlimit rl = {soft, hard};
  if (setrlimit(RLIMIT_STACK, &rl) != 0) _exit(90);
}

/* How a child that ran `fn(arg)` ended: "exit N" or "SIGNAME". */
static void report(const char *label, void (*fn)(long), long arg) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    fn(arg);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  if (WIFSIGNALED(st)) printf("%s: %s\n", label, t_signame(WTERMSIG(st)));
  else printf("%s: exit %d\n", label, WEXITSTATUS(st));
}

/* Sets the limit (KiB, 0: unlimited) and execs this program to recurse `kib` deep there. */
static long exec_kib;
static void exec_deep(long limit_kib) {
  set_stack(limit_kib ? (rlim_t)limit_kib << 10 : RLIM_INFINITY, limit_kib ? (rlim_t)limit_kib << 10 : RLIM_INFINITY);
  char depth[32];
  snprintf(depth, sizeof depth, "%ld", exec_kib);
  execl(self, self, "deep", depth, (char *)NULL);
  _exit(91);
}

/* Lowers the soft limit of this (running) process, then recurses `kib` deep. */
static void lower_then_deep(long kib) {
  set_stack(256 << 10, RLIM_INFINITY);
  sink = deep(kib);
}

/* Execs this program with 300 KiB of arguments under a stack limit of `limit_kib`. */
static void exec_big_args(long limit_kib) {
  set_stack((rlim_t)limit_kib << 10, (rlim_t)limit_kib << 10);
  static char arg[100 << 10];
  memset(arg, 'a', sizeof arg - 1);
  execl(self, self, "args", arg, arg, arg, (char *)NULL);
  _exit(errno == E2BIG ? 7 : 92);
}

/* Execs this program to measure how far below its stack mmap places a mapping. */
static void exec_gap(long limit_mib) {
  set_stack((rlim_t)limit_mib << 20, (rlim_t)limit_mib << 20);
  char mib[32];
  snprintf(mib, sizeof mib, "%ld", limit_mib);
  execl(self, self, "gap", mib, (char *)NULL);
  _exit(93);
}

int main(int argc, char **argv) {
  self = argv[0];
  if (argc == 3 && strcmp(argv[1], "deep") == 0) {
    sink = deep(atol(argv[2]));
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "args") == 0) return 0;
  if (argc == 3 && strcmp(argv[1], "gap") == 0) {
    volatile char local = 0;
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned long gap = (unsigned long)&local - (unsigned long)m;
    printf("limit %s MiB: mmap at least that far below the stack: %s\n", argv[2], gap >= (unsigned long)atol(argv[2]) << 20 ? "yes" : "no");
    return 0;
  }

  struct rlimit rl;
  TOK("getrlimit", getrlimit(RLIMIT_STACK, &rl));

  exec_kib = 512;
  report("limit 1 MiB, 512 KiB deep", exec_deep, 1024);
  exec_kib = 4096;
  report("limit 1 MiB, 4 MiB deep", exec_deep, 1024);
  exec_kib = 32 << 10;
  report("limit 64 MiB, 32 MiB deep", exec_deep, 64 << 10);
  report("unlimited, 32 MiB deep", exec_deep, 0);
  report("lowered to 256 KiB while running, 1 MiB deep", lower_then_deep, 1024);
  report("lowered to 256 KiB while running, 64 KiB deep", lower_then_deep, 64);
  report("300 KiB of arguments, limit 1 MiB", exec_big_args, 1024);
  report("300 KiB of arguments, limit 8 MiB", exec_big_args, 8192);
  report("gap 512", exec_gap, 512);
  report("gap 2048", exec_gap, 2048);
  return 0;
}
