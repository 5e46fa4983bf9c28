/* Identity: pids, tids, uids, groups, process group, uname, arch_prctl, set_tid_address. */
#include "t.h"
#include <asm/prctl.h>
#include <sys/utsname.h>

static __thread long tls_probe = 42;

int main(void) {
  long pid = SC(SYS_getpid), tid = SC(SYS_gettid);
  REL("pid > 0", pid > 0);
  /* Not "ppid > 0": in the sandbox the program is pid 1 of its own namespace with ppid 0, as in a container. */
  REL("ppid >= 0", SC(SYS_getppid) >= 0);
  REL("ppid != pid", SC(SYS_getppid) != pid);
  REL("tid == pid in main thread", tid == pid);
  REL("getpid stable", SC(SYS_getpid) == pid);
  /* Not "> 0": where the session or group leader lives outside the caller's pid namespace (a CI container),
     Linux reports 0 for it. Only the relations between the calls are the same everywhere. */
  REL("getpgrp >= 0", SC(SYS_getpgrp) >= 0);
  REL("getpgid(0) == getpgrp", SC(SYS_getpgid, 0) == SC(SYS_getpgrp));
  REL("getsid(0) >= 0", SC(SYS_getsid, 0) >= 0);
  REL("getsid(0) == getsid(pid)", SC(SYS_getsid, 0) == SC(SYS_getsid, pid));
  T("getpgid bad pid", SC(SYS_getpgid, 0x3fffffff));
  REL("uid == euid", SC(SYS_getuid) == SC(SYS_geteuid));
  REL("gid == egid", SC(SYS_getgid) == SC(SYS_getegid));
  unsigned r, e, s;
  T("getresuid", SC(SYS_getresuid, &r, &e, &s));
  REL("getresuid matches", r == SC(SYS_getuid) && e == SC(SYS_geteuid) && s == e);
  T("getresgid", SC(SYS_getresgid, &r, &e, &s));
  REL("getresgid matches", r == SC(SYS_getgid) && e == SC(SYS_getegid) && s == e);
  long ng = SC(SYS_getgroups, 0, NULL);
  REL("getgroups count >= 0", ng >= 0);
  unsigned groups[256];
  REL("getgroups fills same count", SC(SYS_getgroups, 256, groups) == ng);
  if (ng > 0) T("getgroups too small", SC(SYS_getgroups, ng - 1 > 0 ? ng - 1 : 0, groups) == ng ? 0 : -2);
  else printf("getgroups too small: skipped\n");
  T("getgroups negative", SC(SYS_getgroups, -1, groups));

  struct utsname u;
  T("uname", SC(SYS_uname, &u));
  printf("sysname: %s machine: %s\n", u.sysname, u.machine);
  REL("release non-empty", u.release[0] != 0);
  REL("nodename NUL terminated", memchr(u.nodename, 0, sizeof u.nodename) != NULL);
  T("uname NULL", SC(SYS_uname, NULL));

  unsigned long fs = 0, gs = 1;
  T("ARCH_GET_FS", SC(SYS_arch_prctl, ARCH_GET_FS, &fs));
  unsigned long self;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
  REL("fs base == TCB self pointer", fs == self);
  REL("TLS variable readable", tls_probe == 42);
  T("ARCH_SET_FS same value", SC(SYS_arch_prctl, ARCH_SET_FS, fs));
  tls_probe++;
  REL("TLS still works", tls_probe == 43);
  T("ARCH_GET_GS", SC(SYS_arch_prctl, ARCH_GET_GS, &gs));
  printf("gs base: %lu\n", gs);
  T("arch_prctl unknown code", SC(SYS_arch_prctl, 0x9999, &fs));
  T("ARCH_GET_FS wild pointer", SC(SYS_arch_prctl, ARCH_GET_FS, (void *)8));
  T("ARCH_SET_FS non-canonical", SC(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000UL));

  int clear_me;
  REL("set_tid_address returns tid", SC(SYS_set_tid_address, &clear_me) == tid);
  return 0;
}
