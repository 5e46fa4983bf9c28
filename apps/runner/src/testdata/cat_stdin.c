/* Copies stdin to stdout, then reports how many bytes it saw on stderr. */
#include <stdio.h>
#include <unistd.h>
int main(void) {
  char buf[4096];
  long total = 0;
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    write(1, buf, n);
    total += n;
  }
  fprintf(stderr, "%ld bytes\n", total);
  return n < 0 ? 1 : 0;
}
