/* Thousands of hostile calls in a deterministic pseudo-random order; prints a
 * histogram of outcomes per call kind, then checks the process is still sane
 * (no leaked fds, memory intact). */
#include "t.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#define ITER 12000
#define PG 4096L

static char *guard_str, *long_path;
static int file_fd;
static uint32_t fword = 1;

static long call(int kind) {
  char small[16];
  struct stat st;
  struct timespec ts;
  switch (kind) {
    case 0: return SC(SYS_read, -1, small, 1);
    case 1: return SC(SYS_read, file_fd, (void *)0x1000, 8);
    case 2: return SC(SYS_write, file_fd, (void *)0x10, 8);
    case 3: return SC(SYS_open, guard_str, O_RDONLY);
    case 4: return SC(SYS_open, long_path, O_RDONLY);
    case 5: return SC(SYS_stat, "x", (void *)0x10);
    case 6: return SC(1000 + kind, 0, 0, 0, 0, 0, 0);
    case 7: return SC(SYS_fcntl, file_fd, 0x7777);
    case 8: return (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    case 9: return SC(SYS_munmap, 0x10001, PG);
    case 10: return SC(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
    case 11: return SC(SYS_clock_gettime, 999, &ts);
    case 12: return SC(SYS_rt_sigaction, SIGKILL, (void *)small, NULL, 8);
    case 13: return SC(SYS_lseek, file_fd, 0, 9);
    case 14: return SC(SYS_getrandom, (void *)0x10, 4, 0);
    case 15: return SC(SYS_dup2, file_fd, -1);
    case 16: return SC(SYS_pipe2, small, 0x1);
    case 17: return SC(SYS_poll, (void *)small, 1L << 30, 0);
    case 18: return SC(SYS_fstat, 0x7fffffff, &st);
    case 19: return SC(SYS_openat, 12345, "rel", O_RDONLY);
    default: return 0;
  }
}

#define KINDS 20
#define NERR 200

int main(void) {
  static unsigned counts[KINDS][NERR + 1];
  guard_str = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(guard_str + PG, PG, PROT_NONE);
  memset(guard_str, 'g', PG);
  guard_str += PG - 32;
  long_path = malloc(5001);
  memset(long_path, 'p', 5000);
  long_path[5000] = 0;
  t_put("file", "stress");
  file_fd = SC(SYS_open, "file", O_RDWR);
  long brk0 = SC(SYS_brk, 0);

  uint64_t seed = 12345;
  for (int i = 0; i < ITER; i++) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    int kind = (int)((seed >> 33) % KINDS);
    errno = 0;
    long r = call(kind);
    int slot = r == -1 ? (errno > 0 && errno < NERR ? errno : NERR) : 0;
    counts[kind][slot]++;
  }
  for (int k = 0; k < KINDS; k++) {
    printf("kind %2d:", k);
    for (int e = 0; e <= NERR; e++)
      if (counts[k][e]) printf(" %s=%u", e == 0 ? "success" : e == NERR ? "other" : ename(e), counts[k][e]);
    printf("\n");
  }
  T("next fd (no leaks)", SC(SYS_open, "file", O_RDONLY));
  REL("brk unchanged", SC(SYS_brk, 0) == brk0);
  char buf[8] = {0};
  T("file intact", SC(SYS_pread64, file_fd, buf, sizeof buf, 0));
  printf("contents: %s\n", buf);
  return 0;
}
