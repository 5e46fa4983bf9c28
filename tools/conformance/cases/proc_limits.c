/* prlimit64/getrlimit/setrlimit, getrusage, sysinfo, sched_getaffinity, sched_yield. */
#include "t.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>

int main(void) {
  struct rlimit rl = {0, 0}, got;
  T("getrlimit NOFILE", SC(SYS_getrlimit, RLIMIT_NOFILE, &rl));
  REL("soft <= hard", rl.rlim_cur <= rl.rlim_max);
  REL("inherited hard >= 64", rl.rlim_max >= 64);
  /* Lowering is always allowed; from here on the limits no longer depend on the parent. */
  struct rlimit low = {10, 64};
  T("setrlimit NOFILE 10/64", SC(SYS_setrlimit, RLIMIT_NOFILE, &low));
  T("getrlimit back", SC(SYS_getrlimit, RLIMIT_NOFILE, &rl));
  printf("soft %lu hard %lu\n", (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
  long last = 0;
  for (int i = 0; i < 20; i++) { long fd = SC(SYS_open, ".", O_RDONLY); if (fd < 0) break; last = fd; }
  printf("highest fd opened: %ld, then: %s\n", last, ename(errno));
  T("dup2 beyond limit", SC(SYS_dup2, 0, 10));
  T("F_DUPFD beyond limit", SC(SYS_fcntl, 0, F_DUPFD, 10));
  struct rlimit inv = {20, 10};
  T("setrlimit soft > hard", SC(SYS_setrlimit, RLIMIT_NOFILE, &inv));
  T("setrlimit bad resource", SC(SYS_setrlimit, 999, &low));
  T("getrlimit bad resource", SC(SYS_getrlimit, 999, &rl));
  struct rlimit nw = {20, 64};
  T("prlimit64 set+get", SC(SYS_prlimit64, 0, RLIMIT_NOFILE, &nw, &got));
  printf("prlimit old: %lu/%lu\n", (unsigned long)got.rlim_cur, (unsigned long)got.rlim_max);
  T("prlimit64 get", SC(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &got));
  printf("prlimit now: %lu/%lu\n", (unsigned long)got.rlim_cur, (unsigned long)got.rlim_max);
  T("prlimit64 self pid", SC(SYS_prlimit64, SC(SYS_getpid), RLIMIT_NOFILE, NULL, &got));
  T("prlimit64 missing pid", SC(SYS_prlimit64, 0x3fffffff, RLIMIT_NOFILE, NULL, &got));
  T("prlimit64 bad resource", SC(SYS_prlimit64, 0, 999, NULL, &got));
  struct rlimit cpu = {RLIM_INFINITY, RLIM_INFINITY};
  T("getrlimit CPU", SC(SYS_getrlimit, RLIMIT_CPU, &cpu));
  struct rlimit as = {1UL << 40, RLIM_INFINITY};
  T("setrlimit AS", SC(SYS_setrlimit, RLIMIT_AS, &as));
  T("getrlimit AS", SC(SYS_getrlimit, RLIMIT_AS, &as));
  printf("AS soft: %lu\n", (unsigned long)as.rlim_cur);

  struct rusage ru;
  T("getrusage self", SC(SYS_getrusage, RUSAGE_SELF, &ru));
  REL("utime sane", ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
  REL("maxrss >= 0", ru.ru_maxrss >= 0);
  T("getrusage children", SC(SYS_getrusage, RUSAGE_CHILDREN, &ru));
  T("getrusage thread", SC(SYS_getrusage, RUSAGE_THREAD, &ru));
  T("getrusage bad who", SC(SYS_getrusage, 42, &ru));

  struct sysinfo si;
  T("sysinfo", SC(SYS_sysinfo, &si));
  REL("uptime >= 0", si.uptime >= 0);
  REL("totalram > 0", si.totalram > 0);
  REL("freeram <= totalram", si.freeram <= si.totalram);
  REL("mem_unit >= 1", si.mem_unit >= 1);
  REL("procs >= 1", si.procs >= 1);
  T("sysinfo NULL", SC(SYS_sysinfo, NULL));

  cpu_set_t set;
  CPU_ZERO(&set);
  long n = SC(SYS_sched_getaffinity, 0, sizeof set, &set);
  REL("sched_getaffinity returns bytes > 0", n > 0 && n <= (long)sizeof set && n % 8 == 0);
  REL("at least one cpu", CPU_COUNT(&set) >= 1);
  T("sched_getaffinity size 1", SC(SYS_sched_getaffinity, 0, 1, &set));
  T("sched_getaffinity size 7", SC(SYS_sched_getaffinity, 0, 7, &set));
  T("sched_getaffinity missing pid", SC(SYS_sched_getaffinity, 0x3fffffff, sizeof set, &set));
  T("sched_yield", SC(SYS_sched_yield));
  return 0;
}
