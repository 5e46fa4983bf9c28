/*
 * /proc/net/unix: its header, and for each of this program's AF_UNIX
 * sockets (found by the inode /proc/self/fd shows as socket:[N], which
 * fstat agrees with) the reference count, flags, type, state and path
 * Linux shows: socketpairs of each type, a listener bound to a path, a
 * connection not accepted yet (inode 0, state 2), then accepted; a
 * datagram socket bound to an abstract name, one connected to it and
 * disconnected, an autobound one, a survivor whose peer closed; closed
 * sockets leave the list. The kernel pointer (hashed for root on Linux)
 * and the inode number are not printed.
 */
#include "t.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define PATH "unix_proc_net.sock"
/* The abstract name: "\0unix-proc-net-PID\0x" (natively the namespace is the host's, so it is made unique), shown as "@NAME@x". */
static char abstract[64];
static int abstract_len;
static char abstract_shown[64];

/*
 * The /proc/net/unix line of inode `ino` whose path starts with `path`
 * (NULL: any path), as its fields without the pointer and the inode
 * (whose width differs with its value); "" when there is none.
 */
static const char *line_of(unsigned long ino, const char *path) {
  static char found[512];
  char l[512];
  found[0] = 0;
  FILE *f = fopen("/proc/net/unix", "r");
  if (f == NULL) return "no /proc/net/unix";
  while (fgets(l, sizeof l, f) != NULL) {
    unsigned refs, proto, flags, type, st;
    unsigned long i;
    int end = 0;
    l[strcspn(l, "\n")] = 0;
    char *colon = strchr(l, ':');
    if (colon == NULL || sscanf(colon + 1, "%x %x %x %x %x %lu%n", &refs, &proto, &flags, &type, &st, &i, &end) != 6 || i != ino) continue;
    const char *p = colon + 1 + end;
    if (path != NULL && (p[0] != ' ' || strncmp(p + 1, path, strlen(path)) != 0)) continue;
    const char *shown = p[0] == ' ' ? p + 1 : p;
    if (abstract_shown[0] != 0 && strcmp(shown, abstract_shown) == 0) shown = "@NAME@x";
    snprintf(found, sizeof found, "refs %u proto %u flags %#x type %u st %u path '%s'", refs, proto, flags, type, st, shown);
    break;
  }
  fclose(f);
  return found;
}

static unsigned long ino_of(int fd) {
  char path[64], link[64] = {0};
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  unsigned long ino = 0;
  struct stat st;
  if (readlink(path, link, sizeof link - 1) < 0 || sscanf(link, "socket:[%lu]", &ino) != 1) printf("fd %d: link %s\n", fd, link);
  if (fstat(fd, &st) != 0 || st.st_ino != ino) printf("fd %d: fstat inode differs from its link\n", fd);
  return ino;
}

/* How many lines show the path `path`. */
static int lines_with(const char *path) {
  char l[512];
  int n = 0;
  FILE *f = fopen("/proc/net/unix", "r");
  if (f == NULL) return -1;
  while (fgets(l, sizeof l, f) != NULL) {
    l[strcspn(l, "\n")] = 0;
    char *sp = strrchr(l, ' ');
    if (sp != NULL && strcmp(sp + 1, path) == 0) n++;
  }
  fclose(f);
  return n;
}

/* Prints the line of fd's socket, found by the inode of its /proc/self/fd link. */
static void show(const char *label, int fd) {
  const char *l = line_of(ino_of(fd), NULL);
  printf("%s: %s\n", label, l[0] ? l : "not listed");
}

int main(void) {
  FILE *f = fopen("/proc/net/unix", "r");
  char head[128] = {0};
  if (f == NULL || fgets(head, sizeof head, f) == NULL) return 1;
  fclose(f);
  printf("header: %s", head);

  int sp[2], dp[2], qp[2];
  T("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
  T("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, dp));
  T("socketpair seqpacket", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, qp));
  show("stream pair", sp[0]);
  show("dgram pair", dp[1]);
  show("seqpacket pair", qp[0]);
  close(sp[1]);
  show("stream whose peer closed", sp[0]);

  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  show("unbound", l);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strcpy(a.sun_path, PATH);
  unlink(PATH);
  T("bind path", bind(l, (struct sockaddr *)&a, sizeof a));
  show("bound", l);
  T("listen", listen(l, 4));
  show("listening", l);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  T("connect", connect(c, (struct sockaddr *)&a, sizeof a));
  show("client", c);
  printf("not accepted: %s\n", line_of(0, PATH));
  int s = accept(l, NULL, NULL);
  REL("accept", s >= 0);
  show("accepted", s);
  printf("not accepted after accept: '%s'\n", line_of(0, PATH));

  struct sockaddr_un b = {.sun_family = AF_UNIX};
  abstract_len = 1 + snprintf(abstract + 1, sizeof abstract - 1, "unix-proc-net-%d", (int)getpid()) + 2;
  abstract[abstract_len - 1] = 'x';
  snprintf(abstract_shown, sizeof abstract_shown, "@%s@x", abstract + 1);
  memcpy(b.sun_path, abstract, abstract_len);
  socklen_t blen = offsetof(struct sockaddr_un, sun_path) + abstract_len;
  int ab = socket(AF_UNIX, SOCK_DGRAM, 0);
  T("bind abstract", bind(ab, (struct sockaddr *)&b, blen));
  show("abstract", ab);
  int dc = socket(AF_UNIX, SOCK_DGRAM, 0);
  T("connect dgram", connect(dc, (struct sockaddr *)&b, blen));
  show("dgram connected", dc);
  show("its target", ab);
  sa_family_t unspec = AF_UNSPEC;
  T("disconnect", connect(dc, (struct sockaddr *)&unspec, sizeof unspec));
  show("dgram disconnected", dc);
  show("its old target", ab);

  int au = socket(AF_UNIX, SOCK_DGRAM, 0);
  sa_family_t fam = AF_UNIX;
  T("autobind", bind(au, (struct sockaddr *)&fam, sizeof fam));
  const char *name = strstr(line_of(ino_of(au), NULL), "path '");
  REL("autobind name is @ and 5 hex digits", name != NULL && strlen(name) == 13 && name[6] == '@' && strspn(name + 7, "0123456789abcdef") == 5);

  printf("lines with the path: %d\n", lines_with(PATH));
  close(s);
  close(c);
  printf("lines with the path once the connection closed: %d\n", lines_with(PATH));
  close(l);
  printf("and the listener: %d\n", lines_with(PATH));
  unlink(PATH);
  return 0;
}
