/*
 * shared-file MODE FILE: maps FILE (which must be longer than 64 KiB)
 * MAP_SHARED, closes the descriptor, reads every page, stores into five
 * pages, msyncs, stores again, and past the end of the file (inside its
 * last page, so nothing may reach the file there), and then, without
 * another msync or munmap:
 *   exit  - returns from main;
 *   kill  - kills itself with SIGKILL;
 *   spin  - prints "ready" and spins until killed from outside.
 * The host then checks the file: every store made, its size unchanged.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int fd = open(argv[2], O_RDWR);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[2]); return 3; }
  long len = (st.st_size + 4095) & ~4095L;
  char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 4; }
  close(fd);
  /* Read first, so the stores hit clean, write-protected pages. */
  unsigned sum = 0;
  for (long o = 0; o < st.st_size; o += 4096) sum += (unsigned char)p[o];
  for (int i = 0; i < 5; i++) snprintf(p + i * 16384L + 7, 32, "page %d stored", i);
  /* Written back, the pages are clean again: the next store must be noticed too. */
  if (msync(p, len, MS_SYNC) != 0) { perror("msync"); return 5; }
  snprintf(p + 16384L + 100, 32, "after msync %u", sum % 7);
  /* Past the end of the file, in its last page: stays in memory. */
  if (st.st_size < len) memcpy(p + st.st_size, "BEYOND", st.st_size + 6 <= len ? 6 : len - st.st_size);
  if (strcmp(argv[1], "kill") == 0) kill(getpid(), SIGKILL);
  if (strcmp(argv[1], "spin") == 0) {
    puts("ready");
    fflush(stdout);
    for (volatile unsigned long n = 0;; n++) {}
  }
  return 0;
}
