/* Data written with write(2) right before exit_group must all arrive; stdio data
 * not flushed before _exit is lost, on Linux and so under tsv too. */
#include "t.h"

int main(void) {
  static char big[200000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = 'a' + i % 26;
  big[sizeof big - 1] = '\n';
  printf("this stays in the stdio buffer and is lost\n");
  long left = sizeof big;
  char *p = big;
  while (left > 0) { long r = SC(SYS_write, 1, p, left); if (r <= 0) break; p += r; left -= r; }
  SC(SYS_write, 2, "last words\n", 11);
  SC(SYS_exit_group, 3);
  return 0;
}
