/*
 * Structured prctl and arch_prctl calls (checking the segment bases they
 * set), and the rest: random bytes, identity and time queries, polling,
 * epoll, eventfd, ioctl, limits.
 */
#include "fuzz.h"
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <termios.h>

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

void op_arch_prctl(void) {
  unsigned long v = 0;
  long a[6] = {0, 0, 0, 0, 0, 0};
  switch (below(6)) {
    case 0:
      if (SC2(SYS_arch_prctl, ARCH_GET_FS, &v) == 0 && v != (unsigned long)fs_base)
        check_failed("ARCH_GET_FS is not the FS base");
      break;
    case 1: { /* a GS base set must stay, across a system call and maybe a signal */
      unsigned long want = chance(60) ? (unsigned long)pool_addr() : (unsigned long)(rnd() & 0x7fffffffffffUL);
      if (SC2(SYS_arch_prctl, ARCH_SET_GS, want) != 0) break;
      if (chance(20)) regs_kept(SYS_getpid, 0, 0, chance(20) ? 20000000 : 0); /* maybe across a SIGALRM */
      if (SC2(SYS_arch_prctl, ARCH_GET_GS, &v) == 0 && v != want)
        check_failed("ARCH_GET_GS is not what ARCH_SET_GS set");
      break;
    }
    case 2: /* a wild FS base, restored at once by the guard */
      a[0] = ARCH_SET_FS;
      a[1] = chance(50) ? pool_addr() : (long)rnd();
      guarded_call(SYS_arch_prctl, a);
      break;
    case 3:
      SC2(SYS_arch_prctl, 0x1011 /* ARCH_GET_CPUID */, 0);
      SC2(SYS_arch_prctl, 0x1012 /* ARCH_SET_CPUID */, chance(80) ? 1 : pool_int());
      break;
    case 4: {
      static const long xcomp[] = {0x1021, 0x1022, 0x1023, 0x1024, 0x1025};
      SC2(SYS_arch_prctl, PICK(xcomp), chance(50) ? (long)&v : (long)below(32));
      break;
    }
    default:
      a[0] = chance(80) ? 0x1000 + (long)below(0x30) : pool_int();
      a[1] = pool_ptr();
      guarded_call(SYS_arch_prctl, a);
      break;
  }
}

void op_prctl(void) {
  char name[32];
  int value = 0;
  long a[6] = {0, 0, 0, 0, 0, 0};
  switch (below(10)) {
    case 0:
      SC2(SYS_prctl, PR_SET_NAME, chance(80) ? pool_path() : pool_ptr());
      SC2(SYS_prctl, PR_GET_NAME, chance(90) ? (long)name : pool_ptr());
      break;
    case 1: SC2(SYS_prctl, PR_SET_DUMPABLE, below(3)); SC1(SYS_prctl, PR_GET_DUMPABLE); break;
    case 2: SC2(SYS_prctl, PR_SET_PDEATHSIG, safe_signal()); SC2(SYS_prctl, PR_GET_PDEATHSIG, &value); break;
    case 3: SC2(SYS_prctl, PR_SET_TIMERSLACK, pool_int()); SC1(SYS_prctl, PR_GET_TIMERSLACK); break;
    case 4: SC5(SYS_prctl, PR_SET_NO_NEW_PRIVS, below(2), 0, 0, 0); SC1(SYS_prctl, PR_GET_NO_NEW_PRIVS); break;
    case 5: SC2(SYS_prctl, chance(80) ? PR_CAPBSET_READ : PR_CAPBSET_DROP, below(64)); break;
    case 6: SC2(SYS_prctl, PR_SET_CHILD_SUBREAPER, below(2)); SC2(SYS_prctl, PR_GET_CHILD_SUBREAPER, &value); break;
    case 7: {
      const struct region *r = &regions[below(NREGIONS)];
      SC5(SYS_prctl, 0x53564d41 /* PR_SET_VMA */, 0 /* ANON_NAME */, r->base, r->len, chance(80) ? pool_path() : 0);
      break;
    }
    case 8: SC3(SYS_prctl, PR_SET_MM, below(16), pool_addr()); break;
    default:
      a[0] = chance(80) ? (long)below(80) : pool_int();
      for (int i = 1; i < 5; i++) a[i] = arg_of_kind('x');
      guarded_call(SYS_prctl, a);
      break;
  }
}

void op_misc(void) {
  char buf[1024];
  int fd = fds[below(NFDS)];
  switch (below(11)) {
    case 0: {
      long len = chance(80) ? (long)below(512) : pool_len();
      SC3(SYS_getrandom, arena_ptr(len), len, below(8));
      break;
    }
    case 1: {
      static const long calls[] = {SYS_uname, SYS_sysinfo, SYS_times};
      SC1(PICK(calls), chance(90) ? (long)buf : pool_ptr());
      SC2(SYS_getrusage, chance(80) ? (long)below(2) - 1 : pool_int(), buf);
      break;
    }
    case 2: SC3(SYS_sched_getaffinity, 0, chance(70) ? 128 : pool_len(), chance(80) ? (long)buf : pool_ptr()); break;
    case 3: {
      struct pollfd pf[8];
      for (int i = 0; i < 8; i++) pf[i] = (struct pollfd){fds[below(NFDS)], (short)rnd(), 0};
      if (chance(60)) {
        SC3(SYS_poll, pf, 1 + below(8), 0);
      } else {
        fd_set r, w;
        struct timeval tv = {0, 0};
        FD_ZERO(&r);
        FD_ZERO(&w);
        if (fd > 0 && fd < FD_SETSIZE) FD_SET(fd, &r);
        if (fd > 0 && fd < FD_SETSIZE) FD_SET(fd, &w);
        SC5(SYS_select, fd > 0 && fd < FD_SETSIZE ? fd + 1 : (long)below(64), &r, &w, 0, &tv);
      }
      break;
    }
    case 4: {
      long ep = SC1(SYS_epoll_create1, chance(50) ? 02000000 : 0);
      if (ep < 0) break;
      for (int i = 0, n = (int)below(6); i < n; i++) {
        struct epoll_event ev = {(unsigned)rnd(), {.u64 = rnd()}};
        SC4(SYS_epoll_ctl, ep, 1 + below(3), pool_fd(), &ev);
      }
      SC4(SYS_epoll_wait, ep, buf, 1 + below(8), 0);
      SC1(SYS_close, ep);
      break;
    }
    case 5: {
      long ev = SC2(SYS_eventfd2, below(4), 04000 /* EFD_NONBLOCK */ | (chance(50) ? 1 /* EFD_SEMAPHORE */ : 0));
      if (ev < 0) break;
      unsigned long v = chance(90) ? below(100) : (unsigned long)-1;
      SC3(SYS_write, ev, &v, 8);
      SC3(SYS_read, ev, &v, chance(90) ? 8 : 4);
      SC1(SYS_close, ev);
      break;
    }
    case 6: SC2(SYS_clock_getres, below(12), buf); break;
    case 7:
      SC2(SYS_getcwd, buf, chance(80) ? (long)sizeof buf : (long)below(8));
      SC2(SYS_statfs, pool_path(), buf);
      break;
    case 8: {
      static const long ids[] = {SYS_getpid, SYS_gettid, SYS_getppid, SYS_getuid, SYS_geteuid, SYS_getpgrp, SYS_sched_yield};
      SC0(PICK(ids));
      break;
    }
    case 9: {
      static const long cmds[] = {FIONREAD, FIONBIO, TCGETS, TIOCGWINSZ, FIOCLEX, FIONCLEX, TIOCGPGRP, FIOASYNC, 0x5401, 0xc0045877};
      int arg = (int)below(2);
      SC3(SYS_ioctl, fd, chance(85) ? PICK(cmds) : pool_int(), chance(80) ? (long)&arg : pool_ptr());
      break;
    }
    default: {
      long a[6] = {0, (long)below(16), 0, (long)buf, 0, 0};
      unsigned long lim[2] = {below(1 << 20), 1UL << 30};
      if (chance(40)) a[2] = (long)lim;
      guarded_call(SYS_prlimit64, a);
      break;
    }
  }
}
