/*
 * Shared helpers for conformance cases. Every line a case prints must be the
 * same natively and under tsv, and the same on every run: print return
 * values only when they are deterministic (counts, fd numbers, sizes), errno
 * by NAME, and relations ("t2 >= t1") instead of pids, addresses or times.
 */
#ifndef TSV_CONFORMANCE_T_H
#define TSV_CONFORMANCE_T_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define T_UNUSED __attribute__((unused))

static T_UNUSED const char *ename(int e) {
  if (e == 0) return "OK";
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

static T_UNUSED void t_value(const char *label, long r, int e) {
  if (r == -1) printf("%s: -1 %s\n", label, ename(e));
  else printf("%s: %ld\n", label, r);
}

static T_UNUSED void t_ok(const char *label, long r, int e) {
  if (r == -1) printf("%s: -1 %s\n", label, ename(e));
  else printf("%s: ok\n", label);
}

/* T: print the result value or "-1 ENAME". Use for deterministic results. */
#define T(label, expr) do { errno = 0; long t_r_ = (long)(expr); t_value((label), t_r_, errno); } while (0)
/* TOK: print "ok" or "-1 ENAME"; hides values such as addresses. */
#define TOK(label, expr) do { errno = 0; long t_r_ = (long)(expr); t_ok((label), t_r_, errno); } while (0)
/* REL: print whether a relation holds. */
#define REL(label, cond) printf("%s: %s\n", (label), (cond) ? "yes" : "no")

/*
 * Raw syscall returning -1/errno like libc wrappers do. syscall(2) is variadic:
 * a negative int literal reaches the kernel zero-extended, so pass negative
 * offsets and lengths as long (-5L).
 */
#define SC(...) syscall(__VA_ARGS__)

/*
 * t_probe runs fn(arg) and reports which fatal signal (SIGSEGV/SIGBUS) it
 * raised, or 0. The handler longjmps out, so the faulting access is skipped.
 */
static sigjmp_buf t_probe_env;
static void t_probe_handler(int sig) { siglongjmp(t_probe_env, sig); }

static T_UNUSED int t_probe(void (*fn)(void *), void *arg) {
  struct sigaction sa, old_segv, old_bus;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = t_probe_handler;
  sigaction(SIGSEGV, &sa, &old_segv);
  sigaction(SIGBUS, &sa, &old_bus);
  int sig = sigsetjmp(t_probe_env, 1);
  if (sig == 0) fn(arg);
  sigaction(SIGSEGV, &old_segv, NULL);
  sigaction(SIGBUS, &old_bus, NULL);
  return sig;
}

static T_UNUSED void t_read_byte(void *p) { (void)*(volatile char *)p; }
static T_UNUSED void t_write_byte(void *p) { *(volatile char *)p = 1; }

static T_UNUSED const char *t_signame(int sig) {
  if (sig == 0) return "none";
  const char *n = sigabbrev_np(sig);
  return n ? n : "SIG?";
}

/* Writes a whole file relative to the cwd; aborts the case on failure. */
static T_UNUSED void t_put(const char *path, const char *data) {
  FILE *f = fopen(path, "w");
  if (!f || fputs(data, f) < 0 || fclose(f) != 0) { perror(path); exit(90); }
}

/* open(2) of /proc/self/fd/N: a new description of what `fd` refers to, or -1 with errno. */
static T_UNUSED int t_reopen(int fd, int flags) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return open(path, flags);
}

#endif
