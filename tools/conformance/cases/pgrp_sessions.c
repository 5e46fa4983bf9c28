/*
 * Process groups and sessions across processes: setpgid of a child by its
 * parent and by itself, Linux's rules (ESRCH for a process that is not a
 * child, EACCES once the child has exec'd, EPERM across sessions and for a
 * session leader, EINVAL for a negative group), setsid (EPERM for a group
 * leader), getsid and getpgid of another process. Only relations are
 * printed: the case may start as a session leader (under tsv it is pid 1)
 * or not (natively), so it never changes its own group or session.
 */
#include "tproc.h"

/* Past the largest pid_max Linux allows: no process has it. */
#define NO_SUCH_PID (4194304 + 7)

/* A child that waits at the gate; then exits 0. */
static pid_t idle_child(struct t_gate *g) {
  pid_t c = t_fork();
  if (c == 0) {
    t_gate_wait(g);
    _exit(0);
  }
  return c;
}

static void parent_sets_groups(void) {
  struct t_gate g;
  t_gate_open(&g);
  pid_t a = idle_child(&g), b = idle_child(&g);
  REL("a child starts in our group", getpgid(a) == getpgrp());
  REL("and in our session", getsid(a) == getsid(0));
  T("setpgid(a, a)", setpgid(a, a));
  REL("getpgid(a) == a", getpgid(a) == a);
  T("setpgid(b, a): join a's group", setpgid(b, a));
  REL("getpgid(b) == a", getpgid(b) == a);
  T("setpgid(b, 0): a group of its own", setpgid(b, 0));
  REL("getpgid(b) == b", getpgid(b) == b);
  T("setpgid(b, our group): back", setpgid(b, getpgrp()));
  T("setpgid to a group that does not exist", setpgid(b, NO_SUCH_PID));
  T("setpgid negative", setpgid(b, -1));
  T("setpgid of a missing process", setpgid(NO_SUCH_PID, 0));
  T("getpgid of a missing process", getpgid(NO_SUCH_PID));
  T("getsid of a missing process", getsid(NO_SUCH_PID));
  pid_t c = t_fork();
  if (c == 0) _exit(setpgid(getppid(), 0) == -1 && errno == ESRCH ? 0 : 1);
  t_reap("a child moving its parent gets ESRCH (0)", c);
  t_gate_pass(&g);
  t_gate_pass(&g);
  t_reap("a", a);
  t_reap("b", b);
  T("setpgid of a reaped child", setpgid(a, a));
  t_gate_close(&g);
}

static void child_sessions(void) {
  struct t_gate go, ready;
  t_gate_open(&go);
  t_gate_open(&ready);
  pid_t c = t_fork();
  if (c == 0) {
    int bad = 0;
    if (setsid() != getpid()) bad |= 1;
    if (getsid(0) != getpid() || getpgrp() != getpid()) bad |= 2;
    if (setsid() != -1 || errno != EPERM) bad |= 4;          /* already a session (and group) leader */
    if (setpgid(0, 0) != -1 || errno != EPERM) bad |= 8;     /* a session leader cannot move */
    if (setpgid(0, getppid()) != -1 || errno != EPERM) bad |= 16;
    t_gate_pass(&ready);
    t_gate_wait(&go);
    _exit(bad);
  }
  t_gate_wait(&ready);
  REL("getsid(child) is the child's pid", getsid(c) == c);
  REL("getpgid(child) is the child's pid", getpgid(c) == c);
  REL("our own session is unchanged", getsid(0) != c);
  T("setpgid of a child in another session", setpgid(c, c));
  T("setpgid of a child into our group across sessions", setpgid(c, getpgrp()));
  t_gate_pass(&go);
  t_reap("child's own checks (0 = all as Linux)", c);
  t_gate_close(&go);
  t_gate_close(&ready);
}

static void group_leader_cannot_setsid(void) {
  pid_t c = t_fork();
  if (c == 0) {
    if (setpgid(0, 0) != 0) _exit(1);
    _exit(setsid() == -1 && errno == EPERM ? 0 : 2);
  }
  t_reap("a group leader's setsid is EPERM (0)", c);

  /* A grandchild in a new session cannot join a group of the old one. */
  c = t_fork();
  if (c == 0) {
    pid_t old_group = getpgrp();
    if (setsid() < 0) _exit(1);
    pid_t g = fork();
    if (g == 0) {
      int bad = setpgid(0, old_group) == -1 && errno == EPERM ? 0 : 4;
      _exit(bad | (getsid(0) == getppid() ? 0 : 8));
    }
    int st;
    waitpid(g, &st, 0);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 3);
  }
  t_reap("the new session's child: EPERM into the old, session inherited (0)", c);
}

/* After the child execs, its parent may no longer move it: EACCES. */
static void after_exec(const char *self) {
  struct t_gate go, started, release;
  t_gate_open(&go);
  t_gate_open(&started);
  t_gate_open(&release);
  pid_t c = t_fork();
  if (c == 0) {
    t_gate_wait(&go); /* execs only once the parent has moved it: either may run first after fork */
    dup2(release.fd[0], 0);
    dup2(started.fd[1], 3);
    execl(self, self, "--started", (char *)NULL);
    _exit(127);
  }
  T("setpgid before the child's exec", setpgid(c, c));
  t_gate_pass(&go);
  t_gate_wait(&started); /* the new image is running */
  T("setpgid after the child's exec", setpgid(c, c));
  t_gate_pass(&release);
  t_reap("exec'd child", c);
  t_gate_close(&go);
  t_gate_close(&started);
  t_gate_close(&release);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--started")) { /* the exec'd child: says so on fd 3, waits for a byte on stdin */
    char b;
    return write(3, "x", 1) == 1 && read(0, &b, 1) == 1 ? 0 : 1;
  }
  t_unbuffered();
  parent_sets_groups();
  child_sessions();
  group_leader_cannot_setsid();
  after_exec(argv[0]);
  T("no children left", wait(NULL));
  return 0;
}
