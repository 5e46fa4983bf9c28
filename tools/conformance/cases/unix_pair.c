/* AF_UNIX socketpair: ping-pong between processes, stream and datagram
 * boundaries, SEQPACKET, MSG_PEEK/MSG_TRUNC/MSG_DONTWAIT/MSG_WAITALL,
 * shutdown, SIGPIPE and MSG_NOSIGNAL, options, fstat and poll. */
#include "tproc.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static int got_pipe;
static void on_pipe(int s) { (void)s; got_pipe++; }

static int opt(int fd, int name) {
  int v = -7;
  socklen_t l = sizeof v;
  if (getsockopt(fd, SOL_SOCKET, name, &v, &l) < 0) return -errno;
  return v;
}

static void pingpong(void) {
  int sv[2];
  TOK("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    char b[16];
    for (int i = 0; i < 100; i++) {
      if (read(sv[1], b, 4) != 4) _exit(1);
      b[0] = 'o';
      if (write(sv[1], b, 4) != 4) _exit(2);
    }
    _exit(0);
  }
  close(sv[1]);
  int ok = 0;
  for (int i = 0; i < 100; i++) {
    char b[4] = {'p', 'i', 'n', 'g'};
    if (write(sv[0], b, 4) != 4) break;
    if (read(sv[0], b, 4) != 4 || memcmp(b, "oing", 4) != 0) break;
    ok++;
  }
  T("pingpong rounds", ok);
  t_reap("child", pid);
  char c;
  T("read after peer exit", read(sv[0], &c, 1));
  close(sv[0]);
}

static void stream(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  T("send abc", send(sv[0], "abc", 3, 0));
  T("send defg", send(sv[0], "defg", 4, 0));
  char b[32] = {0};
  int inq = -1;
  T("FIONREAD", ioctl(sv[1], FIONREAD, &inq));
  T("FIONREAD bytes", inq);
  char link[64] = {0}, path[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", sv[0]);
  T("readlink fd", readlink(path, link, sizeof link - 1) > 0 ? 0 : -1);
  printf("link: %.8s\n", link);
  T("peek 2", recv(sv[1], b, 2, MSG_PEEK));
  T("recv all (crosses sends)", recv(sv[1], b, sizeof b, 0));
  printf("data: %.7s\n", b);
  T("recv empty dontwait", recv(sv[1], b, 1, MSG_DONTWAIT));
  T("FIONREAD-free: SO_TYPE", opt(sv[0], SO_TYPE));
  T("SO_DOMAIN", opt(sv[0], SO_DOMAIN));
  T("SO_ACCEPTCONN", opt(sv[0], SO_ACCEPTCONN));
  T("SO_ERROR", opt(sv[0], SO_ERROR));
  struct ucred uc;
  socklen_t l = sizeof uc;
  TOK("SO_PEERCRED", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &l));
  REL("peercred is me", uc.pid == getpid() && uc.uid == getuid() && l == sizeof uc);
  struct stat st;
  fstat(sv[0], &st);
  REL("S_ISSOCK", S_ISSOCK(st.st_mode));
  struct pollfd p = {sv[1], POLLIN | POLLOUT, 0};
  T("poll writable", poll(&p, 1, 0));
  printf("revents %#x\n", p.revents);
  T("shutdown bad how", shutdown(sv[0], 7));
  T("shutdown WR", shutdown(sv[0], SHUT_WR));
  T("read EOF", read(sv[1], b, 1));
  p.revents = 0;
  poll(&p, 1, 0);
  printf("revents after shut %#x\n", p.revents);
  signal(SIGPIPE, on_pipe);
  T("send after SHUT_WR", send(sv[0], "x", 1, 0));
  T("sigpipe count", got_pipe);
  T("send NOSIGNAL", send(sv[0], "x", 1, MSG_NOSIGNAL));
  T("sigpipe count", got_pipe);
  close(sv[0]);
  T("write to closed peer", write(sv[1], "x", 1));
  T("sigpipe count", got_pipe);
  close(sv[1]);
}

static void waitall(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 5; i++) {
      usleep(2000);
      if (write(sv[1], "12", 2) != 2) _exit(1);
    }
    _exit(0);
  }
  char b[10];
  T("recv WAITALL 10", recv(sv[0], b, 10, MSG_WAITALL));
  t_reap("writer", pid);
  close(sv[0]);
  close(sv[1]);
}

static void dgram(int type, const char *name) {
  int sv[2];
  printf("-- %s\n", name);
  T("socketpair", socketpair(AF_UNIX, type, 0, sv));
  T("send 5", send(sv[0], "hello", 5, 0));
  T("send 3", send(sv[0], "abc", 3, 0));
  T("send 0", send(sv[0], "", 0, 0));
  char b[16] = {0};
  T("recv 2 of 5 (truncated)", recv(sv[1], b, 2, 0));
  T("recv next whole", recv(sv[1], b, sizeof b, 0));
  T("recv empty datagram", recv(sv[1], b, sizeof b, MSG_DONTWAIT));
  T("send 4", send(sv[0], "wxyz", 4, 0));
  T("MSG_TRUNC real length", recv(sv[1], b, 1, MSG_TRUNC | MSG_PEEK));
  struct iovec iov = {b, 2};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  T("recvmsg 2 of 4", recvmsg(sv[1], &mh, 0));
  REL("msg_flags MSG_TRUNC", mh.msg_flags & MSG_TRUNC);
  T("recv empty nonblock", recv(sv[1], b, 1, MSG_DONTWAIT));
  T("SO_TYPE", opt(sv[1], SO_TYPE));
  T("sendto with address on pair", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&(struct sockaddr_un){AF_UNIX, "nowhere"}, sizeof(struct sockaddr_un)));
  T("shutdown RD", shutdown(sv[1], SHUT_RD));
  T("recv after SHUT_RD", recv(sv[1], b, 1, MSG_DONTWAIT));
  close(sv[1]);
  T("send to closed peer", send(sv[0], "x", 1, MSG_NOSIGNAL));
  close(sv[0]);
}

static void limits(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
  static char big[65536];
  long total = 0;
  ssize_t n;
  while ((n = send(sv[0], big, sizeof big, 0)) > 0) total += n;
  printf("fill ends: %s\n", ename(errno));
  REL("stream buffer bounded", total > 0 && total < 8 << 20);
  struct pollfd p = {sv[0], POLLOUT, 0};
  T("poll full", poll(&p, 1, 0));
  long got = 0;
  while ((n = recv(sv[1], big, sizeof big, 0)) > 0) got += n;
  REL("all bytes come back", got == total);
  T("poll drained", poll(&p, 1, 0));
  int v = 4096;
  TOK("SO_SNDBUF set", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
  T("SO_SNDBUF doubled", opt(sv[0], SO_SNDBUF));
  v = 0;
  T("SO_SNDBUF short optlen", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, 2));
  T("unknown option", setsockopt(sv[0], SOL_SOCKET, 9999, &v, sizeof v));
  T("unknown level", setsockopt(sv[0], 12345, 1, &v, sizeof v));
  close(sv[0]);
  close(sv[1]);
  int d[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
  T("datagram larger than sndbuf", send(d[0], big, sizeof big, 0) < 0 ? -1 : 0);
  printf("errno %s\n", ename(errno));
  close(d[0]);
  close(d[1]);
}

int main(void) {
  t_unbuffered();
  pingpong();
  stream();
  waitall();
  dgram(SOCK_DGRAM, "dgram");
  dgram(SOCK_SEQPACKET, "seqpacket");
  limits();
  T("socket bad family", socket(99, SOCK_STREAM, 0));
  T("socket bad type", socket(AF_UNIX, 77, 0));
  T("socket bad type unix", socket(AF_UNIX, SOCK_RDM, 0));
  T("socket bad protocol", socket(AF_UNIX, SOCK_STREAM, 5));
  T("socket bad flags", socket(AF_UNIX, SOCK_STREAM | 0x100000, 0));
  T("socketpair no pair family", socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){0}));
  T("listen on non-socket", listen(1, 5));
  T("accept bad fd", accept(999, NULL, NULL));
  return 0;
}
