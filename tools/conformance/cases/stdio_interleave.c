/* printf to stdout and stderr interleaved, stdio buffering modes, a large stdout. */
#include "t.h"

int main(void) {
  for (int i = 0; i < 5; i++) {
    printf("out line %d\n", i);
    fprintf(stderr, "err line %d\n", i);
    if (i == 2) fflush(stdout);
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("unbuffered ");
  printf("stdout\n");
  fputs("stderr is unbuffered\n", stderr);
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  /* ~300 KiB in 64 KiB stdio chunks. */
  for (int i = 0; i < 6000; i++) printf("%05d the quick brown fox jumps over the lazy dog\n", i);
  fflush(stdout);
  T("raw write stdout", SC(SYS_write, 1, "raw\n", 4));
  T("raw write stderr", SC(SYS_write, 2, "raw err\n", 8));
  T("write 0 bytes", SC(SYS_write, 1, "", 0));
  char big[100000];
  memset(big, 'e', sizeof big);
  big[sizeof big - 1] = '\n';
  T("large raw write stderr", SC(SYS_write, 2, big, sizeof big));
  puts("done");
  return 0;
}
