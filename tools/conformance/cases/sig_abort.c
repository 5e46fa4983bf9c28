/* abort() ends the process with SIGABRT (status 134) even with a returning handler. */
#include "t.h"

static void h(int s) { (void)s; SC(SYS_write, 1, "handler ran\n", 12); }

int main(void) {
  signal(SIGABRT, h);
  printf("aborting\n");
  fflush(stdout);
  abort();
}
