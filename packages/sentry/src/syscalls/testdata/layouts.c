/* Prints "struct.field offset size" for the structures the process, time and
   signal system calls exchange, as this machine's compiler lays them out. */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>

/* struct k_sigaction as rt_sigaction(2) takes it on x86-64 (not glibc's struct sigaction). */
struct kernel_sigaction { void *handler; unsigned long flags; void *restorer; unsigned long mask; };

#define F(s, f) printf("%s.%s %zu %zu\n", #s, #f, offsetof(s, f), sizeof(((s *)0)->f))
#define S(s) printf("%s %zu\n", #s, sizeof(s))

int main(void) {
  S(struct timespec); F(struct timespec, tv_sec); F(struct timespec, tv_nsec);
  S(struct timeval); F(struct timeval, tv_sec); F(struct timeval, tv_usec);
  S(struct rusage); F(struct rusage, ru_utime); F(struct rusage, ru_stime); F(struct rusage, ru_maxrss); F(struct rusage, ru_minflt);
  S(struct sysinfo); F(struct sysinfo, uptime); F(struct sysinfo, totalram); F(struct sysinfo, freeram); F(struct sysinfo, procs);
  F(struct sysinfo, mem_unit);
  S(struct utsname); F(struct utsname, sysname); F(struct utsname, nodename); F(struct utsname, release);
  F(struct utsname, version); F(struct utsname, machine); F(struct utsname, domainname);
  S(struct rlimit); F(struct rlimit, rlim_cur); F(struct rlimit, rlim_max);
  S(stack_t); F(stack_t, ss_sp); F(stack_t, ss_flags); F(stack_t, ss_size);
  S(struct kernel_sigaction); F(struct kernel_sigaction, handler); F(struct kernel_sigaction, flags);
  F(struct kernel_sigaction, restorer); F(struct kernel_sigaction, mask);
  S(struct tms); F(struct tms, tms_utime); F(struct tms, tms_stime);
  return 0;
}
