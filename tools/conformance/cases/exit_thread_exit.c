/* SYS_exit from the only thread ends the process with that status. */
#include "t.h"

int main(void) {
  SC(SYS_write, 1, "before exit\n", 12);
  SC(SYS_exit, 7);
  return 1;
}
