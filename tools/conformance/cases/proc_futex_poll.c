/* futex WAIT/WAKE edge cases without other threads; poll on stdio and pipes. */
#include "t.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

static uint32_t word = 5;

int main(void) {
  struct timespec to = {0, 10000000};
  T("WAIT mismatched value", SC(SYS_futex, &word, FUTEX_WAIT, 6, NULL, NULL, 0));
  T("WAIT_PRIVATE mismatched", SC(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0));
  T("WAKE no waiters", SC(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0));
  T("WAKE_PRIVATE no waiters", SC(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0));
  T("WAIT matched with timeout", SC(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &to, NULL, 0));
  struct timespec badto = {0, 2000000000};
  T("WAIT bad timeout", SC(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &badto, NULL, 0));
  T("WAIT unaligned", SC(SYS_futex, (char *)&word + 1, FUTEX_WAIT, 5, NULL, NULL, 0));
  T("WAIT NULL", SC(SYS_futex, NULL, FUTEX_WAIT, 5, NULL, NULL, 0));
  T("WAKE unaligned", SC(SYS_futex, (char *)&word + 2, FUTEX_WAKE, 1, NULL, NULL, 0));
  T("unknown op", SC(SYS_futex, &word, 99, 0, NULL, NULL, 0));
  T("WAIT_BITSET mask 0", SC(SYS_futex, &word, FUTEX_WAIT_BITSET, 5, NULL, NULL, 0));
  T("WAKE_BITSET", SC(SYS_futex, &word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0xffffffff));

  struct pollfd out = {1, POLLOUT, 0};
  T("poll stdout", SC(SYS_poll, &out, 1, 1000));
  printf("stdout revents: %#x\n", out.revents);
  struct pollfd in = {0, POLLIN, 0};
  T("poll stdin (an empty regular file)", SC(SYS_poll, &in, 1, 5000));
  printf("stdin revents: %#x\n", in.revents);
  int p[2];
  SC(SYS_pipe2, p, 0);
  struct pollfd fds[4] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {-1, POLLIN, 0}, {77, POLLIN, 0}};
  T("poll pipe empty", SC(SYS_poll, fds, 4, 0));
  printf("revents: %#x %#x %#x %#x\n", fds[0].revents, fds[1].revents, fds[2].revents, fds[3].revents);
  SC(SYS_write, p[1], "x", 1);
  T("poll pipe readable", SC(SYS_poll, fds, 2, 0));
  printf("revents: %#x %#x\n", fds[0].revents, fds[1].revents);
  SC(SYS_close, p[1]);
  fds[1].fd = -1;
  T("poll after writer closed", SC(SYS_poll, fds, 2, 0));
  printf("revents: %#x\n", fds[0].revents);
  struct pollfd rd = {p[0], POLLIN, 0};
  char c;
  SC(SYS_read, p[0], &c, 1);
  T("poll drained, writer closed", SC(SYS_poll, &rd, 1, 0));
  printf("revents: %#x\n", rd.revents);
  int q[2];
  SC(SYS_pipe2, q, 0);
  struct pollfd wait = {q[0], POLLIN, 0}, w2;
  struct timespec t1, t2;
  SC(SYS_clock_gettime, CLOCK_MONOTONIC, &t1);
  T("poll timeout 30ms", SC(SYS_poll, &wait, 1, 30));
  SC(SYS_clock_gettime, CLOCK_MONOTONIC, &t2);
  REL("waited >= 30ms", (t2.tv_sec - t1.tv_sec) * 1000000000LL + t2.tv_nsec - t1.tv_nsec >= 30000000);
  T("poll no fds", SC(SYS_poll, NULL, 0, 10));
  T("poll too many fds", SC(SYS_poll, &w2, 1 << 24, 0));
  T("poll wild pointer", SC(SYS_poll, (void *)8, 1, 0));
  struct timespec zt = {0, 0};
  T("ppoll zero timeout", SC(SYS_ppoll, &wait, 1, &zt, NULL, 8));
  struct timespec bad = {0, -1};
  T("ppoll bad timeout", SC(SYS_ppoll, &wait, 1, &bad, NULL, 8));
  T("ppoll bad sigsetsize", SC(SYS_ppoll, &wait, 1, &zt, &word, 4));
  return 0;
}
