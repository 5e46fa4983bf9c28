// What TCP and UDP sockets share: binding (address checks, the port table,
// ephemeral ports), their names, the pending socket error (SO_ERROR), the
// shutdown bits, and the option levels (options.ts).
import { E } from '../../errno.js';
import { AF_INET6, AF_UNSPEC } from '../families.js';
import { SOL_SOCKET } from '../msghdr.js';
import { Socket, type SocketContext } from '../socket.js';
import { intBytes, SO_ERROR, SO_PEERCRED, SO_REUSEADDR, SO_REUSEPORT } from '../sockopt.js';
import {
  decodeSockaddr,
  type Endpoint,
  encodeSockaddr,
  type Ip,
  type Sockaddr,
  V4_ANY,
  V4_LOOPBACK,
  V6_ANY,
  V6_LOOPBACK,
} from './address.js';
import { InetOptions, IPPROTO_IPV6, IPV6_V6ONLY, levelsFor } from './options.js';
import type { Binding, PortTable } from './ports.js';
import { type InetStack, inetStack } from './stack.js';

/** sk_shutdown bits: SHUT_RD sets RCV_SHUTDOWN, SHUT_WR SEND_SHUTDOWN (how + 1). */
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = 3;
/** /proc/sys/net/ipv4/ip_unprivileged_port_start. */
const PRIVILEGED_BELOW = 1024;

export abstract class InetSocket extends Socket {
  readonly stack: InetStack;
  protected readonly opts: InetOptions;
  v6only = false;
  /** The port table entry; null while unbound. */
  protected binding: Binding<InetSocket> | null = null;
  /** Bound by bind(2) (kept across a failed connect), not picked by connect or sendto. */
  protected userBound = false;
  /** The local name: the bound address, or once connected the source address. */
  local: Endpoint | null = null;
  /** The connected peer. */
  remote: Endpoint | null = null;
  /** The pending socket error (sk_err), reported once by SO_ERROR or the next call. */
  error = 0;
  /** RCV_SHUTDOWN | SEND_SHUTDOWN. */
  shut = 0;

  constructor(family: number, type: number, protocol: number, ctx: SocketContext, flags: number) {
    super(family, type, protocol, ctx, flags);
    this.stack = inetStack(ctx.kernel);
    this.opts = new InetOptions(levelsFor(family === AF_INET6, protocol));
    this.stack.sockets.add(this);
  }

  protected abstract get table(): PortTable<InetSocket>;

  /** /proc/net's st column: Linux's TCP_* state number (UDP: TCP_ESTABLISHED once connected, else TCP_CLOSE). */
  abstract get procState(): number;

  /** /proc/net's rx_queue: bytes received and not read (a listener: connections waiting for accept). */
  abstract get procRxQueue(): number;

  override close(): void {
    this.stack.sockets.delete(this);
    super.close();
  }

  get v6(): boolean {
    return this.family === AF_INET6;
  }

  /** Takes the pending error (0 when none). */
  takeError(): number {
    const e = this.error;
    this.error = 0;
    return e;
  }

  /** The wildcard address of this socket's family (what listen or an unbound send binds). */
  protected get anyAddress(): Ip {
    return this.v6 ? V6_ANY : V4_ANY;
  }

  /** The source address for a destination: the bound address unless it is a wildcard, else the loopback of the destination's family. */
  protected sourceFor(dst: Ip): Ip {
    const bound = this.local?.ip;
    if (bound !== undefined && !bound.isUnspecified) return bound;
    return dst.isV4 ? V4_LOOPBACK : V6_LOOPBACK;
  }

  /** A destination sockaddr for connect or sendto, with an unspecified address meaning loopback (as Linux). */
  protected destination(bytes: Uint8Array): Sockaddr | number {
    const a = decodeSockaddr(this.family, bytes);
    if (typeof a === 'number') return a;
    if (this.v6 && a.ip.isV4 && this.v6only) return -E.ENETUNREACH;
    if (!a.ip.isUnspecified) return a;
    return { ...a, ip: a.ip.isV4 ? V4_LOOPBACK : V6_LOOPBACK };
  }

  bind(bytes: Uint8Array): number {
    const a = decodeSockaddr(this.family, bytes);
    if (typeof a === 'number') return a;
    if (a.family === AF_UNSPEC && (this.v6 || !a.ip.isUnspecified)) return -E.EAFNOSUPPORT;
    if (this.v6 && a.ip.isV4 && this.v6only) return -E.EINVAL;
    if (!this.stack.isLocal(a.ip)) return -E.EADDRNOTAVAIL;
    if (a.port !== 0 && a.port < PRIVILEGED_BELOW && this.ctx.creds.uid !== 0) return -E.EACCES;
    if (this.binding !== null) return -E.EINVAL;
    // A v6 socket bound to a v6 address other than :: takes no v4 traffic (Linux sets ipv6only).
    const v6only = this.v6only || (this.v6 && !a.ip.isV4 && !a.ip.isUnspecified);
    const r = this.bindTo(a.ip, a.port, v6only);
    if (r < 0) return r;
    this.v6only = v6only;
    this.userBound = true;
    return 0;
  }

  /** Takes `ip`:`port` (0: an ephemeral port) in the table: 0 or -EADDRINUSE. */
  protected bindTo(ip: Ip, port: number, v6only = this.v6only): number {
    const b = this.table.bind({
      ip,
      port,
      v6only,
      reuseAddr: (this.options.get(SO_REUSEADDR) ?? 0) !== 0,
      reusePort: (this.options.get(SO_REUSEPORT) ?? 0) !== 0,
      uid: this.ctx.creds.uid,
      owner: this,
    });
    if (typeof b === 'number') return b;
    this.binding = b;
    this.local = { ip, port: b.port };
    return 0;
  }

  /** Binds an unbound socket to the wildcard on an ephemeral port (connect, listen, sendto): 0 or -EADDRINUSE. */
  protected autobind(): number {
    return this.binding !== null ? 0 : this.bindTo(this.anyAddress, 0);
  }

  /** Gives the port back (close; a failed connect of a socket connect bound). */
  protected unbind(): void {
    if (this.binding !== null) this.table.unbind(this.binding);
    this.binding = null;
    this.local = null;
    this.userBound = false;
  }

  name(peer: boolean): Uint8Array | number {
    if (peer) return this.remote === null ? -E.ENOTCONN : encodeSockaddr(this.family, this.remote);
    return encodeSockaddr(this.family, this.local ?? { ip: this.anyAddress, port: 0 });
  }

  override familyOption(level: number, name: number): Uint8Array | number {
    if (level === SOL_SOCKET) {
      if (name === SO_ERROR) return intBytes(this.takeError());
      // An inet peer has no credentials: pid 0, uid and gid -1 (Linux's cred_to_ucred without a cred).
      if (name === SO_PEERCRED) return Uint8Array.of(0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255);
      return -E.ENOPROTOOPT;
    }
    if (level === IPPROTO_IPV6 && name === IPV6_V6ONLY && this.v6) return intBytes(this.v6only ? 1 : 0);
    return this.opts.getBytes(level, name);
  }

  override setFamilyOption(level: number, name: number, value: Uint8Array): number {
    if (level === SOL_SOCKET) return -E.ENOPROTOOPT;
    if (level === IPPROTO_IPV6 && name === IPV6_V6ONLY && this.v6) {
      if (value.length < 4) return -E.EINVAL;
      if (this.binding !== null) return -E.EINVAL;
      this.v6only = value[0] !== 0 || value[1] !== 0 || value[2] !== 0 || value[3] !== 0;
      return 0;
    }
    return this.opts.set(level, name, value);
  }
}
