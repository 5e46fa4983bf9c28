/* What the TCP benchmarks share: a listener on 127.0.0.1 at a port the kernel picks. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* A listening socket on 127.0.0.1; `a` receives its address. -1 on failure. */
static int listen_loopback(struct sockaddr_in *a) {
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t len = sizeof *a;
  *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(ls, (struct sockaddr *)a, sizeof *a) != 0 || listen(ls, 1) != 0 || getsockname(ls, (struct sockaddr *)a, &len) != 0) return -1;
  return ls;
}
