/*
 * Writes argv[1] bytes of 'z' to stdout in one write (all of it, or it
 * exits 1), then creates the file argv[2] (if given) to say so, then waits.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
  char *buf = malloc(n);
  memset(buf, 'z', n);
  if (write(1, buf, n) != (ssize_t)n) return 1;
  if (argc > 2) close(open(argv[2], O_WRONLY | O_CREAT, 0644));
  for (;;) pause();
}
