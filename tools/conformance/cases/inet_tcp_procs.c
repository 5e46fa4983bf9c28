/*
 * TCP between two processes on 127.0.0.1: a forked client connects to the
 * parent's listener (blocking), both sides' names agree (getsockname of one
 * is getpeername of the other; the client's port is in the ephemeral range),
 * lines are echoed, the client's shutdown(SHUT_WR) makes the server read
 * EOF while it can still write, and a listen backlog keeps connections that
 * are not accepted yet.
 */
#include "tnet.h"
#include "tproc.h"

static int same_addr(struct sockaddr_in *a, struct sockaddr_in *b) {
  return a->sin_family == b->sin_family && a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

static int client(int port) {
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (t_connect4(c, port) != 0) return 10;
  const char *lines[] = {"hello\n", "second line\n", "the end\n"};
  char buf[64];
  for (int i = 0; i < 3; i++) {
    long len = strlen(lines[i]);
    if (write(c, lines[i], len) != len) return 11;
    if (t_read_all(c, buf, len) != len || memcmp(buf, lines[i], len) != 0) return 12;
  }
  if (shutdown(c, SHUT_WR) != 0) return 13;
  /* After the half-close the server still writes; then it closes. */
  long n = t_read_all(c, buf, sizeof buf);
  if (n != 4 || memcmp(buf, "bye\n", 4) != 0) return 14;
  if (read(c, buf, 1) != 0) return 15;
  errno = 0;
  if (write(c, "x", 1) != -1 || errno != EPIPE) return 16; /* SIGPIPE is ignored in the child */
  return 0;
}

int main(void) {
  t_unbuffered();
  int ls = t_bound4(SOCK_STREAM);
  int port = t_port(ls);

  pid_t pid = t_fork();
  if (pid == 0) {
    signal(SIGPIPE, SIG_IGN);
    _exit(client(port));
  }
  struct sockaddr_in peer, local, cl;
  socklen_t len = sizeof peer;
  int s = accept(ls, (struct sockaddr *)&peer, &len);
  T("accept returned an address of length", len);
  REL("peer is 127.0.0.1", peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  int pp = ntohs(peer.sin_port);
  REL("peer port is ephemeral (32768..60999)", pp >= 32768 && pp <= 60999);
  len = sizeof local;
  getsockname(s, (struct sockaddr *)&local, &len);
  REL("accepted socket's name is the listener's port", ntohs(local.sin_port) == port);
  len = sizeof cl;
  T("getpeername", getpeername(s, (struct sockaddr *)&cl, &len));
  REL("getpeername == accept's address", same_addr(&cl, &peer));
  len = sizeof cl;
  T("getpeername of the listener", getpeername(ls, (struct sockaddr *)&cl, &len));

  char buf[256];
  long total = 0;
  for (;;) {
    long n = read(s, buf, sizeof buf);
    if (n < 0) printf("server read: %s\n", ename(errno));
    if (n <= 0) break;
    total += n;
    write(s, buf, n);
  }
  T("server read EOF after bytes", total);
  T("server writes after the peer's SHUT_WR", write(s, "bye\n", 4));
  close(s);
  t_reap("client", pid);

  /* A backlog: three connections complete before any is accepted. */
  int cs[3];
  for (int i = 0; i < 3; i++) {
    cs[i] = socket(AF_INET, SOCK_STREAM, 0);
    T("queued connect", t_connect4(cs[i], port));
  }
  for (int i = 0; i < 3; i++) {
    struct sockaddr_in a;
    socklen_t l = sizeof a;
    int fd = accept(ls, (struct sockaddr *)&a, &l);
    int mine = t_port(cs[i]);
    REL("accepted in connect order", fd >= 0 && ntohs(a.sin_port) == mine);
    close(fd);
    close(cs[i]);
  }
  T("getsockopt SO_ACCEPTCONN", ({ int v = -1; socklen_t l = sizeof v; getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &v, &l); v; }));
  close(ls);
  return 0;
}
