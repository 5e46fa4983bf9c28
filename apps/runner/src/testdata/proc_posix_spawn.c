/* posix_spawn and posix_spawnp with file actions (output to a file, a dup2) and attributes (mask, group). */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int wait_for(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t pid;
  int r = posix_spawn(&pid, "/bin/busybox", NULL, NULL, (char *[]){"busybox", "echo", "spawned", NULL}, environ);
  printf("posix_spawn: %s, status %d\n", strerror(r), wait_for(pid));

  /* stdout of the child into a file in the cwd, its stderr onto that stdout */
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "spawn-out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  posix_spawnattr_setsigmask(&at, &mask);
  posix_spawnattr_setpgroup(&at, 0);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  char *sh[] = {"busybox", "sh", "-c", "echo out; echo err >&2; grep SigBlk /proc/self/status; [ $(cut -d' ' -f5 /proc/self/stat) = $$ ] && echo own group", NULL};
  r = posix_spawnp(&pid, "busybox", &fa, &at, sh, environ);
  printf("posix_spawnp: %s, status %d\n", strerror(r), wait_for(pid));
  char buf[256] = {0};
  int fd = open("spawn-out.txt", O_RDONLY);
  if (fd >= 0 && read(fd, buf, sizeof buf - 1) >= 0) printf("its output:\n%s", buf);

  r = posix_spawn(&pid, "/no/such/program", NULL, NULL, (char *[]){"x", NULL}, environ);
  printf("missing program: %s\n", strerror(r));
  return 0;
}
