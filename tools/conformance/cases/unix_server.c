/* AF_UNIX servers: bind to a path (a socket inode) and to abstract names,
 * listen/accept/connect with a backlog, forked clients, a descriptor passed
 * with SCM_RIGHTS, SCM_CREDENTIALS, datagram sockets by name, and the errno
 * cases of bind/connect/accept/listen. */
#include "tproc.h"
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static socklen_t addr_of(struct sockaddr_un *a, const char *path, int abstract) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (abstract) {
    memcpy(a->sun_path + 1, path, strlen(path));
    return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
  }
  strcpy(a->sun_path, path);
  return sizeof *a;
}

static int send_fd(int s, int fd, const char *text) {
  char ctl[CMSG_SPACE(sizeof(int))];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {(void *)text, strlen(text)};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(s, &m, 0);
}

/* Receives text and at most one descriptor; returns the descriptor or -1. */
static int recv_fd(int s, char *buf, size_t len, int *flags) {
  char ctl[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {buf, len};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
  if (n < 0) return -2;
  buf[n] = 0;
  *flags = m.msg_flags;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static void path_server(void) {
  struct sockaddr_un a;
  socklen_t al = addr_of(&a, "srv.sock", 0);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  T("listen unbound", listen(l, 1));
  T("bind", bind(l, (struct sockaddr *)&a, al));
  T("bind again", bind(l, (struct sockaddr *)&a, al));
  struct stat st;
  T("stat socket inode", stat("srv.sock", &st));
  REL("S_ISSOCK", S_ISSOCK(st.st_mode));
  int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
  T("bind existing path", bind(l2, (struct sockaddr *)&a, al));
  T("connect to non-listener", connect(l2, (struct sockaddr *)&a, al));
  T("accept before listen", accept(l, NULL, NULL));
  T("listen", listen(l, 2));
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  T("getsockname", getsockname(l, (struct sockaddr *)&got, &gl));
  printf("name %s len %d\n", got.sun_path, (int)gl);
  int pipefd[2];
  pipe(pipefd);
  write(pipefd[1], "through the pipe", 16);
  close(pipefd[1]);
  for (int i = 0; i < 3; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      int c = socket(AF_UNIX, SOCK_STREAM, 0);
      if (connect(c, (struct sockaddr *)&a, al) < 0) _exit(10);
      char b[64];
      int fl = 0;
      int fd = recv_fd(c, b, sizeof b - 1, &fl);
      if (i == 0) {
        if (fd < 0) _exit(11);
        if (fcntl(fd, F_GETFD) != FD_CLOEXEC) _exit(12);
        char d[32] = {0};
        if (read(fd, d, sizeof d) != 16 || strcmp(d, "through the pipe") != 0) _exit(13);
      }
      if (write(c, b, strlen(b)) < 0) _exit(14);
      _exit(0);
    }
    int s = accept(l, NULL, NULL);
    if (s < 0) printf("accept %d: %s\n", i, ename(errno));
    gl = sizeof got;
    getsockname(s, (struct sockaddr *)&got, &gl);
    printf("accepted %d: local %s\n", i, got.sun_path);
    gl = sizeof got;
    getpeername(s, (struct sockaddr *)&got, &gl);
    printf("peer name len %d\n", (int)gl);
    struct ucred uc;
    socklen_t ul = sizeof uc;
    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
    REL("peer pid is the child", uc.pid == pid);
    if (i == 0) T("send fd", send_fd(s, pipefd[0], "one"));
    else T("send text", send(s, i == 1 ? "two" : "three", i == 1 ? 3 : 5, 0));
    char b[16] = {0};
    T("echo", read(s, b, sizeof b));
    printf("echo: %s\n", b);
    t_reap("client", pid);
    close(s);
  }
  close(pipefd[0]);
  close(l);
  T("connect after close", connect(l2, (struct sockaddr *)&a, al));
  T("unlink", unlink("srv.sock"));
  T("connect after unlink", connect(l2, (struct sockaddr *)&a, al));
  close(l2);
}

static void backlog(void) {
  struct sockaddr_un a;
  socklen_t al = addr_of(&a, "tsv-backlog-test", 1);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  T("bind abstract", bind(l, (struct sockaddr *)&a, al));
  int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
  T("bind abstract in use", bind(l2, (struct sockaddr *)&a, al));
  close(l2);
  T("listen 1", listen(l, 1));
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  getsockname(l, (struct sockaddr *)&got, &gl);
  REL("abstract name back", gl == al && got.sun_path[0] == 0 && memcmp(got.sun_path + 1, "tsv-backlog-test", 16) == 0);
  int c[4];
  for (int i = 0; i < 4; i++) {
    c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    printf("connect %d: ", i);
    T("", connect(c[i], (struct sockaddr *)&a, al));
  }
  struct pollfd p = {l, POLLIN, 0};
  T("listener readable", poll(&p, 1, 0));
  int s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  REL("accept4 flags", (fcntl(s, F_GETFL) & O_NONBLOCK) && fcntl(s, F_GETFD) == FD_CLOEXEC);
  T("accept4 bad flags", accept4(l, NULL, NULL, 0x1));
  T("connect after accept", connect(c[3], (struct sockaddr *)&a, al));
  T("write before accept", write(c[0], "x", 1));
  T("SO_ACCEPTCONN", ({int v; socklen_t vl = sizeof v; getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl); v;}));
  close(l);
  char b;
  T("pending client reads after listener closed", read(c[1], &b, 1));
  for (int i = 0; i < 4; i++) close(c[i]);
  close(s);
  int x = socket(AF_UNIX, SOCK_STREAM, 0);
  T("connect to gone abstract", connect(x, (struct sockaddr *)&a, al));
  T("listen backlog 2^31", ({struct sockaddr_un z; socklen_t zl = addr_of(&z, "tsv-big", 1); bind(x, (struct sockaddr *)&z, zl); listen(x, (int)0x80000000u);}));
  close(x);
}

static void dgram_names(void) {
  struct sockaddr_un a, b;
  socklen_t al = addr_of(&a, "d1.sock", 0), bl = addr_of(&b, "d2.sock", 0);
  int s1 = socket(AF_UNIX, SOCK_DGRAM, 0), s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
  T("bind d1", bind(s1, (struct sockaddr *)&a, al));
  T("bind d2", bind(s2, (struct sockaddr *)&b, bl));
  T("send unconnected", send(s2, "x", 1, 0));
  T("sendto d1", sendto(s2, "hello", 5, 0, (struct sockaddr *)&a, al));
  struct sockaddr_un from;
  socklen_t fl = sizeof from;
  char buf[16] = {0};
  T("recvfrom", recvfrom(s1, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
  printf("from %s len %d\n", from.sun_path, (int)fl);
  int s3 = socket(AF_UNIX, SOCK_DGRAM, 0);
  T("connect s3 to d1", connect(s3, (struct sockaddr *)&a, al));
  T("send s3", send(s3, "q", 1, 0));
  fl = sizeof from;
  T("recvfrom unbound sender", recvfrom(s1, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
  printf("unbound from len %d\n", (int)fl);
  T("connect s1 to d2", connect(s1, (struct sockaddr *)&b, bl));
  T("send from s3 to a connected socket", send(s3, "q", 1, 0));
  int st = socket(AF_UNIX, SOCK_STREAM, 0);
  T("sendto stream type mismatch", sendto(st, "x", 1, 0, (struct sockaddr *)&a, al));
  T("connect stream to dgram", connect(st, (struct sockaddr *)&a, al));
  int fd = open("plain", O_CREAT | O_WRONLY, 0644);
  close(fd);
  struct sockaddr_un pl;
  socklen_t pll = addr_of(&pl, "plain", 0);
  T("connect to a regular file", connect(st, (struct sockaddr *)&pl, pll));
  pll = addr_of(&pl, "missing/x", 0);
  T("bind in missing dir", bind(st, (struct sockaddr *)&pl, pll));
  T("bind short len", bind(st, (struct sockaddr *)&pl, 1));
  T("bind huge len", bind(st, (struct sockaddr *)&pl, 200));
  pl.sun_family = AF_INET;
  T("bind wrong family", bind(st, (struct sockaddr *)&pl, sizeof pl));
  struct sockaddr_un au;
  memset(&au, 0, sizeof au);
  au.sun_family = AF_UNIX;
  T("autobind", bind(st, (struct sockaddr *)&au, sizeof(sa_family_t)));
  fl = sizeof from;
  getsockname(st, (struct sockaddr *)&from, &fl);
  REL("autobind name", fl == 8 && from.sun_path[0] == 0);
  close(st);
  close(s1);
  close(s2);
  close(s3);
  unlink("d1.sock");
  unlink("d2.sock");
}

static void creds(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  int on = 1;
  TOK("SO_PASSCRED", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  send(sv[0], "c", 1, 0);
  char ctl[CMSG_SPACE(sizeof(struct ucred))];
  char b[4];
  struct iovec iov = {b, sizeof b};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  T("recvmsg", recvmsg(sv[1], &m, 0));
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  REL("SCM_CREDENTIALS", c && c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred)));
  struct ucred uc;
  memcpy(&uc, CMSG_DATA(c), sizeof uc);
  REL("creds are mine", uc.pid == getpid() && uc.uid == getuid() && uc.gid == getgid());
  /* Explicit credentials of our own. */
  struct ucred mine = {getpid(), getuid(), getgid()};
  char sctl[CMSG_SPACE(sizeof mine)];
  memset(sctl, 0, sizeof sctl);
  struct msghdr sm = {0};
  struct iovec siov = {"d", 1};
  sm.msg_iov = &siov;
  sm.msg_iovlen = 1;
  sm.msg_control = sctl;
  sm.msg_controllen = sizeof sctl;
  c = CMSG_FIRSTHDR(&sm);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof mine);
  memcpy(CMSG_DATA(c), &mine, sizeof mine);
  T("sendmsg SCM_CREDENTIALS", sendmsg(sv[0], &sm, 0));
  c->cmsg_len = CMSG_LEN(sizeof mine) - 1;
  T("sendmsg short SCM_CREDENTIALS", sendmsg(sv[0], &sm, 0));
  c->cmsg_len = sizeof sctl + 8;
  T("sendmsg cmsg_len past control", sendmsg(sv[0], &sm, 0));
  c->cmsg_len = CMSG_LEN(sizeof mine);
  c->cmsg_type = 77;
  T("sendmsg unknown SOL_SOCKET cmsg", sendmsg(sv[0], &sm, 0));
  /* Rights: a bad descriptor, then a short control buffer on receipt. */
  T("send_fd bad fd", send_fd(sv[0], 999, "e"));
  T("send_fd ok", send_fd(sv[0], 1, "f"));
  m.msg_controllen = 0;
  on = 0;
  setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  recvmsg(sv[1], &m, 0); /* the credentials message sent above */
  m.msg_control = NULL;
  m.msg_controllen = 0;
  T("recvmsg rights without control", recvmsg(sv[1], &m, 0));
  REL("MSG_CTRUNC", m.msg_flags & MSG_CTRUNC);
  close(sv[0]);
  close(sv[1]);
}

int main(void) {
  t_unbuffered();
  path_server();
  backlog();
  dgram_names();
  creds();
  return 0;
}
