/* SIGKILL cannot be blocked or caught: status 137. */
#include "t.h"

int main(void) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  SC(SYS_write, 1, "killing self\n", 13);
  SC(SYS_kill, SC(SYS_getpid), SIGKILL);
  SC(SYS_write, 1, "unreachable\n", 12);
  return 0;
}
