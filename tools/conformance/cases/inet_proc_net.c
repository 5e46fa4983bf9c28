/*
 * /proc/net/tcp, tcp6, udp, dev and if_inet6 as netstat and ss read them:
 * the program's own sockets are found by their inode (natively the host's
 * sockets are listed too, so only ours are printed), with their addresses,
 * state, receive queue and owner; the header lines; lo in dev and
 * if_inet6.
 */
#include "tnet.h"
#include <sys/stat.h>

static unsigned long inode_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* Prints the line of `path` whose inode column is `fd`'s: its address, state and queue columns, and whether its uid is ours. */
static void show(const char *path, const char *what, int fd) {
  FILE *f = fopen(path, "r");
  char line[512];
  if (f == NULL || fgets(line, sizeof line, f) == NULL) {
    printf("%s: cannot read %s\n", what, path);
    return;
  }
  int found = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    char local[64], remote[64], queues[32];
    unsigned st, uid;
    unsigned long ino;
    if (sscanf(line, "%*d: %63s %63s %x %31s %*s %*s %u %*d %lu", local, remote, &st, queues, &uid, &ino) != 6) continue;
    if (ino != inode_of(fd)) continue;
    found = 1;
    /* Ports are the kernel's pick: shown only as "port". */
    *strrchr(local, ':') = 0;
    char *rport = strrchr(remote, ':');
    int remote_port = (int)strtol(rport + 1, NULL, 16);
    *rport = 0;
    printf("%s: local %s remote %s:%s state %02X queues %s own uid %s\n", what, local, remote, remote_port ? "port" : "0000", st, queues,
           uid == getuid() ? "yes" : "no");
  }
  if (!found) printf("%s: not listed\n", what);
  fclose(f);
}

static void header(const char *path) {
  FILE *f = fopen(path, "r");
  char line[512];
  if (f != NULL && fgets(line, sizeof line, f) != NULL) {
    /* Trailing spaces (tcp pads its lines) are kept out of the comparison. */
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\n')) line[--n] = 0;
    printf("%s header: %s\n", path, line);
  }
  if (f != NULL) fclose(f);
}

static void grep(const char *path, const char *needle) {
  FILE *f = fopen(path, "r");
  char line[512];
  int found = 0;
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (strstr(line, needle) != NULL) {
      if (strstr(path, "dev") != NULL) line[strcspn(line, ":") + 1] = 0; /* counters differ */
      printf("%s: %s", path, line);
      if (line[strlen(line) - 1] != '\n') printf("\n");
      found = 1;
    }
  if (!found) printf("%s: no %s\n", path, needle);
  if (f != NULL) fclose(f);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  header("/proc/net/tcp");
  header("/proc/net/tcp6");
  header("/proc/net/udp");
  grep("/proc/net/dev", "lo:");
  grep("/proc/net/if_inet6", " lo");

  int ls = t_bound4(SOCK_STREAM);
  show("/proc/net/tcp", "listener", ls);
  struct sockaddr_in a = t_in4("127.0.0.1", t_port(ls));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  TOK("connect", connect(c, (struct sockaddr *)&a, sizeof a));
  show("/proc/net/tcp", "listener with one waiting", ls);
  int s = accept(ls, NULL, NULL);
  T("write", write(c, "hello", 5));
  usleep(10000);
  show("/proc/net/tcp", "client", c);
  show("/proc/net/tcp", "accepted, 5 bytes unread", s);
  show("/proc/net/tcp6", "an AF_INET socket in tcp6", c);

  int l6 = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a6 = t_in6("::1", 0);
  TOK("bind ::1", bind(l6, (struct sockaddr *)&a6, sizeof a6));
  TOK("listen", listen(l6, 4));
  show("/proc/net/tcp6", "v6 listener", l6);

  int u = t_bound4(SOCK_DGRAM);
  show("/proc/net/udp", "udp", u);
  int uc = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in ua = t_in4("127.0.0.1", t_port(u));
  TOK("connect udp", connect(uc, (struct sockaddr *)&ua, sizeof ua));
  show("/proc/net/udp", "connected udp", uc);
  close(c);
  close(s);
  close(ls);
  show("/proc/net/tcp", "closed listener", ls);
  return 0;
}
