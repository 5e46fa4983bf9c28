/*
 * UDP on 127.0.0.1: datagrams keep their boundaries (a zero-length one
 * too), a short buffer truncates (MSG_TRUNC in msg_flags, and as a recv
 * flag the full length), MSG_PEEK, the sender's ephemeral port seen by
 * recvfrom, connected UDP (send without an address, datagrams from others
 * filtered, ECONNREFUSED after a send to a closed port, AF_UNSPEC
 * disconnecting), EDESTADDRREQ, EMSGSIZE, and two processes exchanging
 * datagrams.
 */
#include "tnet.h"
#include "tproc.h"
#include <poll.h>

static int same4(struct sockaddr_in *a, int port) { return a->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(a->sin_port) == port; }

static void boundaries(int srv) {
  int c = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = t_in4("127.0.0.1", t_port(srv));
  T("sendto 5", sendto(c, "hello", 5, 0, (struct sockaddr *)&to, sizeof to));
  T("sendto 0", sendto(c, "", 0, 0, (struct sockaddr *)&to, sizeof to));
  char big[300];
  memset(big, 'b', sizeof big);
  T("sendto 300", sendto(c, big, sizeof big, 0, (struct sockaddr *)&to, sizeof to));
  REL("sender autobound to an ephemeral port", t_port(c) >= 32768);

  char buf[1024];
  struct sockaddr_in from;
  socklen_t len = sizeof from;
  T("recv MSG_PEEK", recv(srv, buf, sizeof buf, MSG_PEEK));
  T("recvfrom", recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &len));
  REL("from is the sender", len == sizeof from && same4(&from, t_port(c)));
  T("recv the empty datagram", recv(srv, buf, sizeof buf, 0));
  struct iovec iov = {buf, 10};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  T("recvmsg into 10 bytes", recvmsg(srv, &m, 0));
  printf("  msg_flags MSG_TRUNC: %d\n", (m.msg_flags & MSG_TRUNC) != 0);
  T("recv MSG_DONTWAIT on empty", recv(srv, buf, sizeof buf, MSG_DONTWAIT));
  sendto(c, big, sizeof big, 0, (struct sockaddr *)&to, sizeof to);
  T("recv with MSG_TRUNC gives the real length", recv(srv, buf, 4, MSG_TRUNC));

  T("send without an address", send(c, "x", 1, 0));
  static char huge[70000];
  T("sendto 65508 bytes", sendto(c, huge, 65508, 0, (struct sockaddr *)&to, sizeof to));
  T("sendto 65507 bytes", sendto(c, huge, 65507, 0, (struct sockaddr *)&to, sizeof to));
  T("recv it", recv(srv, huge, sizeof huge, 0));
  T("sendto a short address", sendto(c, "x", 1, 0, (struct sockaddr *)&to, sizeof to - 1));
  T("sendto a closed port, unconnected", sendto(c, "x", 1, 0, (struct sockaddr *)&(struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(t_closed_port()), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}, sizeof to));
  usleep(10000);
  T("recv on it: nothing", recv(c, buf, 1, MSG_DONTWAIT));
  close(c);
}

static void connected(int srv) {
  int c = socket(AF_INET, SOCK_DGRAM, 0), other = socket(AF_INET, SOCK_DGRAM, 0);
  T("connect", t_connect4(c, t_port(srv)));
  struct sockaddr_in peer;
  socklen_t len = sizeof peer;
  T("getpeername", getpeername(c, (struct sockaddr *)&peer, &len));
  REL("peer is the server", same4(&peer, t_port(srv)));
  T("send", send(c, "abc", 3, 0));
  char buf[64];
  struct sockaddr_in from;
  len = sizeof from;
  T("server recvfrom", recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &len));
  /* Datagrams to c from another socket are dropped; from its peer they arrive. */
  struct sockaddr_in to_c = t_in4("127.0.0.1", t_port(c));
  sendto(other, "stranger", 8, 0, (struct sockaddr *)&to_c, sizeof to_c);
  sendto(srv, "reply", 5, 0, (struct sockaddr *)&to_c, sizeof to_c);
  long n = recv(c, buf, sizeof buf, 0);
  printf("connected socket got: %.*s\n", (int)(n > 0 ? n : 0), buf);
  T("nothing else", recv(c, buf, sizeof buf, MSG_DONTWAIT));

  /* A send to a closed port comes back as ECONNREFUSED on a connected socket. */
  T("connect to a closed port", t_connect4(c, t_closed_port()));
  T("send to it", send(c, "x", 1, 0));
  usleep(10000);
  T("recv: the port was closed", recv(c, buf, sizeof buf, MSG_DONTWAIT));
  T("recv again", recv(c, buf, sizeof buf, MSG_DONTWAIT));

  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  T("connect AF_UNSPEC", connect(c, &unspec, sizeof unspec));
  len = sizeof peer;
  T("getpeername after it", getpeername(c, (struct sockaddr *)&peer, &len));
  T("send unconnected", send(c, "x", 1, 0));
  close(c);
  close(other);
}

static void processes(int srv) {
  pid_t pid = t_fork();
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    if (t_connect4(c, t_port(srv)) != 0) _exit(10);
    char buf[64];
    for (int i = 0; i < 3; i++) {
      int len = snprintf(buf, sizeof buf, "ping %d", i);
      if (send(c, buf, len, 0) != len) _exit(11);
      long n = recv(c, buf, sizeof buf, 0);
      if (n != len || memcmp(buf, "pong", 4) != 0) _exit(12);
    }
    _exit(0);
  }
  for (int i = 0; i < 3; i++) {
    char buf[64];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    long n = recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    printf("server got: %.*s\n", (int)(n > 0 ? n : 0), buf);
    memcpy(buf, "pong", 4);
    sendto(srv, buf, n, 0, (struct sockaddr *)&from, len);
  }
  t_reap("client", pid);
}

int main(void) {
  t_unbuffered();
  int srv = t_bound4(SOCK_DGRAM);
  boundaries(srv);
  connected(srv);
  processes(srv);
  int v = -1;
  socklen_t l = sizeof v;
  getsockopt(srv, SOL_SOCKET, SO_TYPE, &v, &l);
  T("SO_TYPE", v);
  getsockopt(srv, SOL_SOCKET, SO_PROTOCOL, &v, &l);
  T("SO_PROTOCOL", v);
  T("listen on UDP", listen(srv, 1));
  T("accept on UDP", accept(srv, NULL, NULL));
  T("shutdown unconnected UDP", shutdown(srv, SHUT_RDWR));
  close(srv);
  return 0;
}
