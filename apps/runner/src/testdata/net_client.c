/*
 * net_client ADDR PORT: connects over TCP (ADDR IPv4 or IPv6), sends
 * "ping", half-closes, and prints the reply; or prints "connect: ENAME".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, argv[1], &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(atoi(argv[2]));
    len = sizeof *a4;
  } else if (inet_pton(AF_INET6, argv[1], &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(atoi(argv[2]));
    len = sizeof *a6;
  } else return 2;
  int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
    printf("connect: %s\n", strerrorname_np(errno));
    return 1;
  }
  if (write(fd, "ping", 4) != 4 || shutdown(fd, SHUT_WR) != 0) return 3;
  char buf[256];
  int n = 0, r;
  while (n < (int)sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
  buf[n] = 0;
  printf("reply: %s\n", buf);
  return 0;
}
