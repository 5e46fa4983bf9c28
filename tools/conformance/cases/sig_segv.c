/* Dereferencing NULL with no handler kills the process with SIGSEGV (status 139). */
#include "t.h"

int main(void) {
  printf("about to dereference NULL\n");
  fflush(stdout);
  volatile int *p = NULL;
  *p = 1;
  printf("unreachable\n");
  return 0;
}
