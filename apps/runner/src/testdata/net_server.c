/*
 * net_server PORT: listens on 0.0.0.0:PORT, takes one connection, reads
 * it to EOF and answers "pong to <what it read>".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4) != 0) return 3;
  int c = accept(ls, NULL, NULL);
  char buf[200];
  int n = 0, r;
  while (n < (int)sizeof buf && (r = read(c, buf + n, sizeof buf - n)) > 0) n += r;
  char out[256];
  int len = snprintf(out, sizeof out, "pong to %.*s", n, buf);
  write(c, out, len);
  close(c);
  printf("served %d bytes\n", n);
  return 0;
}
