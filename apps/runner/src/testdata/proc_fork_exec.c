/* fork then exec: busybox by absolute path and through PATH, and an exec that fails in the child. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void run(char *const argv[], int by_path) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    if (by_path) execvp(argv[0], argv);
    else execv(argv[0], argv);
    printf("exec %s: %s\n", argv[0], strerror(errno));
    fflush(stdout);
    _exit(127);
  }
  int st;
  waitpid(c, &st, 0);
  printf("%s: %s %d\n", argv[0], WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

int main(void) {
  run((char *[]){"/bin/busybox", "echo", "hello from exec", NULL}, 0);
  run((char *[]){"busybox", "sh", "-c", "echo via PATH; exit 5", NULL}, 1);
  run((char *[]){"/bin/busybox", "false", NULL}, 0);
  run((char *[]){"/no/such/program", NULL}, 0);
  return 0;
}
