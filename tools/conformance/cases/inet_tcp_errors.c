/*
 * TCP's errors and options on 127.0.0.1: connect to a closed port
 * (blocking: ECONNREFUSED; nonblocking: EINPROGRESS, then POLLOUT|POLLERR
 * and SO_ERROR ECONNREFUSED once), bind's EADDRINUSE, EINVAL and
 * EADDRNOTAVAIL with SO_REUSEADDR and SO_REUSEPORT, listen autobinding,
 * EISCONN, ENOTCONN, a close with unread data resetting the connection
 * (ECONNRESET, then EOF and EPIPE), SO_LINGER 0 resetting it too, EPIPE
 * with SIGPIPE unless MSG_NOSIGNAL, MSG_PEEK and MSG_DONTWAIT, and the
 * common options read back.
 */
#include "tnet.h"
#include <poll.h>

static int sigpipes;
static void on_pipe(int sig) { (void)sig; sigpipes++; }

static int opt(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (getsockopt(fd, level, name, &v, &len) != 0) return -1000 - errno;
  return v;
}

static int set(int fd, int level, int name, int v) { return setsockopt(fd, level, name, &v, sizeof v); }

static int bind4(int fd, const char *ip, int port) {
  struct sockaddr_in a = t_in4(ip, port);
  return bind(fd, (struct sockaddr *)&a, sizeof a);
}

/* A connected pair through `ls`: *c the client, *s the accepted end. */
static void pair(int ls, int *c, int *s) {
  *c = socket(AF_INET, SOCK_STREAM, 0);
  if (t_connect4(*c, t_port(ls)) != 0) perror("connect");
  *s = accept(ls, NULL, NULL);
}

static void refused(void) {
  int port = t_closed_port();
  int c = socket(AF_INET, SOCK_STREAM, 0);
  T("blocking connect to a closed port", t_connect4(c, port));
  T("SO_ERROR after it", opt(c, SOL_SOCKET, SO_ERROR));
  T("connect again", t_connect4(c, port));
  close(c);

  c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  T("nonblocking connect to a closed port", t_connect4(c, port));
  struct pollfd p = {.fd = c, .events = POLLIN | POLLOUT};
  T("poll", poll(&p, 1, 5000));
  printf("revents: %#x\n", p.revents);
  T("SO_ERROR", opt(c, SOL_SOCKET, SO_ERROR));
  T("SO_ERROR again", opt(c, SOL_SOCKET, SO_ERROR));
  close(c);
}

static void binds(void) {
  int a = socket(AF_INET, SOCK_STREAM, 0), b = socket(AF_INET, SOCK_STREAM, 0);
  T("bind", bind4(a, "127.0.0.1", 0));
  int port = t_port(a);
  REL("kernel-picked port is ephemeral", port >= 32768 && port <= 60999);
  T("bind the same socket again", bind4(a, "127.0.0.1", 0));
  T("bind the same port", bind4(b, "127.0.0.1", port));
  T("bind 0.0.0.0 on that port", bind4(b, "0.0.0.0", port));
  T("bind 127.0.0.2 on that port", bind4(b, "127.0.0.2", port));
  close(b);
  b = socket(AF_INET, SOCK_STREAM, 0);
  T("bind a non-local address", bind4(b, "192.0.2.1", 0));
  struct sockaddr_in sa = t_in4("127.0.0.1", 0);
  T("bind with a short length", bind(b, (struct sockaddr *)&sa, sizeof sa - 1));
  sa.sin_family = AF_UNIX;
  T("bind with another family", bind(b, (struct sockaddr *)&sa, sizeof sa));
  close(b);

  /* SO_REUSEADDR: two sockets share a port while neither listens; a listener keeps it. */
  int r1 = socket(AF_INET, SOCK_STREAM, 0), r2 = socket(AF_INET, SOCK_STREAM, 0);
  set(r1, SOL_SOCKET, SO_REUSEADDR, 1);
  set(r2, SOL_SOCKET, SO_REUSEADDR, 1);
  T("SO_REUSEADDR reads back", opt(r1, SOL_SOCKET, SO_REUSEADDR));
  T("reuseaddr bind", bind4(r1, "127.0.0.1", 0));
  T("reuseaddr bind the same port", bind4(r2, "127.0.0.1", t_port(r1)));
  T("listen on one", listen(r1, 4));
  T("listen on the other", listen(r2, 4));
  close(r2);
  r2 = socket(AF_INET, SOCK_STREAM, 0);
  set(r2, SOL_SOCKET, SO_REUSEADDR, 1);
  T("reuseaddr bind next to a listener", bind4(r2, "127.0.0.1", t_port(r1)));
  close(r1);
  close(r2);

  /* SO_REUSEPORT: both bind and listen. */
  int p1 = socket(AF_INET, SOCK_STREAM, 0), p2 = socket(AF_INET, SOCK_STREAM, 0);
  set(p1, SOL_SOCKET, SO_REUSEPORT, 1);
  set(p2, SOL_SOCKET, SO_REUSEPORT, 1);
  T("reuseport bind", bind4(p1, "127.0.0.1", 0));
  T("reuseport bind the same port", bind4(p2, "127.0.0.1", t_port(p1)));
  T("reuseport listen both", listen(p1, 4) | listen(p2, 4));
  close(p1);
  close(p2);

  /* A port is free again once its socket is closed (no connection ever). */
  close(a);
  b = socket(AF_INET, SOCK_STREAM, 0);
  T("bind a closed socket's port", bind4(b, "127.0.0.1", port));
  close(b);

  /* listen on an unbound socket picks an ephemeral port on 0.0.0.0. */
  int l = socket(AF_INET, SOCK_STREAM, 0);
  T("listen unbound", listen(l, 1));
  struct sockaddr_in name;
  socklen_t len = sizeof name;
  getsockname(l, (struct sockaddr *)&name, &len);
  REL("autobound to 0.0.0.0, ephemeral", name.sin_addr.s_addr == 0 && ntohs(name.sin_port) >= 32768);
  close(l);
}

static void states(int ls) {
  int u = socket(AF_INET, SOCK_STREAM, 0);
  T("shutdown unconnected", shutdown(u, SHUT_RDWR));
  T("accept on a non-listener", accept(u, NULL, NULL));
  char b[16];
  T("read unconnected", read(u, b, 1));
  T("write unconnected", send(u, "x", 1, MSG_NOSIGNAL));
  struct sockaddr_in n;
  socklen_t len = sizeof n;
  T("getpeername unconnected", getpeername(u, (struct sockaddr *)&n, &len));
  len = sizeof n;
  T("getsockname unbound", getsockname(u, (struct sockaddr *)&n, &len));
  printf("  family %d port %d addr %#x len %u\n", n.sin_family, ntohs(n.sin_port), ntohl(n.sin_addr.s_addr), len);
  close(u);

  int c, s;
  pair(ls, &c, &s);
  T("connect a connected socket", t_connect4(c, t_port(ls)));
  T("recv MSG_DONTWAIT on empty", recv(c, b, sizeof b, MSG_DONTWAIT));
  write(s, "peek", 4);
  T("recv MSG_PEEK", recv(c, b, sizeof b, MSG_PEEK));
  T("recv after the peek", recv(c, b, sizeof b, 0));
  T("shutdown bad how", shutdown(c, 3));
  T("shutdown SHUT_RD", shutdown(c, SHUT_RD));
  T("read after SHUT_RD", read(c, b, 1));
  close(c);
  close(s);
}

static void resets(int ls) {
  int c, s;
  char b[16];
  /* A close with unread data: the peer gets ECONNRESET, then EOF, then EPIPE. */
  pair(ls, &c, &s);
  write(c, "unread", 6);
  usleep(10000);
  close(s);
  struct pollfd p = {.fd = c, .events = POLLIN | POLLOUT | POLLRDHUP};
  poll(&p, 1, 5000);
  printf("after the reset, revents: %#x\n", p.revents);
  T("SO_ERROR is ECONNRESET", opt(c, SOL_SOCKET, SO_ERROR) == ECONNRESET);
  close(c);

  pair(ls, &c, &s);
  write(c, "unread", 6);
  usleep(10000);
  close(s);
  T("read after the reset", read(c, b, sizeof b));
  T("read again", read(c, b, sizeof b));
  T("write after the reset", send(c, "x", 1, MSG_NOSIGNAL));
  close(c);

  /* SO_LINGER {1, 0}: close resets even without unread data. */
  pair(ls, &c, &s);
  struct linger lg = {1, 0};
  T("SO_LINGER", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  socklen_t len = sizeof lg;
  memset(&lg, 0, sizeof lg);
  getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len);
  printf("  linger %d %d\n", lg.l_onoff, lg.l_linger);
  close(s);
  T("read after a linger-0 close", read(c, b, sizeof b));
  close(c);

  /* An orderly close: the first write is taken (the peer answers it with a reset), the next is EPIPE. */
  pair(ls, &c, &s);
  close(s);
  T("read EOF", read(c, b, sizeof b));
  T("first write after the peer closed", write(c, "x", 1));
  usleep(10000);
  T("second write, MSG_NOSIGNAL", send(c, "x", 1, MSG_NOSIGNAL));
  T("SIGPIPEs so far", sigpipes);
  T("write", write(c, "x", 1));
  T("SIGPIPEs", sigpipes);
  close(c);
}

static void options(int ls) {
  int c, s;
  pair(ls, &c, &s);
  T("SO_TYPE", opt(c, SOL_SOCKET, SO_TYPE));
  T("SO_DOMAIN", opt(c, SOL_SOCKET, SO_DOMAIN));
  T("SO_PROTOCOL", opt(c, SOL_SOCKET, SO_PROTOCOL));
  T("SO_ACCEPTCONN", opt(c, SOL_SOCKET, SO_ACCEPTCONN));
  T("TCP_NODELAY default", opt(c, IPPROTO_TCP, TCP_NODELAY));
  T("set TCP_NODELAY", set(c, IPPROTO_TCP, TCP_NODELAY, 1));
  T("TCP_NODELAY", opt(c, IPPROTO_TCP, TCP_NODELAY));
  T("SO_KEEPALIVE default", opt(c, SOL_SOCKET, SO_KEEPALIVE));
  T("set SO_KEEPALIVE", set(c, SOL_SOCKET, SO_KEEPALIVE, 1));
  T("SO_KEEPALIVE", opt(c, SOL_SOCKET, SO_KEEPALIVE));
  T("set TCP_KEEPIDLE", set(c, IPPROTO_TCP, TCP_KEEPIDLE, 60));
  T("TCP_KEEPIDLE", opt(c, IPPROTO_TCP, TCP_KEEPIDLE));
  T("set TCP_KEEPIDLE 0", set(c, IPPROTO_TCP, TCP_KEEPIDLE, 0));
  T("set SO_RCVBUF 65536", set(c, SOL_SOCKET, SO_RCVBUF, 65536));
  T("SO_RCVBUF doubled", opt(c, SOL_SOCKET, SO_RCVBUF));
  T("set SO_SNDBUF 65536", set(c, SOL_SOCKET, SO_SNDBUF, 65536));
  T("SO_SNDBUF doubled", opt(c, SOL_SOCKET, SO_SNDBUF));
  T("set SO_SNDBUF 1", set(c, SOL_SOCKET, SO_SNDBUF, 1));
  T("SO_SNDBUF minimum", opt(c, SOL_SOCKET, SO_SNDBUF));
  T("set TCP_NODELAY short length", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, "", 1));
  T("unknown SOL_SOCKET option", set(c, SOL_SOCKET, 9999, 1));
  T("unknown TCP option", set(c, IPPROTO_TCP, 9999, 1));
  T("bad level", set(c, 9999, 1, 1));
  T("getsockopt bad length", ({ int v; socklen_t l = (socklen_t)-1; getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &l); }));
  T("SO_REUSEADDR default", opt(c, SOL_SOCKET, SO_REUSEADDR));
  T("IP_TTL", opt(c, IPPROTO_IP, IP_TTL));
  T("IP_TOS", opt(c, IPPROTO_IP, IP_TOS));
  close(c);
  close(s);
}

int main(void) {
  signal(SIGPIPE, on_pipe);
  refused();
  binds();
  int ls = t_bound4(SOCK_STREAM);
  states(ls);
  resets(ls);
  options(ls);
  close(ls);
  return 0;
}
