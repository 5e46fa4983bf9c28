/* system() and popen(), which run /bin/sh -c. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int st = system("echo via system; exit 3");
  printf("system: exit %d\n", WEXITSTATUS(st));
  st = system("/bin/busybox seq 3 | /bin/busybox tac");
  printf("system pipeline: exit %d\n", WEXITSTATUS(st));
  FILE *p = popen("/bin/busybox seq 4 6", "r");
  char line[64];
  int sum = 0;
  while (p && fgets(line, sizeof line, p)) sum += atoi(line);
  printf("popen read: sum %d, pclose %d\n", sum, WEXITSTATUS(pclose(p)));
  p = popen("/bin/busybox wc -c", "w");
  fputs("twelve bytes", p);
  printf("popen write: pclose %d (wc printed above)\n", WEXITSTATUS(pclose(p)));
  return 0;
}
