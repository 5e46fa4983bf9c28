// UDP sockets on the sandbox's loopback (and, where the policy allows,
// through the host: host-udp.ts), with Linux's observable behaviour
// (net/ipv4/udp.c, net/ipv6/udp.c, net/core/datagram.c):
// - a datagram keeps its boundary; a short buffer truncates it (MSG_TRUNC
//   in msg_flags; with MSG_TRUNC in the call, the full length is
//   returned); a zero-length datagram is a datagram;
// - a receive queue holds what fits in SO_RCVBUF (charged to the sandbox's
//   memory account); a datagram past that is dropped, as Linux drops it;
// - connect sets the default destination and filters what arrives to the
//   peer's datagrams; AF_UNSPEC disconnects; a datagram a connected socket
//   sends to a loopback port nobody has comes back as ECONNREFUSED on its
//   next call (Linux's ICMP port unreachable), an unconnected one's is lost;
// - sendto without an address on an unconnected socket is EDESTADDRREQ,
//   more than 65507 bytes (65527 over IPv6) EMSGSIZE, port 0 EINVAL;
// - readiness as datagram_poll: POLLIN with a datagram queued, POLLOUT
//   always, POLLERR with a pending error, POLLRDHUP/POLLHUP after shutdown.
import { E } from '../../errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM } from '../../fd/readiness.js';
import { AF_INET, AF_INET6, AF_UNSPEC } from '../families.js';
import { sockaddrFamily } from '../sockaddr.js';
import { type InMessage, MSG_PEEK, MSG_TRUNC, type OutMessage, SOCK_DGRAM, type Socket, type SocketContext } from '../socket.js';
import { decodeSockaddr, type Endpoint, encodeSockaddr, type Sockaddr, V4_LOOPBACK, V6_LOOPBACK } from './address.js';
import { sendHost } from './host-udp.js';
import { InetSocket, RCV_SHUTDOWN, SHUTDOWN_MASK } from './inet-socket.js';
import type { PortTable } from './ports.js';

/** The largest UDP payload: 65535 less the IPv4 and UDP headers, or less the UDP header over IPv6. */
export const UDP_MAX_V4 = 65507;
export const UDP_MAX_V6 = 65527;
/** What a queued datagram costs besides its bytes (Linux counts the skb's truesize against SO_RCVBUF). */
const DATAGRAM_OVERHEAD = 256;
/** The TCP_* state numbers /proc/net/udp shows: a connected UDP socket is "established". */
const TCP_ESTABLISHED = 1;
const TCP_CLOSE = 7;

interface Datagram {
  readonly data: Uint8Array;
  readonly from: Endpoint;
}

export class UdpSocket extends InetSocket {
  readonly #queue: Datagram[] = [];
  /** Bytes counted against SO_RCVBUF (and charged to the account). */
  #queued = 0;
  /** Closes the host sockets this socket sent through (host-udp.ts). */
  hostClose: (() => void) | null = null;

  constructor(family: number, protocol: number, ctx: SocketContext, flags: number) {
    super(family, SOCK_DGRAM, protocol, ctx, flags);
  }

  protected get table(): PortTable<InetSocket> {
    return this.stack.udp;
  }

  get listening(): boolean {
    return false;
  }

  /** SIOCINQ on UDP: the size of the next datagram. */
  get inq(): number {
    return this.#queue[0]?.data.length ?? 0;
  }

  get procState(): number {
    return this.remote === null ? TCP_CLOSE : TCP_ESTABLISHED;
  }

  /** Bytes queued, as Linux counts sk_rmem_alloc (each datagram with its overhead). */
  get procRxQueue(): number {
    return this.#queued;
  }

  listen(): number {
    return -E.EOPNOTSUPP;
  }

  accept(): Socket | number {
    return -E.EOPNOTSUPP;
  }

  connect(bytes: Uint8Array): number {
    if (bytes.length < 2) return -E.EINVAL;
    if (sockaddrFamily(bytes) === AF_UNSPEC) {
      this.remote = null;
      if (!this.userBound) this.unbind();
      else if (this.binding !== null) this.local = { ip: this.binding.ip, port: this.binding.port };
      this.notify();
      return 0;
    }
    const dst = this.destination(bytes);
    if (typeof dst === 'number') return dst;
    const r = this.stack.reachable(dst.ip, dst.port);
    if (r < 0) return r;
    if (this.autobind() < 0) return -E.EAGAIN;
    this.remote = { ip: dst.ip, port: dst.port };
    this.local = { ip: this.sourceFor(dst.ip), port: this.local!.port };
    this.error = 0;
    this.notify();
    return 0;
  }

  shutdown(how: number): number {
    this.shut |= how + 1;
    this.notify();
    return this.remote === null ? -E.ENOTCONN : 0;
  }

  /** Where a send goes: its address (as udp_sendmsg and udpv6_sendmsg read it) or the connected peer. */
  #target(msg: OutMessage): Endpoint | number {
    const addr = msg.addr !== null && msg.addr.length > 0 ? msg.addr : null;
    const family = addr === null ? AF_UNSPEC : sockaddrFamily(addr);
    // On a v6 socket AF_UNSPEC means no address; a sockaddr_in is taken unless IPV6_V6ONLY.
    if (addr === null || (this.v6 && family === AF_UNSPEC)) return this.remote ?? -E.EDESTADDRREQ;
    let dst: Sockaddr | number;
    if (this.v6 && family === AF_INET) dst = this.v6only ? -E.ENETUNREACH : decodeSockaddr(AF_INET, addr);
    else if (this.v6 && family !== AF_INET6) dst = -E.EINVAL;
    else dst = this.destination(addr);
    if (typeof dst === 'number') return dst;
    if (dst.port === 0) return -E.EINVAL;
    return dst.ip.isUnspecified ? { ip: dst.ip.isV4 ? V4_LOOPBACK : V6_LOOPBACK, port: dst.port } : dst;
  }

  send(msg: OutMessage): number {
    const dst = this.#target(msg);
    if (typeof dst === 'number') return dst;
    if (msg.size > (dst.ip.isV4 ? UDP_MAX_V4 : UDP_MAX_V6)) return -E.EMSGSIZE;
    const unreachable = this.stack.reachable(dst.ip, dst.port);
    if (unreachable < 0) return unreachable;
    if (this.autobind() < 0) return -E.EAGAIN;
    const data = new Uint8Array(msg.size);
    if (msg.read(0, data) < msg.size) return -E.EFAULT;
    msg.done = msg.size;
    const from = { ip: this.sourceFor(dst.ip), port: this.local!.port };
    if (this.stack.isLocal(dst.ip)) {
      const to = this.stack.udp.lookup(dst.ip, dst.port, (b) => (b.owner as UdpSocket).acceptsFrom(from));
      if (to.length > 0) {
        const best = to.filter((b) => b.ip.equals(to[0]!.ip));
        (best[from.port % best.length]!.owner as UdpSocket).deliver(data, from);
        return msg.size;
      }
      if (!this.stack.hostAllowed(dst.ip, dst.port)) {
        // Port unreachable: reported to a connected sender only.
        if (this.remote !== null) {
          this.error = E.ECONNREFUSED;
          this.notify();
        }
        return msg.size;
      }
    }
    sendHost(this, data, dst);
    return msg.size;
  }

  /** Whether a datagram from `src` may be queued here (a connected socket takes only its peer's). */
  acceptsFrom(src: Endpoint): boolean {
    return this.remote === null || (this.remote.ip.equals(src.ip) && this.remote.port === src.port);
  }

  /**
   * Queues a datagram, or drops it when SO_RCVBUF is already exceeded or the
   * sandbox's memory is full. As Linux's __udp_enqueue_schedule_skb, a
   * queue within its buffer takes one more datagram whatever its size: a
   * datagram larger than SO_RCVBUF arrives when the queue is short.
   */
  deliver(data: Uint8Array, from: Endpoint): void {
    const cost = data.length + DATAGRAM_OVERHEAD;
    if (this.#queued > this.rcvbuf) return;
    if (this.ctx.account && !this.ctx.account.charge(cost)) return;
    this.#queued += cost;
    this.#queue.push({ data, from });
    this.notify();
  }

  recv(msg: InMessage): number {
    if (this.error) return -this.takeError();
    const d = this.#queue[0];
    if (d === undefined) return this.shut & RCV_SHUTDOWN ? 0 : -E.EAGAIN;
    const n = Math.min(msg.size, d.data.length);
    if (n > 0 && msg.write(0, d.data.subarray(0, n)) < n) return -E.EFAULT;
    msg.done = n;
    msg.addr = encodeSockaddr(this.family, d.from);
    if (n < d.data.length) msg.msgFlags |= MSG_TRUNC;
    if ((msg.flags & MSG_PEEK) === 0) this.#drop();
    return msg.flags & MSG_TRUNC ? d.data.length : n;
  }

  #drop(): void {
    const d = this.#queue.shift()!;
    const cost = d.data.length + DATAGRAM_OVERHEAD;
    this.#queued -= cost;
    this.ctx.account?.uncharge(cost);
  }

  readiness(): number {
    let m = POLLOUT | POLLWRNORM;
    if (this.error) m |= POLLERR;
    if (this.shut & RCV_SHUTDOWN) m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (this.shut === SHUTDOWN_MASK) m |= POLLHUP;
    if (this.#queue.length > 0) m |= POLLIN | POLLRDNORM;
    return m;
  }

  protected release(): void {
    while (this.#queue.length > 0) this.#drop();
    this.hostClose?.();
    this.unbind();
  }
}
