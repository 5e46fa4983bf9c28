/* A 1 ms ITIMER_REAL SIGALRM against a tight loop of getppid() system calls
 * and of loads from a PROT_NONE page: every SIGALRM handler gets a ucontext
 * whose saved RIP is inside the program's text, every SIGSEGV reports the
 * probing load itself, and no other signal arrives. Under tsv a tick lands
 * in the middle of many system calls and faults: this is what the platform
 * reports then (see @tsv/vcpu, VirtualCpu.run and enterUser). */
#include "t.h"
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>

#define WANT 500

extern char __executable_start[], etext[], probe_load[];
static volatile long alarms, bad_alarms, probes, bad_probes, spurious;
static sigjmp_buf probe_env;
static char *none;

static void on_alarm(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  alarms++;
  if (sig != SIGALRM || si == NULL || uc == NULL) {
    bad_alarms++;
    return;
  }
  unsigned long rip = uc->uc_mcontext.gregs[REG_RIP];
  if (rip < (unsigned long)__executable_start || rip >= (unsigned long)etext) bad_alarms++;
}

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  (void)sig;
  if (uc == NULL || si->si_addr != none || uc->uc_mcontext.gregs[REG_RIP] != (long)probe_load) bad_probes++;
  siglongjmp(probe_env, 1);
}

static void on_other(int sig) {
  (void)sig;
  spurious++;
}

static void probe(void) {
  if (sigsetjmp(probe_env, 1) == 0) {
    __asm__ volatile(".globl probe_load\nprobe_load: movb (%0), %%al" : : "r"(none) : "rax", "memory");
    bad_probes++; /* the load did not fault */
  }
  probes++;
}

int main(void) {
  none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_alarm;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  sa.sa_sigaction = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_other;
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGTRAP, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);

  struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
  setitimer(ITIMER_REAL, &it, NULL);
  long calls = 0;
  while (alarms < WANT) {
    syscall(SYS_getppid);
    if (++calls % 16 == 0) probe();
  }
  memset(&it, 0, sizeof it);
  setitimer(ITIMER_REAL, &it, NULL);

  printf("SIGALRM handlers run: %s\n", alarms >= WANT ? "all" : "too few");
  printf("bad SIGALRM frames: %ld\n", bad_alarms);
  REL("probes made", probes > 0);
  printf("bad SIGSEGV frames: %ld\n", bad_probes);
  printf("other signals: %ld\n", spurious);
  return 0;
}
