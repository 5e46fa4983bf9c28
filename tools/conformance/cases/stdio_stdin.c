/* Read stdin to EOF with small reads; echo it transformed and count it. */
#include "t.h"
#include <ctype.h>

int main(void) {
  char buf[7];
  long total = 0, lines = 0, calls = 0, r;
  unsigned long hash = 5381;
  while ((r = SC(SYS_read, 0, buf, sizeof buf)) > 0) {
    calls++;
    for (long i = 0; i < r; i++) {
      hash = hash * 33 + (unsigned char)buf[i];
      if (buf[i] == '\n') lines++;
      buf[i] = (char)toupper((unsigned char)buf[i]);
    }
    SC(SYS_write, 1, buf, r);
    total += r;
  }
  printf("\nlast read: %ld %s\n", r, r < 0 ? ename(errno) : "");
  printf("bytes: %ld newlines: %ld hash: %lu more than one read: %s\n", total, lines, hash, calls > 1 ? "yes" : "no");
  T("read after EOF", SC(SYS_read, 0, buf, sizeof buf));
  T("write to stdin (read end)", SC(SYS_write, 0, "x", 1));
  T("lseek stdin (a regular file)", SC(SYS_lseek, 0, 0, SEEK_SET));
  return 0;
}
