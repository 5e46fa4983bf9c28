/*
 * A TCP echo server and its client on 127.0.0.1 in one process, driven by
 * one edge-triggered epoll set: nonblocking connect (EINPROGRESS, then
 * writable with SO_ERROR 0), accept4 until EAGAIN, reads and writes until
 * EAGAIN with 1 MiB in flight (so both directions fill their buffers),
 * half-close (the server sees EPOLLRDHUP and EOF, the client EOF after the
 * echo), and an edge reported once: a drained socket is not reported again.
 */
#include "tnet.h"
#include <sys/epoll.h>

#define TOTAL (1 << 20)
enum { LISTENER = 1, CLIENT = 2, SERVER = 3 };

static char out[TOTAL], back[TOTAL], relay[65536];
static long sent, received, relayed_in, relayed_out, relay_len, relay_off;
static int ep, ls, c, s = -1, accepted, client_eof, server_eof, rdhup_seen, connected;

static void watch(int fd, unsigned events, int tag) {
  struct epoll_event ev = {.events = events | EPOLLET, .data.u32 = tag};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) perror("epoll_ctl");
}

static void client_write(void) {
  while (sent < TOTAL) {
    long n = write(c, out + sent, TOTAL - sent);
    if (n < 0) {
      if (errno != EAGAIN) printf("client write: %s\n", ename(errno));
      return;
    }
    sent += n;
  }
  if (shutdown(c, SHUT_WR) != 0) printf("shutdown: %s\n", ename(errno));
  sent++; /* shut once */
}

static void client_read(void) {
  for (;;) {
    long n = read(c, back + received, TOTAL - received > 0 ? TOTAL - received : 1);
    if (n == 0) client_eof = 1;
    if (n <= 0) return;
    received += n;
  }
}

/* Echo: read what fits in `relay`, write it back, until either side would block. */
static void server_pump(void) {
  for (;;) {
    while (relay_off < relay_len) {
      long n = write(s, relay + relay_off, relay_len - relay_off);
      if (n < 0) return;
      relay_off += n;
      relayed_out += n;
    }
    long n = read(s, relay, sizeof relay);
    if (n == 0 && !server_eof) {
      server_eof = 1;
      shutdown(s, SHUT_WR);
    }
    if (n <= 0) return;
    relay_len = n;
    relay_off = 0;
    relayed_in += n;
  }
}

int main(void) {
  for (long i = 0; i < TOTAL; i++) out[i] = (char)(i * 7 + i / 251);
  ep = epoll_create1(0);
  ls = t_bound4(SOCK_STREAM);
  t_nonblock(ls);
  watch(ls, EPOLLIN, LISTENER);
  c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int r = t_connect4(c, t_port(ls));
  printf("nonblocking connect: %s\n", r == 0 ? "0" : ename(errno));
  watch(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP, CLIENT);

  int rounds = 0;
  while (!(client_eof && server_eof) && rounds++ < 100000) {
    struct epoll_event ev[4];
    int n = epoll_wait(ep, ev, 4, 5000);
    if (n <= 0) {
      printf("epoll_wait: %d %s\n", n, ename(errno));
      break;
    }
    for (int i = 0; i < n; i++) {
      unsigned e = ev[i].events;
      switch (ev[i].data.u32) {
        case LISTENER:
          for (int fd; (fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0;) {
            accepted++;
            s = fd;
            watch(s, EPOLLIN | EPOLLOUT | EPOLLRDHUP, SERVER);
          }
          if (errno != EAGAIN) printf("accept4: %s\n", ename(errno));
          break;
        case CLIENT:
          if ((e & EPOLLOUT) && !connected) {
            int err = -1;
            socklen_t len = sizeof err;
            getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
            printf("client writable, SO_ERROR: %s\n", ename(err));
            connected = 1;
          }
          if (e & EPOLLOUT) client_write();
          if (e & EPOLLIN) client_read();
          break;
        case SERVER:
          if ((e & EPOLLRDHUP) && !rdhup_seen) {
            rdhup_seen = 1;
          }
          server_pump();
          break;
      }
    }
  }
  printf("accepted: %d\n", accepted);
  printf("server saw RDHUP: %d\n", rdhup_seen);
  printf("server EOF: %d, relayed in %ld out %ld\n", server_eof, relayed_in, relayed_out);
  printf("client EOF: %d, received %ld, same bytes: %s\n", client_eof, received, memcmp(out, back, TOTAL) == 0 ? "yes" : "no");

  /* The edge was consumed: nothing is reported again until something changes. */
  struct epoll_event ev[4];
  epoll_wait(ep, ev, 4, 0); /* takes the edges of the last changes */
  T("wait after draining", epoll_wait(ep, ev, 4, 0));
  char b;
  T("client read after EOF", read(c, &b, 1));
  T("server read after EOF", read(s, &b, 1));
  close(c);
  close(s);
  close(ls);
  return 0;
}
