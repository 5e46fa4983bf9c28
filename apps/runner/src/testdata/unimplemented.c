/* Makes a system call tsv does not implement (number 400: none on x86-64), then writes to both streams. */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) {
  long r = syscall(400);
  printf("syscall 400 = %ld\n", r);
  fprintf(stderr, "to stderr\n");
  return 0;
}
