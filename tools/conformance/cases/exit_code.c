/* Exit status is argv[1] & 0xff; output buffered by stdio is flushed by exit(). */
#include "t.h"

int main(int argc, char **argv) {
  int code = argc > 1 ? atoi(argv[1]) : 0;
  printf("argc: %d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]: %s\n", i, argv[i]);
  printf("exiting with %d (buffered, flushed by exit)\n", code);
  exit(code);
}
