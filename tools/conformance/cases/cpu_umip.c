/* SGDT, SIDT, SLDT, STR and SMSW from user space run to completion (on a
 * Linux host with UMIP the kernel emulates them with dummy values; without
 * UMIP the CPU runs them): no signal, the result lands where the operand
 * says, whatever the addressing form, and RIP moves past the instruction. Only
 * what holds either way is printed. A destination that cannot be written is
 * SIGSEGV at that address. */
#include "t.h"
#include <stdint.h>
#include <sys/mman.h>

struct __attribute__((packed)) dtr {
  uint16_t limit;
  uint64_t base;
};

struct dtr global_dtr, absolute_dtr;
static sigjmp_buf env;
static volatile long fault_addr;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)ctx;
  fault_addr = (long)si->si_addr;
  siglongjmp(env, 1);
}

static const char *half(uint64_t base) { return base >= 0xffff800000000000UL ? "kernel half" : "elsewhere"; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);

  struct dtr d[4];
  memset(d, 0xa5, sizeof d);
  __asm__ volatile("sgdt %0" : "=m"(d[0]));
  printf("sgdt (base register): base in the %s\n", half(d[0].base));
  /* base + index * 8 + displacement */
  long idx = 2;
  __asm__ volatile("sidt 4(%0,%1,8)" : : "r"(d), "r"(idx) : "memory");
  struct dtr got;
  memcpy(&got, (char *)d + 4 + 16, sizeof got);
  printf("sidt (base, index, displacement): base in the %s\n", half(got.base));
  printf("bytes around it untouched: %s\n", ((unsigned char *)d)[19] == 0xa5 && ((unsigned char *)d)[30] == 0xa5 ? "yes" : "no");
  __asm__ volatile("sgdt global_dtr(%%rip)" : : : "memory");
  printf("sgdt (rip-relative): base in the %s\n", half(global_dtr.base));
  __asm__ volatile("sidt absolute_dtr" : : : "memory");
  printf("sidt (absolute): base in the %s\n", half(absolute_dtr.base));
  /* %fs: adds the thread pointer (glibc keeps it at %fs:0) */
  unsigned long fs;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
  memset(d, 0, sizeof d);
  __asm__ volatile("sgdt %%fs:(%0)" : : "r"((unsigned long)&d[3] - fs) : "memory");
  printf("sgdt (fs override): base in the %s\n", half(d[3].base));

  unsigned long v = 0x1111111111111111UL;
  __asm__ volatile("smsw %0" : "+r"(v));
  printf("smsw r64: PE %lu\n", v & 1);
  uint16_t w = 0xffff;
  __asm__ volatile("smsw %0" : "=m"(w));
  printf("smsw m16: PE %u\n", w & 1);
  v = 0x1111111111111111UL;
  __asm__ volatile("str %w0" : "+r"(v));
  printf("str r16: %#lx\n", v);
  w = 0xffff;
  __asm__ volatile("str %0" : "=m"(w));
  printf("str m16: %#x\n", w);
  v = 0x1111111111111111UL;
  __asm__ volatile("sldt %k0" : "+r"(v));
  printf("sldt r32: %#lx\n", v & 0xffff);

  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fault_addr = 0;
  if (sigsetjmp(env, 1) == 0) __asm__ volatile("sgdt (%0)" : : "r"(ro + 8) : "memory");
  printf("sgdt to read-only memory: %s at the operand\n", fault_addr == (long)(ro + 8) ? "SIGSEGV" : "no fault");
  return 0;
}
