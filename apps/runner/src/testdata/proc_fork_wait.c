/* fork and wait: five children exit with their own codes; the parent waits for each by pid, then for any. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  pid_t kids[5];
  for (int i = 0; i < 5; i++) {
    kids[i] = fork();
    if (kids[i] < 0) return perror("fork"), 1;
    if (kids[i] == 0) {
      long sum = 0; /* some work of its own, then the answer as the exit status */
      for (int j = 0; j <= 1000 * (i + 1); j++) sum += j;
      _exit((int)(sum % 251));
    }
  }
  for (int i = 4; i >= 0; i--) {
    int st;
    if (waitpid(kids[i], &st, 0) != kids[i]) return perror("waitpid"), 1;
    printf("child %d: exit %d\n", i, WEXITSTATUS(st));
  }
  int any = 0;
  for (int i = 0; i < 3; i++)
    if (fork() == 0) _exit(10 + i);
  for (int st; wait(&st) > 0;) any += WEXITSTATUS(st);
  printf("three more by wait(): sum %d\n", any);
  return 0;
}
