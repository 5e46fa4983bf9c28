/*
 * /proc for processes and threads: a process with 3 pthreads sees itself
 * (status, stat, task/, comm, statm, limits, mounts), a child started with
 * posix_spawn (vfork + exec of /bin/busybox sleep) as a process of its own,
 * that child as a zombie once killed and not yet reaped, and gone once
 * reaped; and the system-wide files parse. Only relations and values that
 * are the same on every Linux are printed, never pids or times.
 */
#include "t.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#define WORKERS 3

extern char **environ;

static pthread_barrier_t started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done;
static pid_t tids[WORKERS];

static void *worker(void *arg) {
  long i = (long)arg;
  char name[32];
  snprintf(name, sizeof name, "worker%d", (int)i + 1);
  pthread_setname_np(pthread_self(), name);
  tids[i] = gettid();
  pthread_barrier_wait(&started);
  pthread_mutex_lock(&mu);
  while (!done) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

/* The whole file at `path` (NUL-terminated; *len is its length), or NULL with errno set. */
static char *slurp(const char *path, size_t *len) {
  static char buf[1 << 16];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
    if (r < 0) {
      close(fd);
      return NULL;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

/* The value of status line `name` (up to the newline), "" if absent. */
static const char *field(const char *status, const char *name) {
  static char out[256];
  size_t nl = strlen(name);
  out[0] = 0;
  for (const char *p = status; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == '\t' || *v == ' ') v++;
      size_t k = strcspn(v, "\n");
      if (k >= sizeof out) k = sizeof out - 1;
      memcpy(out, v, k);
      out[k] = 0;
      break;
    }
  }
  return out;
}

/* stat fields 1..52 of /proc/<path>/stat, split as proc(5) numbers them; the count found. */
static int stat_fields(const char *path, char f[53][64]) {
  char *s = slurp(path, NULL);
  if (!s) return -1;
  char *close_paren = strrchr(s, ')');
  if (!close_paren) return 0;
  snprintf(f[1], 64, "%.*s", (int)strcspn(s, " "), s);
  char *name = strchr(s, '(');
  snprintf(f[2], 64, "%.*s", (int)(close_paren + 1 - name), name);
  int n = 3;
  for (char *tok = strtok(close_paren + 2, " \n"); tok && n <= 52; tok = strtok(NULL, " \n")) snprintf(f[n++], 64, "%s", tok);
  return n - 1;
}

static long num(const char *s) { return strtol(s, NULL, 10); }

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names in directory `path` other than . and .., sorted; how many. */
static int list(const char *path, char names[][32], int max) {
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (n < max) snprintf(names[n], 32, "%.31s", e->d_name);
    n++;
  }
  closedir(d);
  return n;
}

static int listed(char names[][32], int n, long id) {
  char want[32];
  snprintf(want, sizeof want, "%ld", id);
  for (int i = 0; i < n; i++) if (strcmp(names[i], want) == 0) return 1;
  return 0;
}

static char state_of(const char *path) {
  char f[53][64];
  return stat_fields(path, f) >= 3 ? f[3][0] : '?';
}

static void self_and_threads(void) {
  pid_t me = getpid();
  const char *st = slurp("/proc/self/status", NULL);
  printf("status name: %s\n", field(st, "Name"));
  printf("status state: %s\n", field(st, "State"));
  printf("status threads: %s\n", field(st, "Threads"));
  REL("status tgid is getpid", num(field(st, "Tgid")) == me);
  REL("status pid is gettid", num(field(st, "Pid")) == gettid());
  REL("status ppid is getppid", num(field(st, "PPid")) == getppid());
  REL("status uid is getuid", num(field(st, "Uid")) == (long)getuid());
  long vmsize = num(field(st, "VmSize"));
  REL("status VmSize > 0", vmsize > 0);
  REL("status VmStk > 0", num(field(st, "VmStk")) > 0);
  REL("status VmExe > 0", num(field(st, "VmExe")) > 0);
  REL("status SigBlk present", strlen(field(st, "SigBlk")) == 16);
  char *statm = slurp("/proc/self/statm", NULL);
  REL("statm size matches VmSize", statm && num(statm) * 4 == vmsize);

  char f[53][64];
  printf("stat fields: %d\n", stat_fields("/proc/self/stat", f));
  printf("stat state: %s\n", f[3]);
  REL("stat ppid is getppid", num(f[4]) == getppid());
  REL("stat pgrp is getpgrp", num(f[5]) == getpgrp());
  REL("stat session is getsid", num(f[6]) == getsid(0));
  printf("stat num_threads: %s\n", f[20]);
  printf("stat exit_signal: %s\n", f[38]);
  REL("stat vsize is VmSize", num(f[23]) / 1024 == vmsize);

  char names[16][32];
  int n = list("/proc/self/task", names, 16);
  printf("task entries: %d\n", n);
  REL("task lists the main thread", listed(names, n, me));
  int all = 1;
  for (int i = 0; i < WORKERS; i++) all &= listed(names, n, tids[i]);
  REL("task lists every worker", all);

  char *comms[1 + WORKERS];
  char buf[1 + WORKERS][32];
  for (int i = 0; i <= WORKERS; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", i == 0 ? me : tids[i - 1]);
    char *c = slurp(path, NULL);
    snprintf(buf[i], 32, "%.*s", c ? (int)strcspn(c, "\n") : 0, c ? c : "");
    comms[i] = buf[i];
  }
  qsort(comms, 1 + WORKERS, sizeof comms[0], cmp);
  printf("thread names:");
  for (int i = 0; i <= WORKERS; i++) printf(" %s", comms[i]);
  printf("\n");

  /* Workers wait on a condition variable: each sleeps (S) once it is in the wait. */
  int sleeping = 0;
  for (int tries = 0; tries < 5000 && !sleeping; tries++) {
    sleeping = 1;
    for (int i = 0; i < WORKERS; i++) {
      char path[64];
      snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[i]);
      sleeping &= state_of(path) == 'S';
    }
    if (!sleeping) usleep(1000);
  }
  REL("workers sleeping", sleeping);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[0]);
  stat_fields(path, f);
  printf("thread stat exit_signal: %s\n", f[38]);
  REL("thread stat pid is its tid", num(f[1]) == tids[0]);
  snprintf(path, sizeof path, "/proc/self/task/%d/status", tids[0]);
  st = slurp(path, NULL);
  REL("thread status tgid is getpid", num(field(st, "Tgid")) == me);
  printf("thread status threads: %s\n", field(st, "Threads"));

  char link[64];
  ssize_t k = readlink("/proc/thread-self", link, sizeof link - 1);
  link[k < 0 ? 0 : k] = 0;
  char want[64];
  snprintf(want, sizeof want, "%d/task/%d", me, me);
  REL("thread-self is pid/task/tid", strcmp(link, want) == 0);
}

static void files_of_self(void) {
  size_t len = 0;
  char *cl = slurp("/proc/self/cmdline", &len);
  int args = 0;
  for (size_t i = 0; cl && i < len; i++) args += cl[i] == 0;
  printf("cmdline args: %d\n", args);
  char *env = slurp("/proc/self/environ", &len);
  int has = 0;
  for (size_t i = 0; env && i < len; i += strlen(env + i) + 1) has |= strcmp(env + i, "LC_ALL=C") == 0;
  REL("environ has LC_ALL=C", has);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  const char *lim = slurp("/proc/self/limits", NULL);
  const char *line = strstr(lim, "Max open files");
  REL("limits shows RLIMIT_NOFILE", line && num(line + 26) == (long)rl.rlim_cur);
  const char *mounts = slurp("/proc/self/mounts", NULL);
  REL("mounts has /proc", strstr(mounts, " /proc proc ") != NULL);
  const char *info = slurp("/proc/self/mountinfo", NULL);
  REL("mountinfo has /proc", strstr(info, " /proc ") != NULL && strstr(info, " - proc ") != NULL);
}

static void spawned_child(void) {
  pid_t me = getpid();
  pid_t c;
  char *argv[] = {"/bin/busybox", "sleep", "1", NULL};
  T("posix_spawn", posix_spawn(&c, argv[0], NULL, NULL, argv, environ));
  char names[4096][32];
  int n = list("/proc", names, 4096);
  REL("/proc lists self", listed(names, n, me));
  REL("/proc lists the child", listed(names, n, c));

  char path[64];
  /*
   * posix_spawn returns once the child's exec has let go of our memory;
   * Linux names the child and fills its argument area a moment later.
   */
  snprintf(path, sizeof path, "/proc/%d/cmdline", c);
  size_t len = 0;
  for (int tries = 0; tries < 5000 && (!slurp(path, &len) || len == 0); tries++) usleep(1000);
  snprintf(path, sizeof path, "/proc/%d/status", c);
  const char *st = slurp(path, NULL);
  printf("child name: %s\n", field(st, "Name"));
  REL("child ppid is us", num(field(st, "PPid")) == me);
  REL("child tgid is its pid", num(field(st, "Tgid")) == c);
  printf("child threads: %s\n", field(st, "Threads"));
  char s = field(st, "State")[0];
  REL("child running or sleeping", s == 'R' || s == 'S');
  snprintf(path, sizeof path, "/proc/%d/cmdline", c);
  char *cl = slurp(path, &len);
  for (size_t i = 0; cl && i + 1 < len; i++) if (cl[i] == 0) cl[i] = ' ';
  printf("child cmdline: %s\n", cl ? cl : "?");
  char f[53][64], g[53][64];
  snprintf(path, sizeof path, "/proc/%d/stat", c);
  stat_fields(path, f);
  stat_fields("/proc/self/stat", g);
  REL("child stat ppid is us", num(f[4]) == me);
  REL("child in our process group", num(f[5]) == getpgrp());
  REL("child started after us", num(f[22]) >= num(g[22]));

  kill(c, SIGKILL);
  siginfo_t si;
  T("waitid WNOWAIT", waitid(P_PID, c, &si, WEXITED | WNOWAIT));
  snprintf(path, sizeof path, "/proc/%d/status", c);
  st = slurp(path, NULL);
  printf("zombie state: %s\n", field(st, "State"));
  printf("zombie threads: %s\n", field(st, "Threads"));
  REL("zombie has no VmSize", field(st, "VmSize")[0] == 0);
  snprintf(path, sizeof path, "/proc/%d/stat", c);
  printf("zombie stat fields: %d\n", stat_fields(path, f));
  printf("zombie stat state: %s\n", f[3]);
  printf("zombie stat exit_code: %s\n", f[52]);
  snprintf(path, sizeof path, "/proc/%d/cmdline", c);
  cl = slurp(path, &len);
  printf("zombie cmdline bytes: %zu\n", cl ? len : (size_t)-1);
  n = list("/proc", names, 4096);
  REL("/proc lists the zombie", listed(names, n, c));
  int status;
  REL("reaped", waitpid(c, &status, 0) == c && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  snprintf(path, sizeof path, "/proc/%d/status", c);
  T("open reaped status", open(path, O_RDONLY));
}

static void system_files(void) {
  double a, b, up, idle;
  int run, total, last;
  const char *la = slurp("/proc/loadavg", NULL);
  int k = sscanf(la, "%lf %lf %*f %d/%d %d", &a, &b, &run, &total, &last);
  printf("loadavg fields: %d\n", k);
  REL("loadavg running >= 1", run >= 1);
  REL("loadavg threads >= 4", total >= 1 + WORKERS);
  REL("uptime parses", sscanf(slurp("/proc/uptime", NULL), "%lf %lf", &up, &idle) == 2 && up > 0);
  const char *stat = slurp("/proc/stat", NULL);
  REL("stat starts with cpu", strncmp(stat, "cpu ", 4) == 0);
  REL("stat has cpu0", strstr(stat, "\ncpu0 ") != NULL);
  REL("stat has btime", strstr(stat, "\nbtime ") != NULL);
  REL("stat has procs_running", strstr(stat, "\nprocs_running ") != NULL);
  const char *mi = slurp("/proc/meminfo", NULL);
  long total_kb = num(field(mi, "MemTotal"));
  long free_kb = num(field(mi, "MemFree"));
  REL("meminfo MemTotal > 0", total_kb > 0);
  REL("meminfo MemFree <= MemTotal", free_kb >= 0 && free_kb <= total_kb);
  const char *ci = slurp("/proc/cpuinfo", NULL);
  REL("cpuinfo has processor 0", strncmp(ci, "processor\t: 0\n", 14) == 0);
  REL("cpuinfo flags have sse2", strstr(ci, "\nflags") != NULL && strstr(ci, " sse2 ") != NULL);
  printf("ostype: %s", slurp("/proc/sys/kernel/ostype", NULL));
  REL("pid_max >= 32768", num(slurp("/proc/sys/kernel/pid_max", NULL)) >= 32768);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_barrier_init(&started, NULL, 1 + WORKERS);
  pthread_t th[WORKERS];
  for (long i = 0; i < WORKERS; i++) pthread_create(&th[i], NULL, worker, (void *)i);
  pthread_barrier_wait(&started);
  self_and_threads();
  files_of_self();
  spawned_child();
  system_files();
  pthread_mutex_lock(&mu);
  done = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < WORKERS; i++) pthread_join(th[i], NULL);
  printf("joined\n");
  return 0;
}
