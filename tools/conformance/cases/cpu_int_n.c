/* `int N` from user space: vectors without a user gate raise #GP with error
 * code N * 8 + 2, which Linux reports as SIGSEGV (SI_KERNEL, trapno 13) at the
 * instruction; int3 in both encodings is SIGTRAP after the instruction, int
 * $4 (#OF) SIGSEGV after it. (int $0x80 is left out: natively it is the 32-bit
 * system call gate, which tsv does not have.) */
#include "t.h"
#include <ucontext.h>

static sigjmp_buf env;
static volatile unsigned long at_rip;
static volatile int got_sig, got_code;
static volatile long got_addr, got_trapno, got_err;

static void on_signal(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  got_sig = sig;
  got_code = si->si_code;
  got_addr = (long)si->si_addr;
  got_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
  got_err = uc->uc_mcontext.gregs[REG_ERR];
  at_rip = uc->uc_mcontext.gregs[REG_RIP];
  siglongjmp(env, 1);
}

/* One probe per encoding: a global label at the instruction and after it. */
#define PROBE(name, bytes)                                                                   \
  extern char name##_at[], name##_after[];                                                   \
  static void name(void) {                                                                   \
    __asm__ volatile(".globl " #name "_at\n" #name "_at: .byte " bytes "\n.globl " #name "_after\n" #name "_after: nop"); \
  }

PROBE(int_0d, "0xcd, 0x0d")
PROBE(int_01, "0xcd, 0x01")
PROBE(int_02, "0xcd, 0x02")
PROBE(int_08, "0xcd, 0x08")
PROBE(int_20, "0xcd, 0x20")
PROBE(int_81, "0xcd, 0x81")
PROBE(int_ff, "0xcd, 0xff")
PROBE(int_81_prefixed, "0x66, 0xcd, 0x81")
PROBE(int_03, "0xcd, 0x03")
PROBE(int3, "0xcc")
PROBE(int_04, "0xcd, 0x04")

static void run(const char *label, void (*fn)(void), const char *at, const char *after) {
  got_sig = 0;
  if (sigsetjmp(env, 1) == 0) fn();
  const char *where = at_rip == (unsigned long)at ? "at" : at_rip == (unsigned long)after ? "after" : "elsewhere";
  printf("%s: %s code %d addr %ld trapno %ld err 0x%lx rip %s\n", label, t_signame(got_sig), got_code, got_addr, got_trapno,
         got_err, where);
}

#define RUN(name) run(#name, name, name##_at, name##_after)

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGTRAP, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  RUN(int_0d);
  RUN(int_01);
  RUN(int_02);
  RUN(int_08);
  RUN(int_20);
  RUN(int_81);
  RUN(int_ff);
  RUN(int_81_prefixed);
  RUN(int_03);
  RUN(int3);
  RUN(int_04);
  return 0;
}
