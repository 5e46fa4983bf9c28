/*
 * Counting what happened, and the lines the host driver reads, each prefixed
 * with the run's token (argv) so that bytes of this binary that a random
 * read and write copy to stdout can never pass for them:
 *
 *   TOKEN: at 4096                                      (progress)
 *   TOKEN: check failed: a pipe does not return ...     (a Linux rule broken)
 *   TOKEN: seed=7 iterations=20000 syscalls=31234 random=14001 structured=5999 guarded=96 faults=12 signals=503 ms=8123
 *   TOKEN: errno OK=9000 EPERM=12 ...
 *   TOKEN: enosys 135 155 ...        (numbers <= NR_MAX that returned ENOSYS)
 *   TOKEN: done
 *
 * Lines go to OUT_FD (a copy of stdout no call may close), so random writes
 * to fds 1 and 2 and closing them do not lose the summary.
 */
#include "fuzz.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

unsigned long random_calls, structured_calls, guarded_calls;
int verbose;
const char *token = "fuzz";
static unsigned long syscalls;
static unsigned long errnos[4096]; /* [0]: success; [e]: -e returned */
static unsigned char enosys[NR_MAX / 8 + 1];

void out_line(const char *s) {
  size_t n = strlen(s), off = 0;
  while (off < n) {
    long w = sys6(SYS_write, OUT_FD, (long)(s + off), (long)(n - off), 0, 0, 0);
    if (w == -EINTR || w == -EAGAIN) continue;
    if (w <= 0) return;
    off += (size_t)w;
  }
}

/* Appends `s` at p, keeping the line within `end`; no libc: callable while FS is elsewhere. */
static char *append(char *p, const char *end, const char *s) {
  while (*s && p < end) *p++ = *s++;
  return p;
}

void report(const char *text) {
  char line[4200], *end = line + sizeof line - 1;
  char *p = append(line, end, "\n");
  p = append(p, end, token);
  p = append(p, end, ": ");
  p = append(p, end, text);
  *p = 0;
  out_line(line);
}

void check_failed(const char *what) {
  char line[256], *end = line + sizeof line - 2;
  char *p = append(append(line, end, "check failed: "), end, what);
  *p++ = '\n';
  *p = 0;
  report(line);
}

/* Hex without printf: safe while a random call has the FS base elsewhere. */
static char *hex(char *p, unsigned long v) {
  *p++ = '0';
  *p++ = 'x';
  int shift = 60;
  while (shift > 0 && ((v >> shift) & 0xf) == 0) shift -= 4;
  for (; shift >= 0; shift -= 4) *p++ = "0123456789abcdef"[(v >> shift) & 0xf];
  return p;
}

static void trace(long nr, const long a[6], int with_result, long ret) {
  char line[256], *p = line;
  memcpy(p, with_result ? "= " : "> ", 2);
  p += 2;
  if (with_result) p = hex(p, (unsigned long)ret);
  else {
    p = hex(p, (unsigned long)nr);
    for (int i = 0; i < 6; i++) { *p++ = ' '; p = hex(p, (unsigned long)a[i]); }
  }
  *p++ = '\n';
  *p = 0;
  report(line);
}

long sc(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  long a[6] = {a0, a1, a2, a3, a4, a5};
  if (verbose) trace(nr, a, 0, 0);
  long r = sys6(nr, a0, a1, a2, a3, a4, a5);
  if (verbose) trace(nr, a, 1, r);
  record(nr, r);
  return r;
}

int returned_enosys(long nr) { return nr >= 0 && nr <= NR_MAX && (enosys[nr / 8] & (1 << (nr % 8))); }

void record(long nr, long ret) {
  syscalls++;
  if (ret < 0 && ret >= -4095) errnos[-ret]++;
  else errnos[0]++;
  if (ret == -ENOSYS && nr >= 0 && nr <= NR_MAX) enosys[nr / 8] |= (unsigned char)(1 << (nr % 8));
}

void print_summary(unsigned long seed, unsigned long iterations, double elapsed) {
  char line[4096];
  snprintf(line, sizeof line,
           "seed=%lu iterations=%lu syscalls=%lu random=%lu structured=%lu guarded=%lu faults=%lu signals=%lu ms=%.0f\n",
           seed, iterations, syscalls, random_calls, structured_calls, guarded_calls, faults, signals_seen, elapsed * 1000);
  report(line);
  size_t n = (size_t)snprintf(line, sizeof line, "errno");
  for (int e = 0; e < 4096 && n < sizeof line - 64; e++) {
    if (!errnos[e]) continue;
    const char *name = e == 0 ? "OK" : strerrorname_np(e);
    if (name) n += (size_t)snprintf(line + n, sizeof line - n, " %s=%lu", name, errnos[e]);
    else n += (size_t)snprintf(line + n, sizeof line - n, " E%d=%lu", e, errnos[e]);
  }
  snprintf(line + n, sizeof line - n, "\n");
  report(line);
  n = (size_t)snprintf(line, sizeof line, "enosys");
  for (int nr = 0; nr <= NR_MAX && n < sizeof line - 16; nr++)
    if (enosys[nr / 8] & (1 << (nr % 8))) n += (size_t)snprintf(line + n, sizeof line - n, " %d", nr);
  snprintf(line + n, sizeof line - n, "\n");
  report(line);
  report("done\n");
}
