/* Each task's FPU, SSE and AVX registers are its own. Six tasks (two
 * processes of three threads) pass a token around a ring of pipes, so that
 * every read blocks and the kernel switches tasks over a thousand times;
 * across each blocking read a task holds values of its own in xmm0-15 (and
 * the upper halves of ymm0-15 where AVX is usable), the whole x87 stack, the
 * x87 control word and MXCSR. Then rt_sigreturn with FPU images a handler
 * edited: a valid edit is what the program resumes with, a NULL image means
 * the initial state, an image without the XSAVE magic restores the legacy
 * area alone, and an unreadable image, MXCSR reserved bits or a bad XSAVE
 * header end the process with SIGSEGV, as on Linux. */
#include "tproc.h"
#include <cpuid.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#define ROUNDS 200
#define TASKS 6

/* What a task holds across a blocking read: 16 vector registers of 32 bytes
 * (only the low 16 without AVX), 8 x87 values, the x87 control word, MXCSR. */
struct fpu {
  unsigned char v[16][32];
  long long st[8];
  unsigned short cw;
  unsigned mxcsr;
};

static int avx;
static int ring[TASKS][2];
static volatile int bad_vec, bad_x87, bad_ctl;

/* MXCSR as a program starts with (the handler and C code after the tests expect it). */
static void default_mxcsr(void) {
  unsigned dflt = 0x1f80;
  __asm__ volatile("ldmxcsr %0" ::"m"(dflt));
}

/* read(fd, c, 1) as a raw system call, holding `in`'s values in the
 * registers from before the call until after it; `out` gets what the
 * registers held then. The defaults (fninit, MXCSR 0x1f80) are put back. */
static long read_holding(int fd, char *c, const struct fpu *in, struct fpu *out) {
  long r;
#define LOAD_X87                                                        \
  "fninit\n fldcw %c[cw](%[in])\n ldmxcsr %c[mx](%[in])\n"              \
  ".irp i,0,1,2,3,4,5,6,7\n fildq %c[st]+\\i*8(%[in])\n .endr\n"
#define SAVE_X87                                                        \
  ".irp i,7,6,5,4,3,2,1,0\n fistpq %c[st]+\\i*8(%[out])\n .endr\n"      \
  "fnstcw %c[cw](%[out])\n stmxcsr %c[mx](%[out])\n fninit\n"
#define OPERANDS                                                                                  \
  : "=a"(r)                                                                                       \
  : "a"(SYS_read), "D"(fd), "S"(c), "d"(1), [in] "r"(in), [out] "r"(out),                         \
    [st] "i"(offsetof(struct fpu, st)), [cw] "i"(offsetof(struct fpu, cw)),                       \
    [mx] "i"(offsetof(struct fpu, mxcsr))                                                         \
  : "rcx", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
    "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", \
    "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"
  if (avx)
    __asm__ volatile(LOAD_X87 ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n vmovdqu \\i*32(%[in]), %%ymm\\i\n .endr\n"
                     "syscall\n"
                     ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n vmovdqu %%ymm\\i, \\i*32(%[out])\n .endr\n"
                     "vzeroupper\n" SAVE_X87 OPERANDS);
  else
    __asm__ volatile(LOAD_X87 ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n movdqu \\i*32(%[in]), %%xmm\\i\n .endr\n"
                     "syscall\n"
                     ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n movdqu %%xmm\\i, \\i*32(%[out])\n .endr\n"
                     SAVE_X87 OPERANDS);
  default_mxcsr();
  return r;
}

/* Task `t`'s values for round `n`: distinct per task and per round. */
static void pattern(int t, int n, struct fpu *f) {
  memset(f, 0, sizeof *f);
  for (int r = 0; r < 16; r++)
    for (int b = 0; b < (avx ? 32 : 16); b++) f->v[r][b] = (unsigned char)(t * 37 + n * 11 + r * 7 + b + 1);
  for (int i = 0; i < 8; i++) f->st[i] = (long long)t * 1000003 + n * 101 + i;
  f->cw = (unsigned short)(0x037f & ~0x0c00) | (unsigned short)((t % 4) << 10); /* rounding control */
  f->mxcsr = 0x1f80 | ((unsigned)(t % 4) << 13) | (t >= 3 ? 0x8000u : 0);  /* RC, FTZ */
}

static void check(int t, int n, const struct fpu *got) {
  struct fpu want;
  pattern(t, n, &want);
  for (int r = 0; r < 16; r++)
    if (memcmp(want.v[r], got->v[r], avx ? 32 : 16) != 0) bad_vec++;
  if (memcmp(want.st, got->st, sizeof want.st) != 0) bad_x87++;
  if ((want.cw & 0x0f3f) != (got->cw & 0x0f3f) || want.mxcsr != (got->mxcsr & ~0x3fu)) bad_ctl++;
}

/* Task t reads the token from ring[t], checks its registers, passes it on to the next task. */
static void *task(void *arg) {
  int t = (int)(intptr_t)arg;
  int next = (t + 1) % TASKS;
  struct fpu in, out;
  char c;
  for (int n = 0; n < ROUNDS; n++) {
    pattern(t, n, &in);
    if (read_holding(ring[t][0], &c, &in, &out) != 1) {
      bad_vec++;
      break;
    }
    check(t, n, &out);
    if (write(ring[next][1], &c, 1) != 1) bad_vec++;
  }
  return NULL;
}

/* Three tasks of this process (ring slots first, first+2, first+4: the ring alternates between the processes). */
static int run_three(int first) {
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, task, (void *)(intptr_t)(first + 2 * (i + 1)));
  task((void *)(intptr_t)first);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  return bad_vec + bad_x87 + bad_ctl;
}

/* ---- rt_sigreturn with edited FPU images ---- */

enum { EDIT_VALID, EDIT_NULL, EDIT_NO_MAGIC, EDIT_UNREADABLE, EDIT_MXCSR, EDIT_HEADER, EDIT_XSTATE_BV };
static int edit;
static const unsigned char XMM0[16] = {0x5a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xa5};

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)si;
  ucontext_t *uc = ctx;
  unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
  int xsave = fp != NULL && *(uint32_t *)(fp + 464) == FP_XSTATE_MAGIC1;
  switch (edit) {
  case EDIT_VALID:
  case EDIT_NO_MAGIC:
    memcpy(fp + 160, XMM0, 16);           /* xmm0 */
    *(uint32_t *)(fp + 24) = 0x7f80;      /* MXCSR: round toward zero */
    if (edit == EDIT_NO_MAGIC) *(uint32_t *)(fp + 464) = 0;
    break;
  case EDIT_NULL:
    uc->uc_mcontext.fpregs = NULL;
    break;
  case EDIT_UNREADABLE:
    uc->uc_mcontext.fpregs = (void *)0x1000;
    break;
  case EDIT_MXCSR:
    *(uint32_t *)(fp + 24) |= 0x80000000u; /* reserved in every MXCSR_MASK */
    break;
  case EDIT_HEADER:
    if (xsave) fp[512 + 8 + 7] = 0x80;    /* XCOMP_BV bit 63: a compacted image */
    else *(uint32_t *)(fp + 24) |= 0x80000000u;
    break;
  case EDIT_XSTATE_BV:
    if (xsave) fp[512 + 7] = 0x40;        /* XSTATE_BV bit 62: no CPU has it */
    else *(uint32_t *)(fp + 24) |= 0x80000000u;
    break;
  }
}

/* Raises SIGUSR1 with xmm0 = 0x11.. and ymm0's upper half = 0x22.. (with
 * AVX) held across it; returns what xmm0, ymm0's upper half and MXCSR were
 * after the handler returned. */
static void raise_holding(unsigned char xmm0[16], unsigned char hi0[16], unsigned *mxcsr) {
  unsigned char v[32];
  memset(v, 0x11, 16);
  memset(v + 16, 0x22, 16);
  long pid = getpid(), tid = SC(SYS_gettid);
  long r;
  if (avx)
    __asm__ volatile("vmovdqu (%[v]), %%ymm0\n syscall\n vmovdqu %%ymm0, (%[v])\n vzeroupper\n stmxcsr (%[mx])"
                     : "=a"(r)
                     : "a"(SYS_tgkill), "D"(pid), "S"(tid), "d"(SIGUSR1), [v] "r"(v), [mx] "r"(mxcsr)
                     : "rcx", "r11", "memory", "xmm0");
  else
    __asm__ volatile("movdqu (%[v]), %%xmm0\n syscall\n movdqu %%xmm0, (%[v])\n stmxcsr (%[mx])"
                     : "=a"(r)
                     : "a"(SYS_tgkill), "D"(pid), "S"(tid), "d"(SIGUSR1), [v] "r"(v), [mx] "r"(mxcsr)
                     : "rcx", "r11", "memory", "xmm0");
  (void)r;
  memcpy(xmm0, v, 16);
  if (avx) memcpy(hi0, v + 16, 16);
  else memset(hi0, 0, 16);
  default_mxcsr();
}

static int all(const unsigned char *p, int c) {
  for (int i = 0; i < 16; i++)
    if (p[i] != c) return 0;
  return 1;
}

static void sigreturn_cases(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  unsigned char x[16], hi[16];
  unsigned mx;

  edit = EDIT_VALID;
  raise_holding(x, hi, &mx);
  REL("edited xmm0 and MXCSR are resumed with", memcmp(x, XMM0, 16) == 0 && mx == 0x7f80);
  REL("ymm0's upper half kept", !avx || all(hi, 0x22));

  edit = EDIT_NULL;
  raise_holding(x, hi, &mx);
  REL("NULL image: initial state", all(x, 0) && all(hi, 0) && mx == 0x1f80);

  edit = EDIT_NO_MAGIC;
  raise_holding(x, hi, &mx);
  REL("no XSAVE magic: the legacy area is loaded", memcmp(x, XMM0, 16) == 0 && mx == 0x7f80);
  REL("no XSAVE magic: ymm0's upper half is cleared", all(hi, 0));

  static const struct { int edit; const char *label; } fatal[] = {
    {EDIT_UNREADABLE, "unreadable image"},
    {EDIT_MXCSR, "MXCSR reserved bit"},
    {EDIT_HEADER, "XCOMP_BV set"},
    {EDIT_XSTATE_BV, "XSTATE_BV reserved bit"},
  };
  for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
    pid_t p = t_fork();
    if (p == 0) {
      edit = fatal[i].edit;
      raise_holding(x, hi, &mx);
      _exit(0);
    }
    t_reap(fatal[i].label, p);
  }
}

int main(void) {
  t_unbuffered();
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  if ((c & (1u << 27)) && (c & (1u << 28))) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    avx = (lo & 6) == 6;
  }
  for (int i = 0; i < TASKS; i++) pipe(ring[i]);
  pid_t child = t_fork();
  if (child == 0) _exit(run_three(1) == 0 ? 0 : 1);
  if (write(ring[0][1], "t", 1) != 1) return 1;
  run_three(0);
  char c0;
  read(ring[0][0], &c0, 1); /* the token's last lap */
  t_reap("the other process's three tasks kept their registers", child);
  REL("this process's three tasks kept xmm/ymm", bad_vec == 0);
  REL("this process's three tasks kept the x87 stack", bad_x87 == 0);
  REL("this process's three tasks kept the x87 control word and MXCSR", bad_ctl == 0);
  sigreturn_cases();
  return 0;
}
