// The sandbox's network interfaces, as the interface ioctls (SIOCGIF*,
// ../syscalls/socket-ioctl.ts) and rtnetlink (netlink/route.ts) describe
// them: one, lo, index 1, up, 127.0.0.1/8 and ::1/128, with Linux's values
// for a loopback device (MTU 65536, txqueuelen 1000, no hardware address).

export interface NetInterface {
  readonly index: number;
  readonly name: string;
  /** IFF_* flags as SIOCGIFFLAGS reports them (the low 16 bits of dev_get_flags). */
  readonly flags: number;
  /** rtnetlink's ifi_flags: the same, and the bits past 16 (IFF_LOWER_UP). */
  readonly linkFlags: number;
  /** ARPHRD_* hardware type (SIOCGIFHWADDR's sa_family, ifi_type). */
  readonly hwType: number;
  readonly mtu: number;
  readonly txqlen: number;
  /** IPv4 address and netmask, as four bytes each. */
  readonly ipv4: readonly number[];
  readonly netmask: readonly number[];
}

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_RUNNING = 0x40;
const IFF_LOWER_UP = 0x10000;
const ARPHRD_LOOPBACK = 772;

export const LOOPBACK: NetInterface = {
  index: 1,
  name: 'lo',
  flags: IFF_UP | IFF_LOOPBACK | IFF_RUNNING,
  linkFlags: IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP,
  hwType: ARPHRD_LOOPBACK,
  mtu: 65536,
  txqlen: 1000,
  ipv4: [127, 0, 0, 1],
  netmask: [255, 0, 0, 0],
};

/** Every interface of the sandbox, by index order. */
export const INTERFACES: readonly NetInterface[] = [LOOPBACK];

/** The interface named `name` (a label "lo:1" names its device lo, as Linux's dev_ioctl cuts at the colon). */
export function interfaceByName(name: string): NetInterface | undefined {
  const device = name.split(':')[0];
  return INTERFACES.find((i) => i.name === device);
}

export function interfaceByIndex(index: number): NetInterface | undefined {
  return INTERFACES.find((i) => i.index === index);
}

/** /proc/net/dev: each interface's counters (the sandbox counts none: zeros), in Linux's columns. */
export function devText(): string {
  const head =
    'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  const widths = [8, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10];
  return head + INTERFACES.map((i) => `${i.name.padStart(6)}:${widths.map((w) => '0'.padStart(w)).join(' ')}\n`).join('');
}

/** /proc/net/if_inet6: each interface's IPv6 addresses (lo: ::1/128, host scope, permanent). */
export function ifInet6Text(): string {
  return `${'0'.repeat(31)}1 ${LOOPBACK.index.toString(16).padStart(2, '0')} 80 10 80 ${LOOPBACK.name.padStart(8)}\n`;
}
