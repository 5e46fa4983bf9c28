/* Signal delivery as a program sees it; every line must be the same
 * natively and under tsv. Ends with a handler whose frame cannot be
 * written (alternate stack not writable): SIGSEGV, status 139. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int hits, nested, depth, raised;
static sigjmp_buf env;
static int fp_magic_ok, fp_xmm_ok, aligned;
static long blocked_inside;

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigaction(sig, &sa, NULL);
}

static void on_info(int sig, siginfo_t *si, void *p) {
  ucontext_t *uc = p;
  printf("sig %d code %d addr-is-rip %d addr-low %#lx trapno %lld\n", sig, si->si_code,
         si->si_addr == (void *)uc->uc_mcontext.gregs[REG_RIP], (unsigned long)si->si_addr & 0xfff,
         uc->uc_mcontext.gregs[REG_TRAPNO]);
  siglongjmp(env, 1);
}

/* Reads the interrupted xmm7 from the frame before doing anything else, then clobbers the live one. */
static void on_fpu(int sig, siginfo_t *si, void *p) {
  (void)sig; (void)si;
  ucontext_t *uc = p;
  uint32_t *fx = (uint32_t *)uc->uc_mcontext.fpregs;
  fp_xmm_ok = uc->uc_mcontext.fpregs->_xmm[7].element[0] == 0x12345678 && uc->uc_mcontext.fpregs->_xmm[7].element[3] == 0x9abcdef0;
  fp_magic_ok = fx[116] == 0x46505853 && (uc->uc_flags & 7) == 7 && ((uintptr_t)fx & 63) == 0;
  aligned = ((uintptr_t)__builtin_frame_address(0) & 15) == 0;
  __asm__ volatile("pcmpeqd %%xmm7, %%xmm7" ::: "xmm7");
}

/* Skips the 2-byte ud2 and changes rax and r12: sigreturn must bring them back. */
static void on_ill(int sig, siginfo_t *si, void *p) {
  (void)sig; (void)si;
  ucontext_t *uc = p;
  uc->uc_mcontext.gregs[REG_RIP] += 2;
  uc->uc_mcontext.gregs[REG_RAX] = 0x1122334455667788LL;
  uc->uc_mcontext.gregs[REG_R12] = -5;
}

static void on_count(int sig, siginfo_t *si, void *p) {
  (void)si; (void)p;
  hits++;
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  blocked_inside = sigismember(&cur, sig);
  if (depth++ == 0 && !raised++) raise(sig);
  nested = depth;
  depth--;
}

/* Blocks SIGUSR2 for the code it returns to, through uc_sigmask. */
static void on_mask(int sig, siginfo_t *si, void *p) {
  (void)sig; (void)si;
  sigaddset(&((ucontext_t *)p)->uc_sigmask, SIGUSR2);
}

static void on_plain(int sig, siginfo_t *si, void *p) {
  (void)p;
  printf("handler: sig %d code %d pid-ok %d\n", sig, si->si_code, si->si_pid == getpid());
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  set_handler(SIGSEGV, on_info, SA_NODEFER);
  set_handler(SIGFPE, on_info, SA_NODEFER);
  set_handler(SIGTRAP, on_info, SA_NODEFER);
  const char *ro = "literal";
  if (!sigsetjmp(env, 1)) *(volatile char *)ro = 1;
  if (!sigsetjmp(env, 1)) *(volatile char *)0x10 = 1;
  if (!sigsetjmp(env, 1)) *(volatile char *)0x8000000000000000UL = 1;
  if (!sigsetjmp(env, 1)) __asm__ volatile("xor %%ecx, %%ecx\n\t mov $1, %%eax\n\t cltd\n\t idiv %%ecx" ::: "rax", "rcx", "rdx");
  if (!sigsetjmp(env, 1)) __asm__ volatile("int3");

  set_handler(SIGUSR1, on_fpu, 0);
  uint32_t pat[4] = {0x12345678, 0x11, 0x22, 0x9abcdef0}, out[4];
  __asm__ volatile("movdqu %1, %%xmm7\n\t"
                   "mov %2, %%eax\n\t mov %3, %%edi\n\t mov %4, %%esi\n\t mov %5, %%edx\n\t syscall\n\t"
                   "movdqu %%xmm7, %0"
                   : "=m"(out) : "m"(pat), "i"(SYS_tgkill), "r"(getpid()), "r"((int)syscall(SYS_gettid)), "i"(SIGUSR1)
                   : "rax", "rdi", "rsi", "rdx", "rcx", "r11", "xmm7", "memory");
  printf("xmm7 kept: %d, frame xmm7: %d, fpstate magic/flags/alignment: %d, handler stack aligned: %d\n",
         memcmp(out, pat, 16) == 0, fp_xmm_ok, fp_magic_ok, aligned);

  set_handler(SIGILL, on_ill, 0);
  long rax, r12;
  __asm__ volatile("mov $7, %%r12\n\t xor %%eax, %%eax\n\t ud2\n\t mov %%r12, %1" : "=a"(rax), "=r"(r12) :: "r12");
  printf("after ud2: rax %#lx r12 %ld\n", rax, r12);

  set_handler(SIGUSR1, on_count, 0);
  raise(SIGUSR1);
  printf("deferred: hits %d nested %d blocked inside %ld\n", hits, nested, blocked_inside);
  hits = raised = 0;
  set_handler(SIGUSR1, on_count, SA_NODEFER);
  raise(SIGUSR1);
  printf("nodefer: hits %d nested %d blocked inside %ld\n", hits, nested, blocked_inside);
  raised = 1;
  set_handler(SIGUSR1, on_count, SA_RESETHAND);
  raise(SIGUSR1);
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  printf("resethand: now default %d\n", now.sa_handler == SIG_DFL);

  set_handler(SIGUSR1, on_mask, 0);
  raise(SIGUSR1);
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("uc_sigmask change kept: %d\n", sigismember(&cur, SIGUSR2));

  set_handler(SIGUSR2, on_plain, 0);
  raise(SIGUSR2);
  sigset_t pend;
  sigpending(&pend);
  printf("pending while blocked: %d\n", sigismember(&pend, SIGUSR2));
  printf("unblocking\n");
  sigprocmask(SIG_UNBLOCK, &cur, NULL);
  printf("unblocked\n");

  sigset_t usr2, empty;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &usr2, NULL);
  kill(getpid(), SIGUSR2);
  errno = 0;
  int r = sigsuspend(&empty);
  printf("sigsuspend: %d %s, still blocked after: %d\n", r, strerrorname_np(errno),
         (sigprocmask(SIG_BLOCK, NULL, &cur), sigismember(&cur, SIGUSR2)));

  kill(getpid(), SIGUSR2);
  siginfo_t si;
  struct timespec ts = {0, 0};
  r = sigtimedwait(&usr2, &si, &ts);
  printf("sigtimedwait: %d code %d\n", r, si.si_code);
  r = sigtimedwait(&usr2, &si, &ts);
  printf("sigtimedwait empty: %d %s\n", r, strerrorname_np(errno));
  ts.tv_nsec = 20000000;
  r = sigtimedwait(&usr2, &si, &ts);
  printf("sigtimedwait 20ms: %d %s\n", r, strerrorname_np(errno));

  set_handler(SIGPIPE, on_plain, 0);
  int fds[2];
  pipe(fds);
  close(fds[0]);
  errno = 0;
  r = (int)write(fds[1], "x", 1);
  printf("write to closed pipe: %d %s\n", r, strerrorname_np(errno));

  signal(SIGSEGV, SIG_DFL);
  void *alt = mmap(NULL, 65536, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  stack_t ss = {alt, 0, 65536};
  sigaltstack(&ss, NULL);
  set_handler(SIGUSR1, on_count, SA_ONSTACK);
  printf("raising with an unwritable alternate stack\n");
  raise(SIGUSR1);
  printf("not reached\n");
  return 0;
}
