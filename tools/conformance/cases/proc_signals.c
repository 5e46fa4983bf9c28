/* rt_sigaction, rt_sigprocmask, rt_sigpending, sigaltstack: recorded, read back, delivered. */
#include "t.h"
#include <stdint.h>

struct ksigaction { void *handler; unsigned long flags; void *restorer; uint64_t mask; };
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

static volatile int hits, on_alt;
static char altstack[65536];

static void on_usr1(int sig) { (void)sig; hits++; }
static void on_usr2(int sig) {
  (void)sig;
  char here;
  on_alt = &here >= altstack && &here < altstack + sizeof altstack;
  stack_t cur;
  SC(SYS_sigaltstack, NULL, &cur);
  if (cur.ss_flags & SS_ONSTACK) on_alt |= 2;
}
static void fake_restorer(void) {}

int main(void) {
  struct ksigaction act = {(void *)on_usr1, SA_RESTART | SA_RESTORER, (void *)fake_restorer, 1UL << (SIGUSR2 - 1)};
  struct ksigaction old;
  T("rt_sigaction set", SC(SYS_rt_sigaction, SIGUSR1, &act, NULL, 8));
  memset(&old, 0, sizeof old);
  T("rt_sigaction read", SC(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8));
  REL("handler recorded", old.handler == (void *)on_usr1);
  REL("restorer recorded", old.restorer == (void *)fake_restorer);
  printf("flags: %#lx mask == SIGUSR2 bit: %s\n", old.flags, old.mask == 1UL << (SIGUSR2 - 1) ? "yes" : "no");
  struct ksigaction kill_mask = {(void *)on_usr1, SA_RESTORER, (void *)fake_restorer, (1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1))};
  T("mask with SIGKILL/SIGSTOP", SC(SYS_rt_sigaction, SIGUSR1, &kill_mask, NULL, 8));
  SC(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8);
  printf("stored mask: %#llx\n", (unsigned long long)old.mask);
  struct ksigaction ign = {SIG_IGN, SA_RESTORER, (void *)fake_restorer, 0};
  T("set SIG_IGN and get old", SC(SYS_rt_sigaction, SIGUSR1, &ign, &old, 8));
  REL("old was handler", old.handler == (void *)on_usr1);
  SC(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8);
  REL("now SIG_IGN", old.handler == SIG_IGN);
  T("default of SIGCHLD read", SC(SYS_rt_sigaction, SIGCHLD, NULL, &old, 8));
  REL("SIGCHLD default", old.handler == SIG_DFL);
  T("SIGKILL set", SC(SYS_rt_sigaction, SIGKILL, &ign, NULL, 8));
  T("SIGSTOP set", SC(SYS_rt_sigaction, SIGSTOP, &ign, NULL, 8));
  T("SIGKILL read", SC(SYS_rt_sigaction, SIGKILL, NULL, &old, 8));
  T("signal 0", SC(SYS_rt_sigaction, 0, NULL, &old, 8));
  T("signal 65", SC(SYS_rt_sigaction, 65, NULL, &old, 8));
  T("signal 64 (SIGRTMAX)", SC(SYS_rt_sigaction, 64, NULL, &old, 8));
  T("sigsetsize 4", SC(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4));
  T("wild act pointer", SC(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, 8));

  uint64_t set = 1UL << (SIGUSR1 - 1), cur = 0;
  T("rt_sigprocmask read initial", SC(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8));
  printf("initial mask: %#llx\n", (unsigned long long)cur);
  T("block SIGUSR1", SC(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8));
  SC(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8);
  printf("mask: %#llx\n", (unsigned long long)cur);
  uint64_t killstop = (1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1));
  T("block SIGKILL/SIGSTOP", SC(SYS_rt_sigprocmask, SIG_BLOCK, &killstop, NULL, 8));
  SC(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8);
  printf("mask (KILL/STOP silently dropped): %#llx\n", (unsigned long long)cur);
  T("bad how", SC(SYS_rt_sigprocmask, 99, &set, NULL, 8));
  T("bad sigsetsize", SC(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16));

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  T("kill self while blocked", SC(SYS_kill, SC(SYS_getpid), SIGUSR1));
  printf("hits while blocked: %d\n", hits);
  uint64_t pend = 0;
  T("rt_sigpending", SC(SYS_rt_sigpending, &pend, 8));
  printf("pending: %#llx\n", (unsigned long long)pend);
  T("unblock", SC(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, 8));
  printf("hits after unblock: %d\n", hits);
  T("tgkill self", SC(SYS_tgkill, SC(SYS_getpid), SC(SYS_gettid), SIGUSR1));
  printf("hits after tgkill: %d\n", hits);
  T("kill signal 0 probe", SC(SYS_kill, SC(SYS_getpid), 0));
  T("kill bad signal", SC(SYS_kill, SC(SYS_getpid), 99));
  T("ignored signal is dropped", (signal(SIGUSR1, SIG_IGN), SC(SYS_kill, SC(SYS_getpid), SIGUSR1)));
  printf("hits after ignored: %d\n", hits);

  stack_t ss = {altstack, 0, sizeof altstack}, os;
  T("sigaltstack initial", SC(SYS_sigaltstack, NULL, &os));
  printf("initial flags: %d\n", os.ss_flags);
  T("sigaltstack set", SC(SYS_sigaltstack, &ss, NULL));
  T("sigaltstack read", SC(SYS_sigaltstack, NULL, &os));
  REL("recorded", os.ss_sp == altstack && os.ss_size == sizeof altstack && os.ss_flags == 0);
  stack_t tiny = {altstack, 0, 512};
  T("sigaltstack too small", SC(SYS_sigaltstack, &tiny, NULL));
  stack_t badf = {altstack, 0x77, sizeof altstack};
  T("sigaltstack bad flags", SC(SYS_sigaltstack, &badf, NULL));
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("handler on alt stack: %s, SS_ONSTACK seen: %s\n", on_alt & 1 ? "yes" : "no", on_alt & 2 ? "yes" : "no");
  stack_t dis = {NULL, SS_DISABLE, 0};
  T("sigaltstack disable", SC(SYS_sigaltstack, &dis, NULL));
  SC(SYS_sigaltstack, NULL, &os);
  printf("flags after disable: %d\n", os.ss_flags);
  return 0;
}
