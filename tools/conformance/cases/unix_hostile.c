/* AF_UNIX bad input: lying address lengths, unterminated and oversized
 * sun_path, SCM_RIGHTS with too many or bad descriptors, control headers
 * that overflow, a backlog of 2^31, bad pointers, and sockets bounded by
 * RLIMIT_NOFILE. Each gets Linux's errno. */
#include "tproc.h"
#include <fcntl.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

static ssize_t send_ctl(int s, void *ctl, size_t len) {
  struct iovec iov = {"x", 1};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = len;
  return sendmsg(s, &m, MSG_DONTWAIT);
}

static void drain(int s) {
  char b[8];
  while (recv(s, b, sizeof b, MSG_DONTWAIT) > 0) {}
}

static void addresses(void) {
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un a;
  memset(&a, 'a', sizeof a);
  a.sun_family = AF_UNIX;
  T("bind len -1", SC(SYS_bind, s, &a, -1L));
  T("bind len 129", bind(s, (struct sockaddr *)&a, 129));
  T("bind len 111", bind(s, (struct sockaddr *)&a, 111));
  T("bind NULL len 10", bind(s, NULL, 10));
  T("bind bad ptr", bind(s, (struct sockaddr *)8, 10));
  T("connect len 0", connect(s, (struct sockaddr *)&a, 0));
  T("connect len 1", connect(s, (struct sockaddr *)&a, 1));
  /* sun_path of 108 bytes with no NUL: a legal (long) path name. */
  T("connect unterminated 108", connect(s, (struct sockaddr *)&a, sizeof a));
  T("bind unterminated 108", bind(s, (struct sockaddr *)&a, sizeof a));
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  T("getsockname", getsockname(s, (struct sockaddr *)&got, &gl));
  T("getsockname len", gl);
  gl = 3;
  T("getsockname short", getsockname(s, (struct sockaddr *)&got, &gl));
  T("getsockname short len", gl);
  gl = -1;
  T("getsockname negative len", getsockname(s, (struct sockaddr *)&got, &gl));
  T("getsockname bad len ptr", getsockname(s, (struct sockaddr *)&got, (socklen_t *)8));
  T("getpeername unconnected", getpeername(s, (struct sockaddr *)&got, &gl));
  unlink(a.sun_path);
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  T("sendto len 200", sendto(s, "x", 1, 0, (struct sockaddr *)&a, 200));
  T("sendto bad buffer", sendto(s, (void *)8, 1, 0, NULL, 0));
  close(s);
}

static void rights(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  static char ctl[CMSG_SPACE(sizeof(int) * 3000)];
  struct cmsghdr *c = (struct cmsghdr *)ctl;
  int *fds = (int *)CMSG_DATA(c);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  for (int i = 0; i < 3000; i++) fds[i] = 0;
  c->cmsg_len = CMSG_LEN(sizeof(int) * 253);
  T("253 descriptors", send_ctl(sv[0], ctl, CMSG_SPACE(sizeof(int) * 253)));
  c->cmsg_len = CMSG_LEN(sizeof(int) * 254);
  T("254 descriptors", send_ctl(sv[0], ctl, CMSG_SPACE(sizeof(int) * 254)));
  c->cmsg_len = CMSG_LEN(sizeof(int) * 3000);
  T("3000 descriptors", send_ctl(sv[0], ctl, sizeof ctl));
  c->cmsg_len = CMSG_LEN(sizeof(int) * 2);
  fds[1] = 12345;
  T("bad descriptor", send_ctl(sv[0], ctl, CMSG_SPACE(sizeof(int) * 2)));
  fds[1] = -1;
  T("descriptor -1", send_ctl(sv[0], ctl, CMSG_SPACE(sizeof(int) * 2)));
  fds[1] = 0;
  c->cmsg_len = 8;
  T("cmsg_len below header", send_ctl(sv[0], ctl, 64));
  c->cmsg_len = 65;
  T("cmsg_len past controllen", send_ctl(sv[0], ctl, 64));
  c->cmsg_len = (size_t)-1;
  T("cmsg_len huge", send_ctl(sv[0], ctl, 64));
  T("controllen 8 (no header)", send_ctl(sv[0], ctl, 8));
  T("controllen 2^40", send_ctl(sv[0], ctl, 1UL << 40));
  T("control bad pointer", send_ctl(sv[0], (void *)8, 64));
  c->cmsg_len = CMSG_LEN(sizeof(int));
  /* A second header after a good one whose length overflows. */
  struct cmsghdr *c2 = (struct cmsghdr *)(ctl + CMSG_SPACE(sizeof(int)));
  c2->cmsg_len = 1000;
  c2->cmsg_level = SOL_SOCKET;
  c2->cmsg_type = SCM_RIGHTS;
  T("second header overflows", send_ctl(sv[0], ctl, CMSG_SPACE(sizeof(int)) + sizeof(struct cmsghdr)));
  drain(sv[1]);
  for (int i = 0; i < 3000; i++) fds[i] = 0;
  /* Receiving 253 descriptors into room for 2: the rest are closed, MSG_CTRUNC. */
  c->cmsg_len = CMSG_LEN(sizeof(int) * 253);
  T("send 253", send_ctl(sv[0], ctl, CMSG_SPACE(sizeof(int) * 253)));
  char rctl[CMSG_SPACE(sizeof(int) * 2)];
  char b[4];
  struct iovec iov = {b, sizeof b};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = rctl;
  m.msg_controllen = sizeof rctl;
  T("recv into room for 2", recvmsg(sv[1], &m, MSG_DONTWAIT));
  REL("MSG_CTRUNC", m.msg_flags & MSG_CTRUNC);
  struct cmsghdr *rc = CMSG_FIRSTHDR(&m);
  T("cmsg_len", rc ? (long)rc->cmsg_len : -1);
  int r0 = ((int *)CMSG_DATA(rc))[0], r1 = ((int *)CMSG_DATA(rc))[1];
  REL("2 new descriptors", fcntl(r0, F_GETFD) >= 0 && fcntl(r1, F_GETFD) >= 0 && fcntl(r1 + 1, F_GETFD) < 0);
  close(r0);
  close(r1);
  /* Many messages in flight, each with 253 descriptors: bounded by the sender's buffer. */
  int sent = 0;
  c->cmsg_len = CMSG_LEN(sizeof(int) * 253);
  while (send_ctl(sv[0], ctl, CMSG_SPACE(sizeof(int) * 253)) == 1) sent++;
  printf("in flight stops: %s\n", ename(errno));
  REL("some sent", sent > 0);
  close(sv[0]);
  close(sv[1]);
}

static void limits(void) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {AF_UNIX, "\0tsv-hostile-backlog"};
  socklen_t al = offsetof(struct sockaddr_un, sun_path) + 20;
  T("bind", bind(s, (struct sockaddr *)&a, al));
  T("listen 2^31", SC(SYS_listen, s, 0x80000000L));
  T("listen -1", listen(s, -1));
  close(s);
  struct rlimit rl = {64, 64};
  setrlimit(RLIMIT_NOFILE, &rl);
  int n = 0, sv[2];
  while (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) n += 2;
  printf("socketpair ends: %s\n", ename(errno));
  while (socket(AF_UNIX, SOCK_DGRAM, 0) >= 0) n++;
  printf("socket ends: %s\n", ename(errno));
  REL("bounded by RLIMIT_NOFILE", n > 50 && n <= 64);
  T("accept with no free descriptor", accept(3, NULL, NULL));
  T("socketpair bad pointer", ({ for (int fd = 10; fd < 20; fd++) close(fd); socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)8); }));
}

int main(void) {
  t_unbuffered();
  addresses();
  rights();
  limits();
  return 0;
}
