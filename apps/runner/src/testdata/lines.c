/* Writes argv[1] lines, one write system call each: "N\n" to stdout, and every argv[2]-th one to stderr instead. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 0, every = argc > 2 ? atol(argv[2]) : 0;
  char line[32];
  for (long i = 1; i <= n; i++) {
    int len = snprintf(line, sizeof line, "%ld\n", i);
    write(every > 0 && i % every == 0 ? 2 : 1, line, len);
  }
  return 0;
}
