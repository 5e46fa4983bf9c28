// ioctl on a socket (Linux's sock_ioctl): the queue sizes (SIOCINQ, which
// is fs/ioctl.ts's FIONREAD, SIOCOUTQ, SIOCOUTQNSD), SIOCATMARK, and the interface
// requests every socket answers (dev_ioctl: SIOCGIFNAME, SIOCGIFINDEX,
// SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFTXQLEN, SIOCGIFHWADDR,
// SIOCGIFMETRIC, SIOCGIFMAP) with the IPv4 ones of an AF_INET socket
// (devinet_ioctl: SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR,
// SIOCGIFDSTADDR), for the sandbox's interfaces (../net/interfaces.ts), so
// if_nametoindex and busybox ifconfig work. Changing an interface
// (SIOCSIF*) is EPERM: the sandbox has no CAP_NET_ADMIN over its network.
// Everything else is ENOTTY, as Linux answers a request no layer knows;
// FIONBIO and FIOCLEX are the generic ones of fs/ioctl.ts.
import { E } from '../errno.js';
import type { Task } from '../kernel/task.js';
import { writeU32 } from '../kernel/usercopy.js';
import { AF_INET } from '../net/families.js';
import { INTERFACES, interfaceByIndex, interfaceByName, type NetInterface } from '../net/interfaces.js';
import { SOCK_STREAM, type Socket } from '../net/socket.js';

const SIOCOUTQ = 0x5411;
const SIOCOUTQNSD = 0x894b;
const SIOCATMARK = 0x8905;
const SIOCGIFNAME = 0x8910;
const SIOCGIFCONF = 0x8912;
const SIOCGIFFLAGS = 0x8913;
const SIOCGIFADDR = 0x8915;
const SIOCGIFDSTADDR = 0x8917;
const SIOCGIFBRDADDR = 0x8919;
const SIOCGIFNETMASK = 0x891b;
const SIOCGIFMETRIC = 0x891d;
const SIOCGIFMTU = 0x8921;
const SIOCGIFHWADDR = 0x8927;
const SIOCGIFINDEX = 0x8933;
const SIOCGIFTXQLEN = 0x8942;
const SIOCGIFMAP = 0x8970;
/** The SIOCSIF* requests: set flags, addresses, metric, MTU, name, hardware address, map, txqueuelen... */
const SETTERS: ReadonlySet<number> = new Set([
  0x8914, 0x8916, 0x8918, 0x891a, 0x891c, 0x891e, 0x8922, 0x8923, 0x8924, 0x8937, 0x8943, 0x8971,
]);

const IFNAMSIZ = 16;
/** struct ifreq: the name, then a 24-byte union (flags, index, a sockaddr, an ifmap...). */
const IFREQ_SIZE = 40;
const IFR_DATA = 16;
/** struct ifconf on x86-64: int ifc_len, 4 bytes of padding, the buffer pointer. */
const IFCONF_SIZE = 16;

/** SIOCINQ: bytes a read would return now; EINVAL on a listener, as tcp_ioctl and unix_ioctl. */
export function socketInq(s: Socket): number {
  return s.listening ? -E.EINVAL : s.inq;
}

/** The interface request `request` on socket `s` with argument `arg`, or undefined when it is not one (the caller answers it or says ENOTTY). */
export function socketIoctl(t: Task, s: Socket, request: number, arg: number): number | undefined {
  switch (request) {
    case SIOCOUTQ:
    case SIOCOUTQNSD:
      if (s.listening && s.type === SOCK_STREAM) return -E.EINVAL;
      return writeU32(t.mm, arg, s.outq);
    case SIOCATMARK:
      if (s.type !== SOCK_STREAM) return undefined;
      return writeU32(t.mm, arg, 0); // out-of-band data is never sent
    case SIOCGIFCONF:
      return interfaceList(t, arg);
    default:
      if (SETTERS.has(request)) return withIfreq(t, arg, () => -E.EPERM);
      return interfaceRequest(t, s, request, arg);
  }
}

/** Copies the ifreq at `arg` in, lets `answer` fill it (0, or an errno), and copies it back out. */
function withIfreq(t: Task, arg: number, answer: (ifr: Uint8Array, name: string) => number): number {
  const ifr = new Uint8Array(IFREQ_SIZE);
  if (t.mm.copyIn(arg, ifr) < 0) return -E.EFAULT;
  ifr[IFNAMSIZ - 1] = 0;
  const end = ifr.indexOf(0);
  const name = new TextDecoder('latin1').decode(ifr.subarray(0, end));
  const r = answer(ifr, name);
  if (r < 0) return r;
  return t.mm.copyOut(arg, ifr) < 0 ? -E.EFAULT : 0;
}

function interfaceRequest(t: Task, s: Socket, request: number, arg: number): number | undefined {
  const ipv4 = ipv4Field(request);
  if (ipv4 !== undefined && s.family !== AF_INET) return undefined;
  if (request === SIOCGIFNAME) {
    return withIfreq(t, arg, (ifr) => {
      const i = interfaceByIndex(view(ifr).getInt32(IFR_DATA, true));
      if (i === undefined) return -E.ENODEV;
      ifr.fill(0, 0, IFNAMSIZ);
      ifr.set(new TextEncoder().encode(i.name));
      return 0;
    });
  }
  const field = ipv4 ?? DEVICE_FIELDS.get(request);
  if (field === undefined) return undefined;
  return withIfreq(t, arg, (ifr, name) => {
    const i = interfaceByName(name);
    if (i === undefined) return -E.ENODEV;
    // An address request names an address by its label: lo has one, "lo" (devinet_ioctl).
    if (ipv4 !== undefined && name !== i.name) return -E.EADDRNOTAVAIL;
    ifr.fill(0, IFR_DATA);
    field(view(ifr), i);
    return 0;
  });
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
type Field = (ifr: DataView, i: NetInterface) => void;

/** What each device request puts in the union (dev_ifsioc_locked). */
const DEVICE_FIELDS: ReadonlyMap<number, Field> = new Map<number, Field>([
  [SIOCGIFINDEX, (v, i) => v.setInt32(IFR_DATA, i.index, true)],
  [SIOCGIFFLAGS, (v, i) => v.setInt16(IFR_DATA, i.flags, true)],
  [SIOCGIFMTU, (v, i) => v.setInt32(IFR_DATA, i.mtu, true)],
  [SIOCGIFTXQLEN, (v, i) => v.setInt32(IFR_DATA, i.txqlen, true)],
  [SIOCGIFMETRIC, () => {}], // metric 0
  [SIOCGIFMAP, () => {}], // no memory, I/O port, IRQ or DMA
  [SIOCGIFHWADDR, (v, i) => v.setUint16(IFR_DATA, i.hwType, true)], // a zero address
]);

/** Writes an AF_INET sockaddr with `addr` into the union. */
function putSockaddrIn(v: DataView, addr: readonly number[]): void {
  v.setUint16(IFR_DATA, AF_INET, true);
  addr.forEach((byte, k) => v.setUint8(IFR_DATA + 4 + k, byte));
}

/** The field of an IPv4 address request (an AF_INET socket's), or undefined. lo has no broadcast address; its destination is its own. */
function ipv4Field(request: number): Field | undefined {
  switch (request) {
    case SIOCGIFADDR:
    case SIOCGIFDSTADDR:
      return (v, i) => putSockaddrIn(v, i.ipv4);
    case SIOCGIFNETMASK:
      return (v, i) => putSockaddrIn(v, i.netmask);
    case SIOCGIFBRDADDR:
      return (v) => putSockaddrIn(v, [0, 0, 0, 0]);
    default:
      return undefined;
  }
}

/**
 * SIOCGIFCONF: an ifreq (name and AF_INET address) per IPv4 address, as
 * many whole ones as ifc_len holds; ifc_len becomes the bytes written, or
 * with a null buffer the bytes every one would take.
 */
function interfaceList(t: Task, arg: number): number {
  const conf = new Uint8Array(IFCONF_SIZE);
  if (t.mm.copyIn(arg, conf) < 0) return -E.EFAULT;
  const v = view(conf);
  const len = v.getInt32(0, true);
  const buf = Number(v.getBigUint64(8, true));
  let done = 0;
  for (const i of INTERFACES) {
    if (buf !== 0) {
      if (len - done < IFREQ_SIZE) break;
      const ifr = new Uint8Array(IFREQ_SIZE);
      ifr.set(new TextEncoder().encode(i.name));
      putSockaddrIn(view(ifr), i.ipv4);
      if (t.mm.copyOut(buf + done, ifr) < 0) return -E.EFAULT;
    }
    done += IFREQ_SIZE;
  }
  return writeU32(t.mm, arg, done);
}
