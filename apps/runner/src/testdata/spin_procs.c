/* Forks argv[1] children that compute forever, and computes itself; with argv[2] "ignore" every process ignores SIGXCPU. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2;
  if (argc > 2 && strcmp(argv[2], "ignore") == 0) signal(SIGXCPU, SIG_IGN);
  for (int i = 0; i < n; i++)
    if (fork() == 0) break;
  volatile unsigned long x = 0;
  for (;;) x++;
}
