/* Tries every way from 64-bit user code into 32-bit code (far JMP, far
 * CALL, far RET and IRET to selector 0x23) followed by a SYSCALL, then
 * int $0x80: each must be a SIGSEGV (SI_KERNEL, trapno 13) with the
 * selector or gate in the error code. Prints one line per attempt. With
 * argument "enter", it only tries the far RET and its SYSCALL, for a test
 * that reopens 32-bit code on purpose. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf env;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  printf("SIGSEGV code %d trapno %lld err %#llx\n", si->si_code, uc->uc_mcontext.gregs[REG_TRAPNO], uc->uc_mcontext.gregs[REG_ERR]);
  (void)sig;
  siglongjmp(env, 1);
}

/* Each lands at `compat`, which makes getpid's 32-bit SYSCALL were it 32-bit code. */
__asm__(".text\n"
        "compat: .code32\n"
        "  mov $20, %eax\n"
        "  syscall\n"
        "  ud2\n"
        ".code64\n"
        "far_ret: lea compat(%rip), %rax\n pushq $0x23\n push %rax\n lretq\n"
        "far_jmp: lea compat(%rip), %rax\n sub $8, %rsp\n mov %eax, (%rsp)\n movw $0x23, 4(%rsp)\n ljmpl *(%rsp)\n"
        "far_call: lea compat(%rip), %rax\n sub $8, %rsp\n mov %eax, (%rsp)\n movw $0x23, 4(%rsp)\n lcalll *(%rsp)\n"
        "iret: lea compat(%rip), %rax\n mov %rsp, %rbx\n pushq $0x2b\n push %rbx\n pushfq\n pushq $0x23\n push %rax\n iretq\n"
        "int80: mov $20, %eax\n int $0x80\n ud2\n");
extern void far_ret(void), far_jmp(void), far_call(void), iret(void), int80(void);

static void attempt(const char *name, void (*fn)(void)) {
  printf("%s: ", name);
  fflush(stdout);
  if (sigsetjmp(env, 1) == 0) {
    fn();
    printf("returned\n");
  }
  fflush(stdout);
}

int main(int argc, char **argv) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  if (argc > 1 && strcmp(argv[1], "enter") == 0) {
    attempt("far ret", far_ret);
    return 0;
  }
  attempt("far ret", far_ret);
  attempt("far jmp", far_jmp);
  attempt("far call", far_call);
  attempt("iret", iret);
  attempt("int $0x80", int80);
  return 0;
}
