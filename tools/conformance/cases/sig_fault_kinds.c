/* Faults map to the right signals: write to read-only, jump to non-executable,
 * divide by zero (SIGFPE), and finally ud2 left unhandled (SIGILL, status 132). */
#include "t.h"
#include <sys/mman.h>

static sigjmp_buf env;
static void h(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  printf("caught %s code %d\n", t_signame(sig), si->si_code);
  siglongjmp(env, 1);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);

  const char *ro = "read-only literal";
  if (!sigsetjmp(env, 1)) *(volatile char *)ro = 'x';
  char *nx = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  nx[0] = (char)0xc3;
  if (!sigsetjmp(env, 1)) ((void (*)(void))nx)();
  if (!sigsetjmp(env, 1)) *(volatile char *)0x10 = 1;
  volatile int zero = 0;
  if (!sigsetjmp(env, 1)) printf("%d\n", 1 / zero);
  char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!sigsetjmp(env, 1)) (void)*(volatile char *)none;
  printf("now an unhandled ud2\n");
  fflush(stdout);
  __asm__ volatile("ud2");
  return 0;
}
