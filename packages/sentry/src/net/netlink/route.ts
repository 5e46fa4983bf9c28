// NETLINK_ROUTE sockets, as much of rtnetlink as getifaddrs (glibc dumps
// RTM_GETLINK then RTM_GETADDR) and busybox `ip addr` need: the sandbox
// has one interface, lo (index 1, 127.0.0.1/8 and ::1/128), and says so.
// A dump is answered with one datagram: the NEW* messages (NLM_F_MULTI)
// and NLMSG_DONE; a route dump is empty; any other request gets an
// NLMSG_ERROR of EOPNOTSUPP, as a kernel without that handler would.
// Nothing can be changed: RTM_NEW*/DEL* get EPERM, as for an unprivileged
// caller.
import { E } from '../../errno.js';
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../../fd/readiness.js';
import { AF_INET, AF_INET6, AF_UNSPEC } from '../families.js';
import { type InMessage, MSG_PEEK, MSG_TRUNC, type OutMessage, type Socket as SocketType, Socket, type SocketContext } from '../socket.js';

import { AF_NETLINK } from '../families.js';
import { LOOPBACK } from '../interfaces.js';
export const NETLINK_ROUTE = 0;
const SOCKADDR_NL_LEN = 12;
const NLMSG_HDR = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_GETADDR = 22;
const RTM_GETROUTE = 26;
const RTM_BASE_END = 100;
const SOL_NETLINK = 270;
/** Linux's rtnetlink default receive buffer is the socket default; a dump of lo is far below it. */
const IFA_F_PERMANENT = 0x80;
const RT_SCOPE_HOST = 254;

/** Builds netlink messages: headers, fixed structs and rtattrs, each 4-byte aligned. */
class Writer {
  readonly bytes: number[] = [];

  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }

  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }

  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]!);
    return this;
  }

  align(): this {
    while (this.bytes.length % 4 !== 0) this.bytes.push(0);
    return this;
  }

  /** An rtattr of `type` holding `data`. */
  attr(type: number, data: ArrayLike<number>): this {
    return this.u16(4 + data.length)
      .u16(type)
      .raw(data)
      .align();
  }
}

const str = (s: string): number[] => [...Buffer.from(`${s}\0`)];
const u32le = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];

/** One message: a header (length filled in) and the body `fill` writes. */
function message(type: number, flags: number, seq: number, pid: number, fill: (w: Writer) => void): number[] {
  const w = new Writer();
  fill(w);
  w.align();
  const h = new Writer()
    .u32(NLMSG_HDR + w.bytes.length)
    .u16(type)
    .u16(flags)
    .u32(seq)
    .u32(pid);
  return [...h.bytes, ...w.bytes];
}

function linkMessage(seq: number, pid: number): number[] {
  return message(RTM_NEWLINK, NLM_F_MULTI, seq, pid, (w) => {
    w.u8(AF_UNSPEC).u8(0).u16(LOOPBACK.hwType).u32(LOOPBACK.index).u32(LOOPBACK.linkFlags).u32(0);
    w.attr(3, str(LOOPBACK.name)); // IFLA_IFNAME
    w.attr(4, u32le(LOOPBACK.mtu)); // IFLA_MTU
    w.attr(13, u32le(LOOPBACK.txqlen)); // IFLA_TXQLEN
    w.attr(16, [0]); // IFLA_OPERSTATE: unknown, as lo reports
    w.attr(17, [0]); // IFLA_LINKMODE
    w.attr(6, str('noqueue')); // IFLA_QDISC
    w.attr(1, [0, 0, 0, 0, 0, 0]); // IFLA_ADDRESS
    w.attr(2, [0, 0, 0, 0, 0, 0]); // IFLA_BROADCAST
  });
}

function addrMessages(family: number, seq: number, pid: number): number[] {
  const out: number[] = [];
  const cacheinfo = [...u32le(0xffffffff), ...u32le(0xffffffff), ...u32le(0), ...u32le(0)];
  if (family === AF_UNSPEC || family === AF_INET) {
    out.push(
      ...message(RTM_NEWADDR, NLM_F_MULTI, seq, pid, (w) => {
        w.u8(AF_INET).u8(8).u8(IFA_F_PERMANENT).u8(RT_SCOPE_HOST).u32(LOOPBACK.index);
        w.attr(1, [127, 0, 0, 1]); // IFA_ADDRESS
        w.attr(2, [127, 0, 0, 1]); // IFA_LOCAL
        w.attr(3, str('lo')); // IFA_LABEL
        w.attr(8, u32le(IFA_F_PERMANENT)); // IFA_FLAGS
        w.attr(6, cacheinfo); // IFA_CACHEINFO
      }),
    );
  }
  if (family === AF_UNSPEC || family === AF_INET6) {
    out.push(
      ...message(RTM_NEWADDR, NLM_F_MULTI, seq, pid, (w) => {
        w.u8(AF_INET6).u8(128).u8(IFA_F_PERMANENT).u8(RT_SCOPE_HOST).u32(LOOPBACK.index);
        w.attr(1, [...new Array<number>(15).fill(0), 1]);
        w.attr(6, cacheinfo);
        w.attr(8, u32le(IFA_F_PERMANENT));
      }),
    );
  }
  return out;
}

let nextPortId = 0x7000_0000;

export class NetlinkRouteSocket extends Socket {
  readonly #queue: Uint8Array[] = [];
  #portId = 0;

  constructor(type: number, ctx: SocketContext, flags: number) {
    super(AF_NETLINK, type, NETLINK_ROUTE, ctx, flags);
  }

  get listening(): boolean {
    return false;
  }

  get inq(): number {
    return this.#queue[0]?.length ?? 0;
  }

  /** The port id: the process's pid for its first socket in Linux; any unique number serves (programs read it back). */
  #autobind(): number {
    if (this.#portId === 0) this.#portId = nextPortId++;
    return this.#portId;
  }

  bind(addr: Uint8Array): number {
    if (addr.length < SOCKADDR_NL_LEN) return -E.EINVAL;
    const v = new DataView(addr.buffer, addr.byteOffset, addr.length);
    if (v.getUint16(0, true) !== AF_NETLINK) return -E.EINVAL;
    const pid = v.getUint32(4, true);
    if (v.getUint32(8, true) !== 0) return -E.EPERM; // multicast groups need CAP_NET_ADMIN for most; none is served
    if (pid !== 0) {
      if (this.#portId !== 0 && this.#portId !== pid) return -E.EINVAL;
      this.#portId = pid;
    } else this.#autobind();
    return 0;
  }

  connect(addr: Uint8Array): number {
    if (addr.length < SOCKADDR_NL_LEN) return -E.EINVAL;
    this.#autobind();
    return 0;
  }

  listen(): number {
    return -E.EOPNOTSUPP;
  }

  accept(): SocketType | number {
    return -E.EOPNOTSUPP;
  }

  shutdown(): number {
    return 0;
  }

  name(peer: boolean): Uint8Array {
    const b = new Uint8Array(SOCKADDR_NL_LEN);
    const v = new DataView(b.buffer);
    v.setUint16(0, AF_NETLINK, true);
    if (!peer) v.setUint32(4, this.#portId, true);
    return b;
  }

  send(msg: OutMessage): number {
    const pid = this.#autobind();
    const data = new Uint8Array(msg.size);
    if (msg.read(0, data) < msg.size) return -E.EFAULT;
    msg.done = msg.size;
    const v = new DataView(data.buffer);
    const reply: number[] = [];
    for (let at = 0; at + NLMSG_HDR <= data.length; ) {
      const len = v.getUint32(at, true);
      if (len < NLMSG_HDR || at + len > data.length) break;
      const type = v.getUint16(at + 4, true);
      const flags = v.getUint16(at + 6, true);
      const seq = v.getUint32(at + 8, true);
      if (flags & NLM_F_REQUEST) reply.push(...this.#answer(type, flags, seq, pid, data.subarray(at, at + len)));
      at += (len + 3) & ~3;
    }
    if (reply.length > 0) {
      this.#queue.push(Uint8Array.from(reply));
      this.notify();
    }
    return msg.size;
  }

  #answer(type: number, flags: number, seq: number, pid: number, req: Uint8Array): number[] {
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    const done = () => message(NLMSG_DONE, NLM_F_MULTI, seq, pid, (w) => w.u32(0));
    if (dump && type === RTM_GETLINK) return [...linkMessage(seq, pid), ...done()];
    if (dump && type === RTM_GETADDR) return [...addrMessages(req.length > NLMSG_HDR ? req[NLMSG_HDR]! : AF_UNSPEC, seq, pid), ...done()];
    if (dump && type === RTM_GETROUTE) return done();
    if (!dump && type === RTM_GETLINK) return linkMessage(seq, pid);
    let errno: number = E.EOPNOTSUPP;
    if (type >= RTM_NEWLINK && type < RTM_BASE_END && type % 4 !== 2) errno = E.EPERM; // NEW/DEL/SET: not allowed
    if (type < RTM_NEWLINK) errno = 0; // control messages (NLMSG_NOOP...): acknowledged only if asked
    if (errno === 0 && !(flags & NLM_F_ACK)) return [];
    return message(NLMSG_ERROR, 0, seq, pid, (w) => w.u32(-errno >>> 0).raw(req.subarray(0, NLMSG_HDR)));
  }

  recv(msg: InMessage): number {
    const d = this.#queue[0];
    if (d === undefined) return -E.EAGAIN;
    const n = Math.min(msg.size, d.length);
    if (n > 0 && msg.write(0, d.subarray(0, n)) < n) return -E.EFAULT;
    msg.done = n;
    msg.addr = this.name(true);
    if (n < d.length) msg.msgFlags |= MSG_TRUNC;
    if ((msg.flags & MSG_PEEK) === 0) this.#queue.shift();
    return msg.flags & MSG_TRUNC ? d.length : n;
  }

  readiness(): number {
    return (this.#queue.length > 0 ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
  }

  override familyOption(level: number): Uint8Array | number {
    return level === SOL_NETLINK ? new Uint8Array(4) : -E.ENOPROTOOPT;
  }

  override setFamilyOption(level: number): number {
    return level === SOL_NETLINK ? 0 : -E.ENOPROTOOPT;
  }

  protected release(): void {
    this.#queue.length = 0;
  }
}
