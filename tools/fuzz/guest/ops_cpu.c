/*
 * The CPU's side of the system call boundary: registers a call must keep,
 * and system call instructions from 32-bit compatibility mode.
 */
#include "fuzz.h"
#include <signal.h>
#include <time.h>

/*
 * Sets every register a system call must keep (all but rax, rcx and r11) to
 * a known value, optionally spins first so the periodic SIGALRM may land in
 * user code, makes the call and reports whether they all came back. Operands
 * are in memory: every general register is in use.
 */
int regs_kept(long nr, long a0, long a1, long spin) {
  long bad = 1;
  __asm__ volatile(
      "movabs $0x0b0b0b0b0b0b0b0b, %%rbx\n\t"
      "movabs $0x0d0d0d0d0d0d0d0d, %%rdx\n\t"
      "movabs $0x0808080808080808, %%r8\n\t"
      "movabs $0x0909090909090909, %%r9\n\t"
      "movabs $0x1010101010101010, %%r10\n\t"
      "movabs $0x1212121212121212, %%r12\n\t"
      "movabs $0x1313131313131313, %%r13\n\t"
      "movabs $0x1414141414141414, %%r14\n\t"
      "movabs $0x1515151515151515, %%r15\n\t"
      "movq %%r12, %%xmm1\n\t"
      "movq %%r15, %%xmm7\n\t"
      "mov %[spin], %%rcx\n\t"
      "test %%rcx, %%rcx\n\t"
      "jz 2f\n"
      "1: dec %%rcx\n\t"
      "jnz 1b\n"
      "2: mov %[nr], %%rax\n\t"
      "mov %[a0], %%rdi\n\t"
      "mov %[a1], %%rsi\n\t"
      "syscall\n\t"
      "movabs $0x0b0b0b0b0b0b0b0b, %%rax\n\t cmp %%rax, %%rbx\n\t jne 3f\n\t"
      "movabs $0x0d0d0d0d0d0d0d0d, %%rax\n\t cmp %%rax, %%rdx\n\t jne 3f\n\t"
      "movabs $0x0808080808080808, %%rax\n\t cmp %%rax, %%r8\n\t jne 3f\n\t"
      "movabs $0x0909090909090909, %%rax\n\t cmp %%rax, %%r9\n\t jne 3f\n\t"
      "movabs $0x1010101010101010, %%rax\n\t cmp %%rax, %%r10\n\t jne 3f\n\t"
      "movabs $0x1212121212121212, %%rax\n\t cmp %%rax, %%r12\n\t jne 3f\n\t"
      "movabs $0x1313131313131313, %%rax\n\t cmp %%rax, %%r13\n\t jne 3f\n\t"
      "movabs $0x1414141414141414, %%rax\n\t cmp %%rax, %%r14\n\t jne 3f\n\t"
      "movabs $0x1515151515151515, %%rax\n\t cmp %%rax, %%r15\n\t jne 3f\n\t"
      "movq %%xmm1, %%rax\n\t cmp %%rax, %%r12\n\t jne 3f\n\t"
      "movq %%xmm7, %%rax\n\t cmp %%rax, %%r15\n\t jne 3f\n\t"
      "cmp %[a0], %%rdi\n\t jne 3f\n\t"
      "cmp %[a1], %%rsi\n\t jne 3f\n\t"
      "movq $0, %[bad]\n"
      "3:\n"
      : [bad] "+m"(bad)
      : [nr] "m"(nr), [a0] "m"(a0), [a1] "m"(a1), [spin] "m"(spin)
      : "rax", "rbx", "rcx", "rdx", "rdi", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "xmm1",
        "xmm7", "memory", "cc");
  return !bad;
}

static void check_regs(void) {
  static struct timespec ts = {0, 100000};
  static const long calls[] = {SYS_getpid, SYS_sched_yield, 999, SYS_nanosleep, SYS_getppid};
  long nr = PICK(calls);
  long spin = chance(5) ? 20000000 + (long)below(20000000) : 0;
  if (!regs_kept(nr, nr == SYS_nanosleep ? (long)&ts : (long)rnd(), 0, spin))
    check_failed("registers changed across a system call or a signal");
}

/*
 * Compatibility mode: a far return to CS 0x23 runs a system call instruction
 * as 32-bit code, then a far jump to CS 0x33 comes back. Linux takes int $0x80
 * as an ia32 call (eax: its number), and SYSCALL in compatibility mode is #UD
 * on Intel (SIGILL) and an ia32 call on AMD. The guest's code is below 4 GiB
 * (a static, non-PIE link), and the 32-bit code runs on a stack below 4 GiB
 * too, so that a signal delivered there (a fault, the periodic SIGALRM) has a
 * frame it can reach; a fault's handler jumps back to the loop from it.
 */
long compat_saved_rsp;
#define COMPAT_STACK_SIZE 65536
static char compat_stack[COMPAT_STACK_SIZE] __attribute__((aligned(16), used));
#define STR(x) #x
#define XSTR(x) STR(x)

/* Every general register but rsp is clobbered: their upper halves are undefined after 32-bit code. */
#define ENTER_COMPAT(insn)                                                                              \
  __asm__ volatile("mov %%rsp, compat_saved_rsp(%%rip)\n\t"                                             \
                   "lea compat_stack+" XSTR(COMPAT_STACK_SIZE) "(%%rip), %%rsp\n\t"                     \
                   "pushq $0x23\n\t"                                                                    \
                   "lea 1f(%%rip), %%rcx\n\t"                                                           \
                   "pushq %%rcx\n\t"                                                                    \
                   "xor %%ebx, %%ebx\n\t"                                                               \
                   "xor %%ecx, %%ecx\n\t"                                                               \
                   "xor %%edx, %%edx\n\t"                                                               \
                   "lretq\n"                                                                            \
                   ".code32\n"                                                                          \
                   "1: " insn "\n\t"                                                                     \
                   "ljmp $0x33, $2f\n"                                                                  \
                   ".code64\n"                                                                          \
                   "2: mov compat_saved_rsp(%%rip), %%rsp\n"                                             \
                   : "+a"(ret)                                                                          \
                   :                                                                                    \
                   : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", \
                     "memory", "cc")

/* ia32 numbers of calls harmless with zero arguments: getpid, getuid, time(NULL), uname(NULL), none. */
static const long IA32_CALLS[] = {20, 24, 13, 122, 999};

static void compat_call(void) {
  long ret = PICK(IA32_CALLS);
  switch (below(3)) {
    case 0: ENTER_COMPAT("int $0x80"); break;
    case 1: ENTER_COMPAT("syscall"); break;
    default: /* int $0x80 from 64-bit mode: an ia32 call too */
      __asm__ volatile("int $0x80" : "+a"(ret) : "b"(0L), "c"(0L), "d"(0L) : "r8", "r9", "r10", "r11", "memory", "cc");
      break;
  }
  record(-1, ret);
}

void op_cpu(void) {
  if (chance(50)) check_regs();
  else compat_call();
}
