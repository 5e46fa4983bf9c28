/* fork, execve argv[2] (a static `true`) in the child, wait for it; argv[1]
 * times. Prints microseconds per iteration (CLOCK_MONOTONIC, which tsv
 * serves from its vDSO without an exit). Exits 1 with a message on stderr
 * if fork, exec or wait fails, so the benchmark can say why it skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s ITERATIONS PROGRAM\n", argv[0]);
    return 2;
  }
  long n = atol(argv[1]);
  char *child_argv[] = {argv[2], NULL};
  char *child_envp[] = {NULL};
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "fork: %s\n", strerror(errno));
      return 1;
    }
    if (pid == 0) {
      execve(argv[2], child_argv, child_envp);
      _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
      fprintf(stderr, "waitpid: %s\n", strerror(errno));
      return 1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "child: wait status 0x%x\n", status);
      return 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n);
  return 0;
}
