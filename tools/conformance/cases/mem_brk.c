/* brk: query, grow, touch, shrink; the break never moves below its start. */
#include "t.h"

int main(void) {
  long b0 = SC(SYS_brk, 0);
  REL("brk(0) > 0", b0 > 0);
  REL("brk(0) page aligned or not, stable", SC(SYS_brk, 0) == b0);
  long b1 = SC(SYS_brk, b0 + 1000000);
  REL("grow returns requested", b1 == b0 + 1000000);
  char *p = (char *)b0;
  for (long i = 0; i < 1000000; i += 4096) p[i] = (char)i;
  p[999999] = 7;
  REL("new memory readable", p[4096] == (char)4096 && p[999999] == 7);
  long b2 = SC(SYS_brk, b0 + 4096);
  REL("shrink returns requested", b2 == b0 + 4096);
  printf("read above shrunk break: %s\n", t_signame(t_probe(t_read_byte, p + 500000)));
  long b3 = SC(SYS_brk, b0 + 1000000);
  REL("regrow returns requested", b3 == b0 + 1000000);
  REL("regrown memory is zero", p[500000] == 0 && p[999999] == 0);
  REL("kept memory kept", p[0] == 0);
  long b4 = SC(SYS_brk, b0 - 1000000000L);
  REL("below start refused (returns current)", b4 == b3);
  long b5 = SC(SYS_brk, 1);
  REL("tiny value refused", b5 == b3);
  long b6 = SC(SYS_brk, 0x7ffffffff000L);
  REL("huge value refused", b6 == b3);
  SC(SYS_brk, b0);
  REL("back to start", SC(SYS_brk, 0) == b0);
  void *m = malloc(100);
  REL("malloc after brk games works", m != NULL);
  return 0;
}
