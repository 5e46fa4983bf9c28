/* Prints the offsets of the signal frame's fields as glibc declares them. */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <ucontext.h>

#define P(name, v) printf("%s %zu\n", name, (size_t)(v))
int main(void) {
  P("uc_flags", offsetof(ucontext_t, uc_flags));
  P("uc_link", offsetof(ucontext_t, uc_link));
  P("uc_stack", offsetof(ucontext_t, uc_stack));
  P("uc_mcontext", offsetof(ucontext_t, uc_mcontext));
  P("uc_sigmask", offsetof(ucontext_t, uc_sigmask));
  P("fpregs", offsetof(ucontext_t, uc_mcontext.fpregs) - offsetof(ucontext_t, uc_mcontext));
  const char *g[] = {"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp", "rbx", "rdx", "rax",
                     "rcx", "rsp", "rip", "eflags", "csgsfs", "err", "trapno", "oldmask", "cr2"};
  for (int i = 0; i < NGREG; i++) P(g[i], offsetof(mcontext_t, gregs) + i * sizeof(greg_t));
  P("si_signo", offsetof(siginfo_t, si_signo));
  P("si_errno", offsetof(siginfo_t, si_errno));
  P("si_code", offsetof(siginfo_t, si_code));
  P("si_pid", offsetof(siginfo_t, si_pid));
  P("si_uid", offsetof(siginfo_t, si_uid));
  P("si_addr", offsetof(siginfo_t, si_addr));
  P("siginfo", sizeof(siginfo_t));
  P("ss_flags", offsetof(stack_t, ss_flags));
  P("ss_size", offsetof(stack_t, ss_size));
  P("xmm", offsetof(struct _libc_fpstate, _xmm));
  P("mxcsr", offsetof(struct _libc_fpstate, mxcsr));
  return 0;
}
