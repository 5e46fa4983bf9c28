/*
 * Helpers for cases with several processes or threads (fork_*, exec_*,
 * wait_*, signals_*, futex_*, pgrp_*). Children report through their exit
 * status; the parent prints how each ended, never a pid.
 */
#ifndef TSV_CONFORMANCE_TPROC_H
#define TSV_CONFORMANCE_TPROC_H
#include "t.h"
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* stdout unbuffered, so that a child never inherits (and repeats) buffered lines. */
static T_UNUSED void t_unbuffered(void) { setvbuf(stdout, NULL, _IONBF, 0); }

/* How a wait status reads: "exit N", "killed by SIGx", "stopped by SIGx", "continued". */
static T_UNUSED const char *t_wstatus(int st) {
  static char buf[64];
  if (WIFEXITED(st)) snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) snprintf(buf, sizeof buf, "killed by %s", t_signame(WTERMSIG(st)));
  else if (WIFSTOPPED(st)) snprintf(buf, sizeof buf, "stopped by %s", t_signame(WSTOPSIG(st)));
  else if (WIFCONTINUED(st)) snprintf(buf, sizeof buf, "continued");
  else snprintf(buf, sizeof buf, "status %#x", st);
  return buf;
}

/* Waits for `pid` (any kind of child) and prints how it ended. */
static T_UNUSED void t_reap(const char *label, pid_t pid) {
  int st = 0;
  if (waitpid(pid, &st, __WALL) != pid) printf("%s: wait -1 %s\n", label, ename(errno));
  else printf("%s: %s\n", label, t_wstatus(st));
}

/* fork, or end the case: nothing after a failed fork would mean anything. */
static T_UNUSED pid_t t_fork(void) {
  pid_t p = fork();
  if (p < 0) {
    printf("fork: -1 %s\n", ename(errno));
    exit(1);
  }
  return p;
}

/* Anonymous read-write memory, MAP_PRIVATE or MAP_SHARED; ends the case when it cannot be had. */
static T_UNUSED void *t_map(size_t len, int flags) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(90);
  }
  return p;
}

/* A pipe whose ends pass one byte at a time, to order two processes. */
struct t_gate { int fd[2]; };
static T_UNUSED void t_gate_open(struct t_gate *g) {
  if (pipe(g->fd)) { perror("pipe"); exit(90); }
}
static T_UNUSED void t_gate_pass(struct t_gate *g) {
  if (write(g->fd[1], "x", 1) != 1) { perror("gate"); _exit(90); }
}
static T_UNUSED void t_gate_wait(struct t_gate *g) {
  char b;
  if (read(g->fd[0], &b, 1) != 1) { perror("gate"); _exit(90); }
}
/* A child that waits for a byte on the gate, then exits with `code`. */
static T_UNUSED pid_t t_gated_child(struct t_gate *g, int code) {
  pid_t c = t_fork();
  if (c == 0) {
    t_gate_wait(g);
    _exit(code);
  }
  return c;
}

static T_UNUSED void t_gate_close(struct t_gate *g) {
  close(g->fd[0]);
  close(g->fd[1]);
}

#endif
