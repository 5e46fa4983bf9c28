/* Prints its arguments, one per line, and an environment variable; exits with argv[1] as status. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) printf("arg%d=%s\n", i, argv[i]);
  const char *v = getenv("TSV_TEST");
  printf("TSV_TEST=%s\n", v ? v : "(unset)");
  fprintf(stderr, "to stderr\n");
  return argc > 1 ? atoi(argv[1]) : 0;
}
