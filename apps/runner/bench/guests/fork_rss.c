/* Makes argv[1] MiB resident (one write to every page), then forks; the
 * child exits after its checkpoint. At each point it prints a line and waits
 * for one byte on stdin, so the benchmark can read the host's RSS while the
 * state holds:
 *   "start"     nothing allocated yet
 *   "resident"  argv[1] MiB written, before fork
 *   "forked"    printed by the child: parent and child both live
 *   "done"      the child was reaped
 * Exits 1 with a message on stderr if fork or wait fails. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* Prints `what` and waits for the benchmark's go-ahead (a byte on stdin). */
static void checkpoint(const char *what) {
  char c;
  printf("%s\n", what);
  fflush(stdout);
  if (read(0, &c, 1) != 1) _exit(3);
}

int main(int argc, char **argv) {
  size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 200) << 20;
  checkpoint("start");
  char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    fprintf(stderr, "mmap: %s\n", strerror(errno));
    return 1;
  }
  for (size_t i = 0; i < n; i += 4096) p[i] = (char)i | 1;
  checkpoint("resident");
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "fork: %s\n", strerror(errno));
    return 1;
  }
  if (pid == 0) {
    checkpoint("forked");
    _exit(p[0] == 1 ? 0 : 4); /* it sees what the parent wrote */
  }
  int status;
  if (waitpid(pid, &status, 0) != pid || status != 0) {
    fprintf(stderr, "child: wait status 0x%x (%s)\n", status, strerror(errno));
    return 1;
  }
  checkpoint("done");
  return 0;
}
