/* Dies with SIGSEGV after writing to stdout: the output must not be lost. */
#include <unistd.h>
int main(void) {
  write(1, "before\n", 7);
  *(volatile int *)0 = 1;
  return 0;
}
