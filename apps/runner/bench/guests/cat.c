/* Copies stdin to stdout: a program that waits on its input until it ends. */
#include <unistd.h>
int main(void) {
  char buf[4096];
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) write(1, buf, n);
  return n < 0;
}
