/* A fault with the stack pointer in the kernel half or non-canonical: an
 * SA_ONSTACK handler still runs, on the alternate stack, and sees the
 * interrupted RSP exactly; without SA_ONSTACK no frame can be written and
 * the process dies of SIGSEGV (status 139). */
#include "t.h"
#include <ucontext.h>

static sigjmp_buf env;
static volatile unsigned long seen_rsp;
static volatile int on_alt;
static char alt[65536];

static void on_ill(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  char here;
  (void)sig;
  (void)si;
  seen_rsp = uc->uc_mcontext.gregs[REG_RSP];
  on_alt = &here > alt && &here < alt + sizeof alt;
  siglongjmp(env, 1);
}

/* ud2 with RSP = sp; RSP is restored by the handler's siglongjmp. */
static void fault_with_sp(unsigned long sp) {
  __asm__ volatile("mov %0, %%rsp\n ud2" : : "r"(sp) : "memory");
}

int main(void) {
  stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_ill;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigaction(SIGILL, &sa, NULL);

  const unsigned long bad[] = { 0xffffff8000001000UL, 0xffff800000000000UL, 0x0000900000000000UL, 0xfffffffffffffff8UL };
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    seen_rsp = 0;
    on_alt = 0;
    if (sigsetjmp(env, 1) == 0) fault_with_sp(bad[i]);
    printf("rsp %#lx: handler on the alternate stack %s, saw rsp %s\n", bad[i], on_alt ? "yes" : "no",
           seen_rsp == bad[i] ? "exactly" : "wrong");
  }

  printf("now without SA_ONSTACK\n");
  fflush(stdout);
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGILL, &sa, NULL);
  if (sigsetjmp(env, 1) == 0) fault_with_sp(bad[0]);
  printf("the handler ran\n");
  return 0;
}
