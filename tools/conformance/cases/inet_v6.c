/*
 * AF_INET6 on loopback: TCP and UDP on ::1, a dual-stack listener on ::
 * reached from AF_INET (the peer shows as ::ffff:127.0.0.1), IPV6_V6ONLY
 * refusing it, a v6 socket reaching a v4 listener through an IPv4-mapped
 * address, the v4/v6 port conflicts of bind, and sockaddr_in6 lengths.
 */
#include "tnet.h"

static const char *name6(struct sockaddr_in6 *a) {
  static char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
}

static void show(const char *label, int fd, int peer) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  socklen_t len = sizeof a;
  int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) : getsockname(fd, (struct sockaddr *)&a, &len);
  if (r != 0) printf("%s: -1 %s\n", label, ename(errno));
  else printf("%s: family %d len %u addr %s\n", label, a.sin6_family, len, a.sin6_family == AF_INET6 ? name6(&a) : "(v4)");
}

static int bind6(int fd, const char *ip, int port) {
  struct sockaddr_in6 a = t_in6(ip, port);
  return bind(fd, (struct sockaddr *)&a, sizeof a);
}

static int connect6(int fd, const char *ip, int port) {
  struct sockaddr_in6 a = t_in6(ip, port);
  return connect(fd, (struct sockaddr *)&a, sizeof a);
}

static int listener6(const char *ip, int v6only) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (v6only >= 0) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  if (bind6(fd, ip, 0) != 0 || listen(fd, 8) != 0) perror("listener6");
  return fd;
}

int main(void) {
  /* TCP on ::1. */
  int ls = listener6("::1", -1);
  int v = -1;
  socklen_t l = sizeof v;
  getsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l);
  T("IPV6_V6ONLY once bound to ::1", v);
  int fresh = socket(AF_INET6, SOCK_STREAM, 0);
  getsockopt(fresh, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l);
  T("IPV6_V6ONLY default", v);
  close(fresh);
  int c = socket(AF_INET6, SOCK_STREAM, 0);
  T("connect ::1", connect6(c, "::1", t_port(ls)));
  int s = accept(ls, NULL, NULL);
  show("client name", c, 0);
  show("client peer", c, 1);
  show("server peer", s, 1);
  T("send", write(c, "six", 3));
  char buf[16];
  T("recv", read(s, buf, sizeof buf));
  T("v4 connect to a ::1 listener", t_connect4(socket(AF_INET, SOCK_STREAM, 0), t_port(ls)));
  close(c);
  close(s);
  close(ls);

  /* A dual-stack listener on :: takes IPv4 clients. */
  ls = listener6("::", -1);
  c = socket(AF_INET, SOCK_STREAM, 0);
  T("v4 connect to a :: listener", t_connect4(c, t_port(ls)));
  s = accept(ls, NULL, NULL);
  show("its peer on the v6 side", s, 1);
  show("its name on the v6 side", s, 0);
  close(c);
  close(s);
  int v4 = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in any = t_in4("0.0.0.0", t_port(ls));
  T("v4 bind on the :: listener's port", bind(v4, (struct sockaddr *)&any, sizeof any));
  close(v4);
  close(ls);

  ls = listener6("::", 1);
  c = socket(AF_INET, SOCK_STREAM, 0);
  T("v4 connect to a V6ONLY listener", t_connect4(c, t_port(ls)));
  close(c);
  v4 = socket(AF_INET, SOCK_STREAM, 0);
  any = t_in4("0.0.0.0", t_port(ls));
  T("v4 bind next to a V6ONLY listener", bind(v4, (struct sockaddr *)&any, sizeof any));
  close(v4);
  close(ls);

  /* A v6 socket reaches a v4 listener through ::ffff:127.0.0.1. */
  int ls4 = t_bound4(SOCK_STREAM);
  c = socket(AF_INET6, SOCK_STREAM, 0);
  T("connect ::ffff:127.0.0.1", connect6(c, "::ffff:127.0.0.1", t_port(ls4)));
  show("its name", c, 0);
  struct sockaddr_in p4;
  socklen_t len = sizeof p4;
  s = accept(ls4, (struct sockaddr *)&p4, &len);
  T("the v4 side sees a v4 peer of length", len);
  close(c);
  close(s);
  c = socket(AF_INET6, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  T("V6ONLY connect to a mapped address", connect6(c, "::ffff:127.0.0.1", t_port(ls4)));
  close(c);
  close(ls4);

  /* sockaddr_in6 lengths and families. */
  c = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a6 = t_in6("::1", 0);
  T("bind with 23 bytes", bind(c, (struct sockaddr *)&a6, 23));
  struct sockaddr_in a4 = t_in4("127.0.0.1", 0);
  T("bind a sockaddr_in to a v6 socket", bind(c, (struct sockaddr *)&a4, sizeof a4));
  T("bind a non-local v6 address", bind6(c, "2001:db8::1", 0));
  T("bind ::ffff:127.0.0.1", bind6(c, "::ffff:127.0.0.1", 0));
  show("bound name", c, 0);
  close(c);

  /* UDP on ::1, and a v4 datagram reaching a v6 socket on ::. */
  int u = socket(AF_INET6, SOCK_DGRAM, 0);
  T("udp bind ::", bind6(u, "::", 0));
  int u1 = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 to = t_in6("::1", t_port(u));
  T("udp sendto ::1", sendto(u1, "v6 datagram", 11, 0, (struct sockaddr *)&to, sizeof to));
  struct sockaddr_in6 from;
  len = sizeof from;
  long n = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
  printf("udp got %ld from %s (len %u)\n", n, name6(&from), len);
  int u4 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to4 = t_in4("127.0.0.1", t_port(u));
  sendto(u4, "v4", 2, 0, (struct sockaddr *)&to4, sizeof to4);
  len = sizeof from;
  n = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
  printf("udp got %ld from %s (len %u)\n", n, name6(&from), len);
  close(u);
  close(u1);
  close(u4);
  return 0;
}
