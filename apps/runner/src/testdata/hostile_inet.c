/*
 * Hostile uses of AF_INET sockets; the first argument picks one.
 *   sockaddr      address lengths that lie (0, short, one past, negative,
 *                 huge), a NULL address with a length, a family the socket
 *                 is not, result lengths that are too short or unreadable
 *   backlog       listen with backlogs of 2^31 - 1, -1 and INT_MIN: each
 *                 taken (capped at somaxconn), and connections still queue
 *   datagrams     UDP datagrams of the largest size (65507 bytes) and one
 *                 byte more (EMSGSIZE) at a receiver whose SO_RCVBUF is the
 *                 smallest: the first one arrives whole, the rest are
 *                 dropped; a short read truncates (MSG_TRUNC)
 *   connect-all   a connect to every port 1..65535 of 127.0.0.1 from one
 *                 socket: only our own listener's port answers (the
 *                 sandbox's loopback has nobody else on it)
 *   sockets N P   P processes make up to N / P TCP sockets each, until
 *                 socket() fails, and hold them all at once: prints how many
 *                 and why (EMFILE at RLIMIT_NOFILE, ENFILE at the memory
 *                 limit); once they end, a socket can be made again
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Prints the value of `expr`, or -1 and the errno's name. */
#define T(label, expr)                                                  \
  do {                                                                  \
    errno = 0;                                                          \
    long r_ = (long)(expr);                                             \
    if (r_ < 0) printf("%s: -1 %s\n", (label), strerrorname_np(errno)); \
    else printf("%s: %ld\n", (label), r_);                              \
  } while (0)

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  return a;
}

/* A TCP listener on 127.0.0.1 at a port the kernel picks; `a` gets its address. */
static int listener(struct sockaddr_in *a, int backlog) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t len = sizeof *a;
  *a = loopback(0);
  if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof *a) != 0 || listen(fd, backlog) != 0 ||
      getsockname(fd, (struct sockaddr *)a, &len) != 0) {
    perror("listener");
    exit(90);
  }
  return fd;
}

static void sockaddr_lies(void) {
  struct sockaddr_in a = loopback(0);
  struct sockaddr_storage big;
  memset(&big, 0, sizeof big);
  memcpy(&big, &a, sizeof a);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  T("bind len 0", bind(fd, (struct sockaddr *)&a, 0));
  T("bind len 2", bind(fd, (struct sockaddr *)&a, 2));
  T("bind len 15", bind(fd, (struct sockaddr *)&a, 15));
  T("bind len -1", bind(fd, (struct sockaddr *)&a, (socklen_t)-1));
  T("bind len 1<<20", bind(fd, (struct sockaddr *)&big, 1 << 20));
  T("bind NULL len 16", bind(fd, NULL, 16));
  T("bind len 128 (a whole sockaddr_storage)", bind(fd, (struct sockaddr *)&big, sizeof big));
  T("bind again", bind(fd, (struct sockaddr *)&a, sizeof a));
  struct sockaddr_in6 six = {.sin6_family = AF_INET6};
  int other = socket(AF_INET, SOCK_STREAM, 0);
  T("AF_INET6 address to an AF_INET socket", bind(other, (struct sockaddr *)&six, sizeof six));
  close(other);
  int v6 = socket(AF_INET6, SOCK_STREAM, 0);
  T("AF_INET6 len 23", bind(v6, (struct sockaddr *)&six, 23));
  close(v6);
  T("listen", listen(fd, 4));
  struct sockaddr_in got;
  socklen_t len = sizeof got;
  getsockname(fd, (struct sockaddr *)&got, &len);
  struct sockaddr_in to = loopback(ntohs(got.sin_port));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  T("connect len 15", connect(c, (struct sockaddr *)&to, 15));
  T("connect len -7", connect(c, (struct sockaddr *)&to, (socklen_t)-7));
  T("connect NULL", connect(c, NULL, sizeof to));
  T("connect", connect(c, (struct sockaddr *)&to, sizeof to));
  int s = accept(fd, NULL, NULL);
  len = 3;
  memset(&got, 0xaa, sizeof got);
  T("getsockname len 3", getsockname(c, (struct sockaddr *)&got, &len));
  printf("  len now %u, family byte kept %s\n", len, ((unsigned char *)&got)[0] == (AF_INET & 0xff) ? "yes" : "no");
  len = (socklen_t)-1;
  T("getpeername len -1", getpeername(c, (struct sockaddr *)&got, &len));
  T("getpeername to an unreadable length", getpeername(c, (struct sockaddr *)&got, (socklen_t *)8));
  T("getsockname to an unwritable address", getsockname(c, (struct sockaddr *)8, &(socklen_t){16}));
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  T("sendto len 15", sendto(u, "x", 1, 0, (struct sockaddr *)&to, 15));
  T("sendto len 1<<30", sendto(u, "x", 1, 0, (struct sockaddr *)&to, 1u << 30));
  T("sendto an unreadable address", sendto(u, "x", 1, 0, (struct sockaddr *)8, sizeof to));
  close(u);
  close(s);
  close(c);
  close(fd);
}

static void backlogs(void) {
  int values[] = {INT_MAX, -1, INT_MIN};
  for (int i = 0; i < 3; i++) {
    struct sockaddr_in a;
    int ls = listener(&a, values[i]);
    int made = 0;
    for (int k = 0; k < 8; k++) {
      int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      int r = connect(c, (struct sockaddr *)&a, sizeof a);
      if (r == 0 || errno == EINPROGRESS) made++;
    }
    int accepted = 0;
    for (int k = 0; k < made; k++) accepted += accept(ls, NULL, NULL) >= 0;
    printf("backlog %d: listen ok, %d connections made, %d accepted\n", values[i], made, accepted);
  }
}

static void datagrams(void) {
  int r = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1;
  struct sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  T("SO_RCVBUF 1", setsockopt(r, SOL_SOCKET, SO_RCVBUF, &one, sizeof one));
  bind(r, (struct sockaddr *)&a, sizeof a);
  getsockname(r, (struct sockaddr *)&a, &len);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  static char big[70000];
  memset(big, 'd', sizeof big);
  T("send 65508 bytes", sendto(s, big, 65508, 0, (struct sockaddr *)&a, sizeof a));
  T("send 1 MiB", sendto(s, big, 1 << 20, 0, (struct sockaddr *)&a, sizeof a));
  for (int i = 0; i < 4; i++) T("send 65507 bytes", sendto(s, big, 65507, 0, (struct sockaddr *)&a, sizeof a));
  static char in[70000];
  T("receive all of one", recv(r, in, sizeof in, MSG_DONTWAIT));
  T("another", recv(r, in, sizeof in, MSG_DONTWAIT));
  T("send 65507 bytes", sendto(s, big, 65507, 0, (struct sockaddr *)&a, sizeof a));
  T("receive 10 with MSG_TRUNC", recv(r, in, 10, MSG_DONTWAIT | MSG_TRUNC));
  T("nothing left", recv(r, in, sizeof in, MSG_DONTWAIT));
  close(r);
  close(s);
}

static void connect_all(void) {
  struct sockaddr_in own;
  int ls = listener(&own, 16);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  long refused = 0, connected = 0, other = 0;
  for (int port = 1; port <= 65535; port++) {
    struct sockaddr_in a = loopback(port);
    if (connect(c, (struct sockaddr *)&a, sizeof a) == 0) {
      connected += port == ntohs(own.sin_port);
      close(c);
      c = socket(AF_INET, SOCK_STREAM, 0);
    } else if (errno == ECONNREFUSED) {
      refused++;
    } else {
      other++;
    }
  }
  printf("connect to every port: %ld refused, %ld to our listener, %ld other\n", refused, connected, other);
  close(c);
  close(ls);
}

/* Makes up to `n` TCP sockets; returns how many, with the errno that stopped it in *why (0: none). */
static long make_sockets(long n, int *why) {
  long made = 0;
  *why = 0;
  while (made < n) {
    if (socket(AF_INET, SOCK_STREAM, 0) < 0) {
      *why = errno;
      break;
    }
    made++;
  }
  return made;
}

/*
 * `procs` processes make up to n / procs sockets each and hold them until
 * every one has reported. A child reports in memory shared with the parent
 * and made resident before the sockets fill the memory limit (a pipe write
 * would need a buffer page: ENOMEM by then), then closes its end of a pipe;
 * the parent's read of it ends once every child has.
 */
struct report {
  long made;
  long why;
};

static void sockets(long n, int procs) {
  struct report *res = mmap(NULL, sizeof *res * procs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int done[2], hold[2];
  if (res == MAP_FAILED || pipe(done) != 0 || pipe(hold) != 0) exit(91);
  memset(res, 0, sizeof *res * procs);
  for (int i = 0; i < procs; i++) {
    if (fork() == 0) {
      close(hold[1]);
      close(done[0]);
      int why;
      res[i].made = make_sockets(n / procs, &why);
      res[i].why = why;
      close(done[1]);
      char c;
      read(hold[0], &c, 1); /* until the parent lets go */
      _exit(0);
    }
  }
  close(hold[0]);
  close(done[1]);
  char c;
  read(done[0], &c, 1);
  long total = 0;
  int why = 0;
  for (int i = 0; i < procs; i++) {
    total += res[i].made;
    if (res[i].why) why = (int)res[i].why;
  }
  printf("%ld sockets held at once by %d processes, then %s\n", total, procs, why ? strerrorname_np(why) : "none");
  close(hold[1]);
  while (wait(NULL) > 0) {
  }
  int again = socket(AF_INET, SOCK_STREAM, 0);
  printf("after they ended: %s\n", again >= 0 ? "a socket again" : strerrorname_np(errno));
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "sockaddr") == 0) sockaddr_lies();
  else if (strcmp(mode, "backlog") == 0) backlogs();
  else if (strcmp(mode, "datagrams") == 0) datagrams();
  else if (strcmp(mode, "connect-all") == 0) connect_all();
  else if (strcmp(mode, "sockets") == 0 && argc > 3) sockets(atol(argv[2]), atoi(argv[3]));
  else return 2;
  return 0;
}
