/* exit_group with a status above 255 is truncated to its low 8 bits. */
#include "t.h"

int main(int argc, char **argv) {
  int code = argc > 1 ? atoi(argv[1]) : 0;
  printf("raw exit_group(%d)\n", code);
  fflush(stdout);
  SC(SYS_exit_group, code);
  return 99;
}
