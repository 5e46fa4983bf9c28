/* symlink_open LINK TARGET: makes LINK -> TARGET, then opens LINK for reading; prints what each step gave. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  printf("symlink: %s\n", symlink(argv[2], argv[1]) == 0 ? "ok" : strerror(errno));
  printf("open: %s\n", open(argv[1], O_RDONLY) >= 0 ? "ok" : strerror(errno));
  return 0;
}
