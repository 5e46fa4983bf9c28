/*
 * execve: what survives a new image and what does not (close-on-exec
 * descriptors close, others keep their offset; handled signals reset to
 * default, ignored ones stay ignored, the blocked mask and pending signals
 * stay, the alternate stack goes; a threaded process loses its other threads
 * and keeps its pid even when a non-leader thread execs), `#!` scripts with
 * an argument and nested up to Linux's depth (ELOOP past it), and the errors
 * of a bad image or bad arguments (EACCES, ENOEXEC, ENOENT, ETXTBSY, EFAULT,
 * E2BIG), which return to the caller with nothing changed; and a running
 * program's file, which cannot be opened for writing or truncated
 * (ETXTBSY) until the last process running it has ended.
 *
 * The case execs itself: argv[1] names what the new image reports.
 */
#include "tproc.h"
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define PAGE 4096

static const char *self; /* this binary's absolute path (argv[0]) */
static char **env;

/* ---- what the new image reports ---- */

static void report_fds(void) {
  static const int fds[] = {10, 11, 12, 13};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
    int fl = fcntl(fds[i], F_GETFD);
    if (fl < 0) printf("fd %d: closed (%s)\n", fds[i], ename(errno));
    else printf("fd %d: open, cloexec %s, offset %ld\n", fds[i], fl & FD_CLOEXEC ? "set" : "clear", (long)lseek(fds[i], 0, SEEK_CUR));
  }
}

static const char *disposition(int sig) {
  struct sigaction sa;
  if (sigaction(sig, NULL, &sa)) return ename(errno);
  return sa.sa_handler == SIG_DFL ? "default" : sa.sa_handler == SIG_IGN ? "ignored" : "a handler";
}

static void report_signals(void) {
  printf("SIGUSR1 (had a handler): %s\n", disposition(SIGUSR1));
  printf("SIGINT (had an SA_ONSTACK handler): %s\n", disposition(SIGINT));
  printf("SIGUSR2 (was ignored): %s\n", disposition(SIGUSR2));
  printf("SIGCHLD (was ignored): %s\n", disposition(SIGCHLD));
  sigset_t mask, pending;
  sigprocmask(SIG_BLOCK, NULL, &mask);
  sigpending(&pending);
  REL("SIGTERM still blocked", sigismember(&mask, SIGTERM));
  REL("SIGUSR1 not blocked", !sigismember(&mask, SIGUSR1));
  REL("SIGTERM still pending", sigismember(&pending, SIGTERM));
  stack_t ss;
  sigaltstack(NULL, &ss);
  REL("alternate stack gone", ss.ss_flags == SS_DISABLE);
}

/* Threads left in this process, as /proc/self/status says. */
static int thread_count(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  int n = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Threads: %d", &n) == 1) break;
  if (f) fclose(f);
  return n;
}

static void report_threads(const char *old_pid) {
  REL("pid kept", getpid() == atoi(old_pid));
  REL("the exec'ing thread is the leader now", gettid() == getpid());
  printf("threads after exec: %d\n", thread_count());
}

static void echo_args(int argc, char **argv) {
  char comm[17] = "";
  prctl(PR_GET_NAME, comm);
  printf("comm %s, argc %d:", comm, argc);
  for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\n");
}

/* Leaves a forked copy of this image running until a byte arrives on `gate`; says so on `ready`, then exits. */
static void fork_and_exit(int ready, int gate) {
  char b;
  if (fork() == 0) {
    if (read(gate, &b, 1) != 1) _exit(90);
    _exit(0);
  }
  if (write(ready, "x", 1) != 1) _exit(90);
}

static int new_image(int argc, char **argv) {
  if (argc == 1 && argv[0][0] == '\0') {
    printf("started with an empty argv: argc 1, argv[0] empty\n");
    return 0;
  }
  const char *mode = argv[1];
  if (!strcmp(mode, "--report-fds")) report_fds();
  else if (!strcmp(mode, "--report-signals")) report_signals();
  else if (!strcmp(mode, "--report-threads")) report_threads(argv[2]);
  else if (!strncmp(mode, "--echo-args", 11)) echo_args(argc, argv);
  else if (!strcmp(mode, "--fork-and-exit") && argc == 4) fork_and_exit(atoi(argv[2]), atoi(argv[3]));
  else {
    printf("unexpected exec: %s\n", mode); /* an exec that should have failed did not */
    return 3;
  }
  return 0;
}

/* ---- the tests ---- */

/* Runs `setup` in a child, then execs this binary with `mode`, and prints how it ended. */
static void exec_child(const char *label, void (*setup)(void), char *const *argv) {
  printf("-- %s\n", label);
  pid_t c = t_fork();
  if (c == 0) {
    if (setup) setup();
    execve(argv[0], argv, env);
    printf("execve: -1 %s\n", ename(errno));
    _exit(127);
  }
  t_reap(label, c);
}

static void fds_setup(void) {
  for (int fd = 10; fd <= 13; fd++) close(fd); /* whatever the caller left there */
  t_put("fdfile", "0123456789");
  int fd = open("fdfile", O_RDONLY);
  lseek(fd, 5, SEEK_SET);
  fcntl(fd, F_DUPFD_CLOEXEC, 10); /* 10: close-on-exec */
  dup2(fd, 11);                   /* 11: kept, offset shared */
  int c = open("fdfile", O_RDONLY | O_CLOEXEC);
  dup2(c, 12);
  fcntl(12, F_SETFD, 0); /* 12: close-on-exec cleared: kept */
  dup2(fd, 13);
  fcntl(13, F_SETFD, FD_CLOEXEC); /* 13: set afterwards: closed */
}

static void on_signal(int sig) { (void)sig; }

static void signals_setup(void) {
  static char alt[1 << 16];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
  sigaltstack(&ss, NULL);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGINT, &sa, NULL);
  signal(SIGUSR2, SIG_IGN);
  signal(SIGCHLD, SIG_IGN);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, NULL);
  raise(SIGTERM);
}

static char pid_arg[16];

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static void *exec_from_thread(void *arg) {
  (void)arg;
  char *argv[] = {(char *)self, "--report-threads", pid_arg, NULL};
  execve(self, argv, env);
  printf("execve from a thread: -1 %s\n", ename(errno));
  _exit(127);
}

/* Three threads asleep; then `from_leader` decides which thread execs. */
static void threads_then_exec(int from_leader) {
  snprintf(pid_arg, sizeof pid_arg, "%d", getpid());
  pthread_t t;
  for (int i = 0; i < 3; i++) pthread_create(&t, NULL, sleeper, NULL);
  if (from_leader) exec_from_thread(NULL);
  pthread_create(&t, NULL, exec_from_thread, NULL);
  for (;;) pause();
}
static void threads_leader_setup(void) { threads_then_exec(1); }
static void threads_other_setup(void) { threads_then_exec(0); }

static void write_script(const char *name, const char *text) {
  t_put(name, text);
  chmod(name, 0755);
}

/* c1 runs this binary; c<k> runs c<k-1>: exec of c<k> needs k interpreter rewrites. */
enum { CHAIN = 7 };
static void write_chain(void) {
  char name[16], text[PATH_MAX + 32];
  for (int k = 1; k <= CHAIN; k++) {
    snprintf(name, sizeof name, "c%d", k);
    if (k == 1) snprintf(text, sizeof text, "#!%s --echo-args\n", self);
    else snprintf(text, sizeof text, "#!./c%d\n", k - 1);
    write_script(name, text);
  }
}

static void scripts(void) {
  char text[PATH_MAX + 64];
  snprintf(text, sizeof text, "#!%s --echo-args\n", self);
  write_script("s1", text);
  snprintf(text, sizeof text, "#! %s   --echo-args  two words \t\n", self);
  write_script("s-spaces", text);
  write_script("s2", "#!./s1 x\n");
  write_script("s-missing", "#!/nonexistent/interpreter\n");
  write_script("s-empty", "#!\n");
  write_chain();

  exec_child("script with an argument", NULL, (char *[]){"./s1", "a", "b", NULL});
  exec_child("script with spaces around its argument", NULL, (char *[]){"./s-spaces", "a", NULL});
  exec_child("script whose interpreter is a script", NULL, (char *[]){"./s2", "a", NULL});
  for (int k = 1; k <= CHAIN; k++) {
    char name[16], label[48];
    snprintf(name, sizeof name, "./c%d", k);
    snprintf(label, sizeof label, "chain of %d scripts", k);
    exec_child(label, NULL, (char *[]){name, NULL});
  }
  T("script with a missing interpreter", execve("./s-missing", (char *[]){"./s-missing", NULL}, env));
  T("script with an empty #! line", execve("./s-empty", (char *[]){"./s-empty", NULL}, env));
}

static void copy_prefix(const char *to, size_t n, mode_t mode) {
  int in = open(self, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
  char buf[8192];
  size_t done = 0;
  while (done < n) {
    ssize_t r = read(in, buf, n - done < sizeof buf ? n - done : sizeof buf);
    if (r <= 0 || write(out, buf, r) != r) break;
    done += r;
  }
  close(in), close(out);
}

/*
 * A running program's file cannot be written (ETXTBSY): here the program
 * runs in a process forked from the one that exec'd it (which has ended),
 * so the denial is the fork's as much as the exec's; it ends with the last
 * process running it.
 */
static void running_text(void) {
  copy_prefix("running", 1 << 30, 0755);
  link("running", "running-link");
  prctl(PR_SET_CHILD_SUBREAPER, 1); /* the forked copy comes back to this process when its parent exits */
  int ready[2], gate[2];
  if (pipe(ready) || pipe(gate)) exit(90);
  char rs[16], gs[16];
  snprintf(rs, sizeof rs, "%d", ready[1]);
  snprintf(gs, sizeof gs, "%d", gate[0]);
  pid_t c = t_fork();
  if (c == 0) {
    execve("./running", (char *[]){"./running", "--fork-and-exit", rs, gs, NULL}, env);
    _exit(127);
  }
  char b;
  T("the program started", read(ready[0], &b, 1));
  t_reap("the process that exec'd it", c);
  T("open it O_WRONLY", open("running", O_WRONLY));
  T("open it O_RDWR", open("running", O_RDWR));
  T("open it O_RDONLY | O_TRUNC", open("running", O_RDONLY | O_TRUNC));
  T("open a hard link to it O_WRONLY", open("running-link", O_WRONLY));
  T("truncate it", truncate("running", 10));
  int r = open("running", O_RDONLY);
  TOK("open it O_RDONLY", r);
  close(r);
  if (write(gate[1], "x", 1) != 1) exit(90);
  int st = 0;
  T("its last process ended", waitpid(-1, &st, 0) > 0 ? WEXITSTATUS(st) : -1);
  int w = open("running", O_WRONLY);
  TOK("open it O_WRONLY now", w);
  close(w);
  T("truncate it now", truncate("running", 10));
  prctl(PR_SET_CHILD_SUBREAPER, 0);
  close(ready[0]), close(ready[1]), close(gate[0]), close(gate[1]);
}

/* Execs that fail return here, with this image intact. */
static void bad_images(void) {
  char *argv[] = {"x", "--should-have-failed", NULL};
  mkdir("adir", 0755);
  T("execve a directory", execve("adir", argv, env));
  t_put("noexec", "#!/bin/sh\n");
  chmod("noexec", 0644);
  T("execve without exec permission", execve("./noexec", argv, env));
  copy_prefix("truncated", 100, 0755);
  T("execve a truncated ELF", execve("./truncated", argv, env));
  write_script("garbage", "this is not a program\n");
  T("execve a file of text", execve("./garbage", argv, env));
  write_script("empty", "");
  T("execve an empty file", execve("./empty", argv, env));
  T("execve a missing file", execve("./missing", argv, env));
  T("execve through a file as a directory", execve("./garbage/x", argv, env));

  copy_prefix("busy", 1 << 30, 0755);
  int w = open("busy", O_WRONLY);
  T("execve a file open for writing", execve("./busy", argv, env));
  close(w);
  exec_child("execve it once closed", NULL, (char *[]){"./busy", "--echo-args", NULL});

  T("execveat bad flags", SC(SYS_execveat, AT_FDCWD, "./noexec", argv, env, 0x1));
  T("execveat a directory", SC(SYS_execveat, AT_FDCWD, "adir", argv, env, 0));
  int dirfd = open("adir", O_RDONLY | O_DIRECTORY);
  T("execveat AT_EMPTY_PATH of a directory", SC(SYS_execveat, dirfd, "", argv, env, AT_EMPTY_PATH));
  T("execveat empty path without AT_EMPTY_PATH", SC(SYS_execveat, dirfd, "", argv, env, 0));
  close(dirfd);
}

static void bad_arguments(void) {
  char *page = t_map(2 * PAGE, MAP_PRIVATE);
  munmap(page + PAGE, PAGE);
  char *gone = page + PAGE;

  T("execve path unmapped", SC(SYS_execve, gone, (char *[]){"x", "--should-have-failed", NULL}, env));
  T("argv element unmapped", execve(self, (char *[]){"x", "--should-have-failed", gone, NULL}, env));
  char **edge = (char **)(gone - 2 * sizeof(char *));
  edge[0] = "x";
  edge[1] = "--should-have-failed"; /* the terminating NULL would lie in the unmapped page */
  T("argv array runs into an unmapped page", execve(self, edge, env));
  T("envp array runs into an unmapped page", execve(self, (char *[]){"x", "--should-have-failed", NULL}, edge));
  T("argv pointer that wraps", SC(SYS_execve, self, (char **)0xfffffffffffffff8UL, env));
  T("envp element in the kernel half", execve(self, (char *[]){"x", "--should-have-failed", NULL}, (char *[]){(char *)0xffffffff81000000UL, NULL}));

  struct rlimit stack = {8 << 20, 8 << 20};
  T("RLIMIT_STACK 8 MiB", setrlimit(RLIMIT_STACK, &stack));
  size_t big = 128 * 1024 + 1; /* past MAX_ARG_STRLEN with its NUL */
  char *one = malloc(big);
  memset(one, 'a', big - 1);
  one[big - 1] = 0;
  T("one argument past MAX_ARG_STRLEN", execve(self, (char *[]){"x", "--should-have-failed", one, NULL}, env));
  T("one environment string past MAX_ARG_STRLEN", execve(self, (char *[]){"x", "--should-have-failed", NULL}, (char *[]){one, NULL}));
  one[100000] = 0;
  enum { MANY = 24 }; /* 24 x 100000 bytes: past a quarter of the 8 MiB stack limit */
  char *many[MANY + 3] = {"x", "--should-have-failed"};
  for (int i = 2; i < MANY + 2; i++) many[i] = one;
  T("arguments past a quarter of RLIMIT_STACK", execve(self, many, env));
  free(one);
}

static void argv_null_setup(void) {
  SC(SYS_execve, self, NULL, env); /* (the libc wrapper's prototype forbids NULL) */
  printf("execve with argv NULL: -1 %s\n", ename(errno));
  _exit(127);
}

int main(int argc, char **argv, char **envp) {
  self = argv[0];
  env = envp;
  if (argc != 1 || argv[0][0] == '\0') return new_image(argc, argv);
  t_unbuffered();
  bad_images();
  bad_arguments();
  printf("still the same image after failed execs: yes\n");
  running_text();
  exec_child("close-on-exec", fds_setup, (char *[]){(char *)self, "--report-fds", NULL});
  exec_child("signal dispositions", signals_setup, (char *[]){(char *)self, "--report-signals", NULL});
  exec_child("threaded process, leader execs", threads_leader_setup, NULL);
  exec_child("threaded process, another thread execs", threads_other_setup, NULL);
  exec_child("argv NULL", argv_null_setup, NULL);
  scripts();
  return 0;
}
