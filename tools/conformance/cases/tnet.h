/*
 * Helpers for the inet_* cases: loopback listeners on a port the kernel
 * picks (never a fixed port: natively the host's loopback is shared), and
 * the port of a socket, which a case compares but never prints.
 */
#ifndef TSV_CONFORMANCE_TNET_H
#define TSV_CONFORMANCE_TNET_H
#include "t.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static T_UNUSED struct sockaddr_in t_in4(const char *ip, int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

static T_UNUSED struct sockaddr_in6 t_in6(const char *ip, int port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return a;
}

/* The local port of `fd` (getsockname), or -1. */
static T_UNUSED int t_port(int fd) {
  struct sockaddr_storage s;
  socklen_t len = sizeof s;
  if (getsockname(fd, (struct sockaddr *)&s, &len) != 0) return -1;
  return ntohs(s.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&s)->sin6_port : ((struct sockaddr_in *)&s)->sin_port);
}

/* A socket of `type` bound to 127.0.0.1 on a port the kernel picks (listening when TCP); ends the case on failure. */
static T_UNUSED int t_bound4(int type) {
  int fd = socket(AF_INET, type, 0);
  struct sockaddr_in a = t_in4("127.0.0.1", 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || (type == SOCK_STREAM && listen(fd, 16) != 0)) {
    perror("listener");
    exit(90);
  }
  return fd;
}

/* A port of 127.0.0.1 nobody listens on: one the kernel handed out, then closed. */
static T_UNUSED int t_closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = t_in4("127.0.0.1", 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    perror("closed port");
    exit(90);
  }
  int port = t_port(fd);
  close(fd);
  return port;
}

/* connect to 127.0.0.1:port: 0 or -1 with errno. */
static T_UNUSED int t_connect4(int fd, int port) {
  struct sockaddr_in a = t_in4("127.0.0.1", port);
  return connect(fd, (struct sockaddr *)&a, sizeof a);
}

static T_UNUSED void t_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* Reads until `len` bytes or EOF (blocking socket): the count. */
static T_UNUSED long t_read_all(int fd, char *buf, long len) {
  long n = 0;
  while (n < len) {
    long r = read(fd, buf + n, len - n);
    if (r <= 0) return n > 0 ? n : r;
    n += r;
  }
  return n;
}
#endif
