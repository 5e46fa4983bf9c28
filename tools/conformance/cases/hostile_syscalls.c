/* Unknown syscall numbers, unknown flags and out-of-range arguments across areas. */
#include "t.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>

int main(void) {
  /* 335..423 is a gap x86-64 Linux never fills; some custom host kernels use 335 and 336, so avoid those. */
  const long nrs[] = {337, 400, 423, 511, 1000, 4096, 100000, -1, -2, 0x7fffffff, 0x40000000L + 5000};
  for (unsigned i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
    char label[64];
    snprintf(label, sizeof label, "syscall %ld", nrs[i]);
    T(label, SC(nrs[i], 1, 2, 3, 4, 5, 6));
  }
  char buf[64];
  T("uname wild", SC(SYS_uname, (void *)0x10));
  T("sysinfo wild", SC(SYS_sysinfo, (void *)0x10));
  T("getrlimit wild", SC(SYS_getrlimit, RLIMIT_NOFILE, (void *)0x10));
  T("getrusage wild", SC(SYS_getrusage, RUSAGE_SELF, (void *)0x10));
  T("gettimeofday wild", SC(SYS_gettimeofday, (void *)0x10, NULL));
  T("time wild", SC(SYS_time, (void *)0x10));
  T("pipe2 wild", SC(SYS_pipe2, (void *)0x10, 0));
  T("sched_getaffinity wild", SC(SYS_sched_getaffinity, 0, 128, (void *)0x10));
  TOK("sched_getaffinity huge len", SC(SYS_sched_getaffinity, 0, 1UL << 40, buf));
  T("rt_sigprocmask wild", SC(SYS_rt_sigprocmask, SIG_BLOCK, (void *)0x10, NULL, 8));
  T("sigaltstack wild", SC(SYS_sigaltstack, (void *)0x10, NULL));
  T("set_tid_address wild (allowed)", SC(SYS_set_tid_address, (void *)0x10) > 0);
  int p[2];
  SC(SYS_pipe2, p, 0);
  T("fcntl F_SETFL bogus bits", SC(SYS_fcntl, p[0], F_SETFL, 0x7fffffff & ~(O_DIRECT | O_NOATIME | O_ASYNC)));
  long fl = SC(SYS_fcntl, p[0], F_GETFL);
  printf("F_GETFL after bogus: nonblock=%d append=%d accmode=%ld\n", !!(fl & O_NONBLOCK), !!(fl & O_APPEND), fl & O_ACCMODE);
  T("fcntl F_SETFD bogus bits", SC(SYS_fcntl, p[0], F_SETFD, 0x7ffffffe));
  T("fcntl F_GETFD after bogus", SC(SYS_fcntl, p[0], F_GETFD));
  T("getrandom huge len to wild buf", SC(SYS_getrandom, (void *)0x10, 1UL << 40, 0));
  T("mmap non-canonical MAP_FIXED", (long)mmap((void *)0x0000800000000000UL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  T("mmap kernel MAP_FIXED", (long)mmap((void *)0xffffffff80000000UL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  T("munmap kernel range", SC(SYS_munmap, 0xffffffff80000000UL, 4096));
  T("munmap length wraps", SC(SYS_munmap, 0x10000, -4096L));
  T("mprotect kernel range", SC(SYS_mprotect, 0xffffffff80000000UL, 4096, PROT_READ));
  T("madvise kernel range", SC(SYS_madvise, 0xffffffff80000000UL, 4096, MADV_DONTNEED));
  T("brk kernel address (returns current, compare)", SC(SYS_brk, 0xffffffff80000000UL) == SC(SYS_brk, 0));
  return 0;
}
