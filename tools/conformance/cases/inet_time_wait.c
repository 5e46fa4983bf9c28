/*
 * TCP TIME_WAIT on loopback: the end that closes first keeps its
 * connection's 4-tuple in TIME_WAIT (state 06 in /proc/net/tcp, timer 3,
 * uid and inode 0) once both ends closed, and holds its local port: a bind
 * there is EADDRINUSE unless both the closed socket and the new one set
 * SO_REUSEADDR. The end that closes second keeps nothing. A connection
 * reset instead (close with unread data) leaves no TIME_WAIT. (Between
 * the two closes Linux shows the first closer in FIN_WAIT2, 05, which tsv
 * does not: that moment is not printed.)
 */
#include "tnet.h"
#include <poll.h>
#include <time.h>

/* The /proc/net/tcp line of 127.0.0.1:local -> 127.0.0.1:remote, as "st S timer T uid U inode I"; waits up to 5 s for state `want`. */
static void show(const char *label, int local, int remote, int want) {
  char l[512], found[128] = "none";
  for (int tries = 0; tries < 500; tries++) {
    strcpy(found, "none");
    FILE *f = fopen("/proc/net/tcp", "r");
    if (f == NULL) return;
    while (fgets(l, sizeof l, f) != NULL) {
      unsigned la, lp, ra, rp, st, tr, uid;
      unsigned long when, ino;
      if (sscanf(l, " %*d: %x:%x %x:%x %x %*x:%*x %x:%lx %*x %u %*d %lu", &la, &lp, &ra, &rp, &st, &tr, &when, &uid, &ino) != 9) continue;
      if (la != 0x0100007F || ra != 0x0100007F || (int)lp != local || (int)rp != remote) continue;
      /* The time left is in clock ticks (100 a second): between 50 and 60 seconds just after. */
      snprintf(found, sizeof found, "st %02X timer %02X%s uid %u inode %lu", st, tr, tr == 3 ? (when > 5000 && when <= 6000 ? " (50-60 s left)" : " (?)") : "",
               uid, ino);
    }
    fclose(f);
    if (want == 0 || strncmp(found + 3, want == 6 ? "06" : "xx", 2) == 0) break;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  printf("%s: %s\n", label, found);
}

static void try_bind(const char *label, int port, int reuse, int then_listen) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (reuse) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  struct sockaddr_in a = t_in4("127.0.0.1", port);
  errno = 0;
  int r = bind(s, (struct sockaddr *)&a, sizeof a);
  printf("  %s%s: %d%s%s", label, reuse ? " with SO_REUSEADDR" : "", r, r ? " " : "", r ? ename(errno) : "");
  if (r == 0 && then_listen) printf(" listen %d", listen(s, 1));
  printf("\n");
  close(s);
}

/* A connection to a new listener (with SO_REUSEADDR on the listener and client when `reuse`); ports in *p (server) and *q (client). */
static void connection(int reuse, int *l, int *c, int *s, int *p, int *q) {
  *l = socket(AF_INET, SOCK_STREAM, 0);
  *c = socket(AF_INET, SOCK_STREAM, 0);
  if (reuse) {
    setsockopt(*l, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    setsockopt(*c, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  }
  struct sockaddr_in a = t_in4("127.0.0.1", 0);
  if (bind(*l, (struct sockaddr *)&a, sizeof a) != 0 || listen(*l, 1) != 0) exit(90);
  *p = t_port(*l);
  if (t_connect4(*c, *p) != 0) exit(91);
  *s = accept(*l, NULL, NULL);
  *q = t_port(*c);
}

/* The server closes first (`reuse`: everyone set SO_REUSEADDR), then the client; then binds to the server's port. */
static void server_closes_first(int reuse) {
  int l, c, s, p, q;
  printf("-- the server closes first%s\n", reuse ? ", everyone with SO_REUSEADDR" : "");
  connection(reuse, &l, &c, &s, &p, &q);
  T("close server", close(s));
  T("close client", close(c));
  show("server's tuple", p, q, 6);
  show("client's tuple", q, p, 0);
  close(l);
  try_bind("listener closed, bind its port", p, 0, 1);
  try_bind("listener closed, bind its port", p, 1, 1);
  try_bind("bind the client's port", q, 0, 0);
}

int main(void) {
  int l, c, s, p, q;

  printf("-- the client closes first\n");
  connection(0, &l, &c, &s, &p, &q);
  T("close client", close(c));
  T("close server", close(s));
  show("client's tuple", q, p, 6);
  show("server's tuple", p, q, 0);
  try_bind("bind the client's port", q, 0, 0);
  try_bind("bind the client's port", q, 1, 0);
  try_bind("bind the listener's port", p, 0, 0);
  close(l);
  try_bind("listener closed, bind its port", p, 0, 1);

  server_closes_first(0);
  server_closes_first(1);

  printf("-- the client resets (closes with unread data)\n");
  connection(0, &l, &c, &s, &p, &q);
  T("send", send(s, "x", 1, 0));
  struct pollfd in = {c, POLLIN, 0};
  T("poll the client (the byte is there)", poll(&in, 1, 5000));
  T("close client", close(c));
  T("close server", close(s));
  show("client's tuple", q, p, 0);
  show("server's tuple", p, q, 0);
  try_bind("bind the client's port", q, 0, 0);
  close(l);
  return 0;
}
