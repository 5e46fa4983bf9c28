/*
 * Socket ioctls: the queue sizes (FIONREAD/SIOCINQ on TCP, UDP's next
 * datagram, EINVAL on a listener; SIOCOUTQ once the peer has the bytes),
 * FIONBIO, and the interface requests for lo on AF_INET, AF_INET6 and
 * AF_UNIX sockets (if_nametoindex, if_indextoname, SIOCGIFCONF,
 * SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFMTU, SIOCGIFTXQLEN,
 * SIOCGIFHWADDR); unknown names and indexes, bad pointers, and requests no
 * socket answers. Only lo is looked at: the host has other interfaces.
 */
#include "tnet.h"
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>

static void queues(void) {
  int ls = t_bound4(SOCK_STREAM);
  struct sockaddr_in a = t_in4("127.0.0.1", t_port(ls));
  int n = -1;
  T("listener SIOCINQ", ioctl(ls, SIOCINQ, &n));
  T("listener SIOCOUTQ", ioctl(ls, SIOCOUTQ, &n));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  TOK("connect", connect(c, (struct sockaddr *)&a, sizeof a));
  int s = accept(ls, NULL, NULL);
  T("FIONREAD empty", (ioctl(s, FIONREAD, &n), n));
  T("write", write(c, "hello", 5));
  T("write", write(c, " world", 6));
  n = -1;
  T("FIONREAD after two writes", (ioctl(s, FIONREAD, &n), n));
  char b[4];
  T("read", read(s, b, 4));
  T("SIOCINQ after a read", (ioctl(s, SIOCINQ, &n), n));
  T("SIOCOUTQ of the writer", (ioctl(c, SIOCOUTQ, &n), n));
  T("FIONREAD to a bad pointer", ioctl(s, FIONREAD, (int *)8));
  int on = 1;
  TOK("FIONBIO on", ioctl(s, FIONBIO, &on));
  char rest[16];
  T("read the rest", read(s, rest, sizeof rest));
  T("nonblocking read of nothing", read(s, rest, sizeof rest));
  T("SIOCATMARK", (ioctl(s, SIOCATMARK, &n), n));
  T("TCGETS on a socket", ioctl(s, TCGETS, rest));
  close(c);
  close(s);
  close(ls);

  int u = t_bound4(SOCK_DGRAM);
  struct sockaddr_in ua = t_in4("127.0.0.1", t_port(u));
  int us = socket(AF_INET, SOCK_DGRAM, 0);
  T("UDP FIONREAD empty", (ioctl(u, FIONREAD, &n), n));
  T("sendto 7", sendto(us, "datagram", 7, 0, (struct sockaddr *)&ua, sizeof ua));
  T("sendto 3", sendto(us, "abc", 3, 0, (struct sockaddr *)&ua, sizeof ua));
  T("UDP FIONREAD: the next datagram", (ioctl(u, FIONREAD, &n), n));
  T("UDP SIOCOUTQ", (ioctl(us, SIOCOUTQ, &n), n));
  T("UDP SIOCATMARK", ioctl(u, SIOCATMARK, &n));
  close(u);
  close(us);

  int sv[2];
  TOK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  T("write", write(sv[0], "abc", 3));
  T("AF_UNIX FIONREAD", (ioctl(sv[1], FIONREAD, &n), n));
  close(sv[0]);
  close(sv[1]);
}

static void lo_on(int fd, const char *kind) {
  struct ifreq r;
  char label[64];
  memset(&r, 0, sizeof r);
  strcpy(r.ifr_name, "lo");
  snprintf(label, sizeof label, "%s SIOCGIFINDEX lo", kind);
  T(label, (ioctl(fd, SIOCGIFINDEX, &r), r.ifr_ifindex));
  snprintf(label, sizeof label, "%s SIOCGIFFLAGS lo", kind);
  T(label, (ioctl(fd, SIOCGIFFLAGS, &r), r.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_BROADCAST)));
  snprintf(label, sizeof label, "%s SIOCGIFMTU lo", kind);
  T(label, (ioctl(fd, SIOCGIFMTU, &r), r.ifr_mtu));
  snprintf(label, sizeof label, "%s SIOCGIFTXQLEN lo", kind);
  T(label, (ioctl(fd, SIOCGIFTXQLEN, &r), r.ifr_qlen));
  snprintf(label, sizeof label, "%s SIOCGIFHWADDR lo family", kind);
  T(label, (ioctl(fd, SIOCGIFHWADDR, &r), r.ifr_hwaddr.sa_family));
  r.ifr_ifindex = 1;
  memset(r.ifr_name, 'x', sizeof r.ifr_name);
  snprintf(label, sizeof label, "%s SIOCGIFNAME 1", kind);
  TOK(label, ioctl(fd, SIOCGIFNAME, &r));
  printf("  name: %s\n", r.ifr_name);
  strcpy(r.ifr_name, "nosuch0");
  snprintf(label, sizeof label, "%s SIOCGIFFLAGS nosuch0", kind);
  T(label, ioctl(fd, SIOCGIFFLAGS, &r));
  r.ifr_ifindex = 99999;
  snprintf(label, sizeof label, "%s SIOCGIFNAME 99999", kind);
  T(label, ioctl(fd, SIOCGIFNAME, &r));
  snprintf(label, sizeof label, "%s SIOCGIFINDEX bad pointer", kind);
  T(label, ioctl(fd, SIOCGIFINDEX, (struct ifreq *)8));
  strcpy(r.ifr_name, "lo");
  snprintf(label, sizeof label, "%s SIOCGIFADDR lo", kind);
  T(label, ioctl(fd, SIOCGIFADDR, &r) == 0 ? r.ifr_addr.sa_family : -1);
}

static void addresses(int fd) {
  struct ifreq r;
  char ip[INET_ADDRSTRLEN];
  memset(&r, 0, sizeof r);
  strcpy(r.ifr_name, "lo");
  TOK("SIOCGIFADDR lo", ioctl(fd, SIOCGIFADDR, &r));
  printf("  family %d addr %s\n", r.ifr_addr.sa_family, inet_ntop(AF_INET, &((struct sockaddr_in *)&r.ifr_addr)->sin_addr, ip, sizeof ip));
  TOK("SIOCGIFNETMASK lo", ioctl(fd, SIOCGIFNETMASK, &r));
  printf("  mask %s\n", inet_ntop(AF_INET, &((struct sockaddr_in *)&r.ifr_netmask)->sin_addr, ip, sizeof ip));
  strcpy(r.ifr_name, "lo:9");
  T("SIOCGIFADDR lo:9", ioctl(fd, SIOCGIFADDR, &r));
  strcpy(r.ifr_name, "nosuch0");
  T("SIOCGIFADDR nosuch0", ioctl(fd, SIOCGIFADDR, &r));
}

static void conf(int fd) {
  struct ifconf c = {.ifc_len = 0, .ifc_buf = NULL};
  TOK("SIOCGIFCONF size", ioctl(fd, SIOCGIFCONF, &c));
  int need = c.ifc_len;
  REL("  a whole number of ifreqs, at least one", need >= (int)sizeof(struct ifreq) && need % (int)sizeof(struct ifreq) == 0);
  struct ifreq all[64];
  c.ifc_len = sizeof all;
  c.ifc_req = all;
  TOK("SIOCGIFCONF", ioctl(fd, SIOCGIFCONF, &c));
  REL("  filled what the size said", c.ifc_len == need);
  int lo = 0;
  char ip[INET_ADDRSTRLEN];
  for (int i = 0; i < c.ifc_len / (int)sizeof(struct ifreq); i++)
    if (strcmp(all[i].ifr_name, "lo") == 0) {
      lo++;
      printf("  lo: family %d addr %s\n", all[i].ifr_addr.sa_family,
             inet_ntop(AF_INET, &((struct sockaddr_in *)&all[i].ifr_addr)->sin_addr, ip, sizeof ip));
    }
  T("  entries for lo", lo);
  c.ifc_len = sizeof(struct ifreq) - 1;
  TOK("SIOCGIFCONF with room for none", ioctl(fd, SIOCGIFCONF, &c));
  T("  ifc_len", c.ifc_len);
  c.ifc_len = sizeof all;
  c.ifc_req = (struct ifreq *)8;
  T("SIOCGIFCONF to a bad buffer", ioctl(fd, SIOCGIFCONF, &c));
  T("SIOCGIFCONF bad pointer", ioctl(fd, SIOCGIFCONF, (struct ifconf *)8));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  queues();
  int in4 = socket(AF_INET, SOCK_DGRAM, 0);
  int in6 = socket(AF_INET6, SOCK_DGRAM, 0);
  int un = socket(AF_UNIX, SOCK_DGRAM, 0);
  lo_on(in4, "inet");
  lo_on(in6, "inet6");
  lo_on(un, "unix");
  addresses(in4);
  conf(in4);
  T("if_nametoindex lo", if_nametoindex("lo"));
  T("if_nametoindex nosuch0", if_nametoindex("nosuch0"));
  char name[IF_NAMESIZE];
  printf("if_indextoname 1: %s\n", if_indextoname(1, name));
  return 0;
}
