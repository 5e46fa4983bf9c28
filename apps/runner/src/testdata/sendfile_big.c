/* One sendfile of (nearly) 2 GiB from argv[1] to argv[2]; says "go" before it and "done N" after. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/sendfile.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int in = open(argv[1], O_RDONLY);
  int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0) {
    perror("open");
    return 1;
  }
  write(1, "go\n", 3);
  long n = sendfile(out, in, NULL, 0x7ffff000);
  printf("done %ld\n", n);
  return 0;
}
