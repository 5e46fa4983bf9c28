/*
 * wait4 and waitid: WNOHANG, WNOWAIT (then a real wait), P_PID, P_PGID,
 * P_ALL, __WCLONE and __WALL with a child whose exit signal is 0 (it signals
 * nothing), WUNTRACED/WCONTINUED/WSTOPPED with SIGSTOP and SIGCONT, rusage
 * as a relation, a subreaper adopting an orphan, and the errors (ECHILD,
 * EINVAL, EFAULT).
 */
#include "tproc.h"
#include <sys/prctl.h>
#include <sys/resource.h>

static void print_info(const char *label, int r, const siginfo_t *si, pid_t expect) {
  if (r < 0) {
    printf("%s: -1 %s\n", label, ename(errno));
    return;
  }
  const char *code = si->si_code == CLD_EXITED ? "CLD_EXITED" : si->si_code == CLD_KILLED ? "CLD_KILLED"
                     : si->si_code == CLD_STOPPED ? "CLD_STOPPED" : si->si_code == CLD_CONTINUED ? "CLD_CONTINUED"
                     : si->si_code == CLD_DUMPED ? "CLD_DUMPED" : "other";
  printf("%s: signo %s, code %s, status %d, pid %s\n", label, t_signame(si->si_signo), code, si->si_status,
         si->si_pid == expect ? "right" : si->si_pid == 0 ? "0" : "wrong");
}

static void ids(pid_t c, idtype_t type, id_t id, int options, const char *label) {
  siginfo_t si;
  memset(&si, 0x55, sizeof si);
  int r = waitid(type, id, &si, options);
  print_info(label, r, &si, c);
}

static void nohang_and_nowait(void) {
  T("no children: wait", wait(NULL));
  T("no children: WNOHANG", waitpid(-1, NULL, WNOHANG));
  struct t_gate g;
  t_gate_open(&g);
  pid_t c = t_gated_child(&g, 7);
  T("running child: WNOHANG", waitpid(c, NULL, WNOHANG));
  siginfo_t si;
  si.si_pid = 12345;
  T("running child: waitid WNOHANG", waitid(P_PID, c, &si, WEXITED | WNOHANG));
  printf("waitid WNOHANG left si_pid %s\n", si.si_pid == 0 ? "0" : "as it was");
  t_gate_pass(&g);
  ids(c, P_PID, c, WEXITED | WNOWAIT, "waitid WNOWAIT");
  ids(c, P_PID, c, WEXITED | WNOWAIT, "waitid WNOWAIT again");
  int st = 0;
  REL("wait4 after WNOWAIT reaps it", wait4(c, &st, 0, NULL) == c);
  printf("status: %s\n", t_wstatus(st));
  T("and it is gone", waitpid(c, NULL, 0));
  t_gate_close(&g);
}

static void by_group(void) {
  struct t_gate g;
  t_gate_open(&g);
  pid_t a = t_gated_child(&g, 3), b = t_gated_child(&g, 4);
  T("setpgid(a, a)", setpgid(a, a));
  T("setpgid(b, a)", setpgid(b, a));
  T("P_PGID of an empty group", waitid(P_PGID, getpid() + 100000, &(siginfo_t){0}, WEXITED | WNOHANG));
  t_gate_pass(&g);
  t_gate_pass(&g);
  siginfo_t s1, s2;
  waitid(P_PGID, a, &s1, WEXITED);
  waitid(P_PGID, a, &s2, WEXITED);
  printf("P_PGID reaped statuses %d and %d\n", s1.si_status < s2.si_status ? s1.si_status : s2.si_status,
         s1.si_status < s2.si_status ? s2.si_status : s1.si_status);
  T("P_PGID with the group gone", waitid(P_PGID, a, &s1, WEXITED));

  pid_t c = t_gated_child(&g, 5);
  t_gate_pass(&g);
  ids(c, P_PGID, 0, WEXITED, "P_PGID 0 (the caller's group)");
  c = t_gated_child(&g, 6);
  t_gate_pass(&g);
  ids(c, P_ALL, 0, WEXITED, "P_ALL");
  t_gate_close(&g);
}

static volatile int sigchld_count;
static void on_sigchld(int sig) { (void)sig; sigchld_count++; }

/* A child with exit signal 0 is a "clone" child: only __WCLONE or __WALL see it, and its end signals nothing. */
static void clone_children(void) {
  struct sigaction sa = {.sa_handler = on_sigchld};
  sigaction(SIGCHLD, &sa, NULL);
  struct t_gate g;
  t_gate_open(&g);
  long c = SC(SYS_clone, 0L, 0L, 0L, 0L, 0L); /* fork with exit signal 0 */
  if (c == 0) {
    t_gate_wait(&g);
    _exit(11);
  }
  if (c < 0) printf("clone: -1 %s\n", ename(errno));
  T("plain wait for it", waitpid(c, NULL, WNOHANG));
  T("__WCLONE while it runs", waitpid(c, NULL, WNOHANG | __WCLONE));
  t_gate_pass(&g);
  int st = 0;
  REL("__WCLONE reaps it", waitpid(c, &st, __WCLONE) == c);
  printf("status: %s, SIGCHLD received: %d\n", t_wstatus(st), sigchld_count);

  c = SC(SYS_clone, 0L, 0L, 0L, 0L, 0L);
  if (c == 0) _exit(12);
  REL("__WALL reaps it", waitpid(-1, &st, __WALL) == c);
  printf("status: %s, SIGCHLD received: %d\n", t_wstatus(st), sigchld_count);

  pid_t f = t_fork();
  if (f == 0) _exit(13);
  T("__WCLONE ignores a SIGCHLD child", waitpid(f, NULL, __WCLONE));
  REL("__WALL takes it too", waitpid(f, &st, __WALL) == f);
  printf("status: %s, SIGCHLD received: %d\n", t_wstatus(st), sigchld_count);
  signal(SIGCHLD, SIG_DFL);
  t_gate_close(&g);
}

static void stop_and_continue(void) {
  pid_t c = t_fork();
  if (c == 0)
    for (;;) pause();
  int st = 0;
  T("SIGSTOP", kill(c, SIGSTOP));
  REL("WUNTRACED sees the stop", waitpid(c, &st, WUNTRACED) == c);
  printf("status: %s\n", t_wstatus(st));
  T("the stop is reported once", waitpid(c, &st, WUNTRACED | WNOHANG));
  T("SIGCONT", kill(c, SIGCONT));
  REL("WCONTINUED sees it", waitpid(c, &st, WCONTINUED) == c);
  printf("status: %s\n", t_wstatus(st));
  T("SIGSTOP again", kill(c, SIGSTOP));
  ids(c, P_PID, c, WSTOPPED | WNOWAIT, "waitid WSTOPPED WNOWAIT");
  ids(c, P_PID, c, WSTOPPED, "waitid WSTOPPED");
  T("SIGCONT again", kill(c, SIGCONT));
  ids(c, P_PID, c, WCONTINUED, "waitid WCONTINUED");
  T("SIGKILL", kill(c, SIGKILL));
  ids(c, P_PID, c, WEXITED, "waitid after SIGKILL");
}

static void usage(void) {
  pid_t c = t_fork();
  if (c == 0) {
    struct rusage ru;
    volatile unsigned long x = 0;
    do {
      for (int i = 0; i < 1000000; i++) x += i;
      getrusage(RUSAGE_SELF, &ru);
    } while (ru.ru_utime.tv_sec == 0 && ru.ru_utime.tv_usec == 0 && ru.ru_stime.tv_sec == 0 && ru.ru_stime.tv_usec == 0);
    _exit(0);
  }
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  int st;
  REL("wait4 with rusage", wait4(c, &st, 0, &ru) == c);
  REL("child's CPU time > 0", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec > 0);
  REL("child's max RSS > 0", ru.ru_maxrss > 0);
  struct rusage all;
  getrusage(RUSAGE_CHILDREN, &all);
  REL("RUSAGE_CHILDREN covers it",
      all.ru_utime.tv_sec * 1000000 + all.ru_utime.tv_usec + all.ru_stime.tv_sec * 1000000 + all.ru_stime.tv_usec >=
          ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
}

/* With PR_SET_CHILD_SUBREAPER, a grandchild orphaned by its parent becomes ours to wait for. */
static void subreaper(void) {
  T("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1));
  pid_t me = getpid();
  struct t_gate g;
  t_gate_open(&g);
  pid_t c = t_fork();
  if (c == 0) {
    pid_t gc = fork();
    if (gc == 0) {
      t_gate_wait(&g); /* until its parent is gone */
      _exit(getppid() == me ? 21 : 22);
    }
    _exit(gc > 0 ? 20 : 1);
  }
  t_reap("the middle child", c);
  t_gate_pass(&g);
  int st = 0;
  REL("the orphan is our child now", waitpid(-1, &st, 0) > 0);
  printf("orphan's status (21: getppid() is us): %s\n", t_wstatus(st));
  T("PR_SET_CHILD_SUBREAPER off", prctl(PR_SET_CHILD_SUBREAPER, 0));
  t_gate_close(&g);
}

static void errors(void) {
  pid_t c = t_fork();
  if (c == 0) _exit(0);
  T("wait4 unknown option", wait4(c, NULL, 0x10000000, NULL));
  siginfo_t si;
  T("waitid without WEXITED/WSTOPPED/WCONTINUED", waitid(P_PID, c, &si, WNOHANG));
  T("waitid bad idtype", waitid((idtype_t)42, 0, &si, WEXITED));
  T("waitid P_PID 0", waitid(P_PID, 0, &si, WEXITED));
  T("wait for ourselves", waitpid(getpid(), NULL, 0));
  T("wait4 status pointer unmapped", wait4(c, (int *)8, 0, NULL));
  T("the child was reaped all the same", waitpid(c, NULL, WNOHANG));
  c = t_fork();
  if (c == 0) _exit(255);
  t_reap("exit 255", c);
  T("a reaped pid", waitpid(c, NULL, 0));
}

int main(void) {
  t_unbuffered();
  nohang_and_nowait();
  by_group();
  clone_children();
  stop_and_continue();
  usage();
  subreaper();
  errors();
  T("no children left", wait(NULL));
  return 0;
}
