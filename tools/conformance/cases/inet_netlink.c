/*
 * Interfaces as programs find them: getifaddrs (glibc's RTM_GETLINK and
 * RTM_GETADDR dumps over NETLINK_ROUTE) lists lo with 127.0.0.1/8 and
 * ::1/128 (only lo is printed: the host has others, the sandbox none),
 * a route socket binds to a port id of its own,
 * and other netlink protocols are refused.
 */
#include "tnet.h"
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <net/if.h> /* IFF_* */

int main(void) {
  struct ifaddrs *list;
  T("getifaddrs", getifaddrs(&list));
  for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
    if (strcmp(i->ifa_name, "lo") != 0) continue;
    char addr[INET6_ADDRSTRLEN] = "-", mask[INET6_ADDRSTRLEN] = "-";
    int fam = i->ifa_addr ? i->ifa_addr->sa_family : -1;
    if (fam == AF_INET) {
      inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr, sizeof addr);
      inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_netmask)->sin_addr, mask, sizeof mask);
    } else if (fam == AF_INET6) {
      inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, addr, sizeof addr);
      inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr, mask, sizeof mask);
    }
    printf("%s family %s addr %s mask %s flags %#x\n", i->ifa_name, fam == AF_INET ? "inet" : fam == AF_INET6 ? "inet6" : "packet", addr, mask,
           i->ifa_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING));
  }
  freeifaddrs(list);

  int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  REL("netlink route socket", nl >= 0);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  T("bind", bind(nl, (struct sockaddr *)&sa, sizeof sa));
  socklen_t len = sizeof sa;
  T("getsockname", getsockname(nl, (struct sockaddr *)&sa, &len));
  REL("port id assigned", sa.nl_pid != 0);
  T("netlink protocol 99", socket(AF_NETLINK, SOCK_RAW, 99));
  close(nl);
  return 0;
}
