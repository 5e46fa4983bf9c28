// The port table of one protocol (TCP or UDP) in one sandbox: who holds
// which address and port, bind's conflict rules, ephemeral ports, and
// which socket a packet for an address and port reaches.
//
// Linux's rules as the sandbox needs them (net/ipv4/inet_connection_sock.c,
// udp.c): two bindings of a port conflict when their addresses overlap —
// equal, or one is a wildcard covering the other (0.0.0.0 covers IPv4; ::
// covers IPv6, and IPv4 too unless IPV6_V6ONLY). They may share the port
// when both set SO_REUSEPORT (same owner uid), or both set SO_REUSEADDR and
// (for TCP) the one holding it does not listen; listen() checks again, so
// of two such sockets the first may listen and the second not.
// Sockets made by accept share their listener's port and keep holding it
// after the listener is closed, as on Linux (a restarted server without
// SO_REUSEADDR gets EADDRINUSE while old connections live).
import { E } from '../../errno.js';
import type { Ip } from './address.js';

/** /proc/sys/net/ipv4/ip_local_port_range. */
export const EPHEMERAL_LOW = 32768;
export const EPHEMERAL_HIGH = 60999;

export interface Binding<T> {
  readonly ip: Ip;
  readonly port: number;
  readonly v6only: boolean;
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  readonly uid: number;
  /** A TCP listener (SO_REUSEADDR does not share with it). */
  listening: boolean;
  /** Held by a connection in TIME_WAIT (time-wait.ts): an ephemeral port search passes over it. */
  readonly timeWait?: boolean;
  readonly owner: T;
}

export type BindRequest<T> = Omit<Binding<T>, 'port' | 'listening'> & { port: number; listening?: boolean };

/** Whether traffic to `ip` reaches binding `b` by address. */
export function covers(b: { ip: Ip; v6only: boolean }, ip: Ip): boolean {
  if (b.ip.equals(ip)) return true;
  if (!b.ip.isUnspecified) return false;
  if (b.ip.isV4) return ip.isV4;
  return !ip.isV4 || !b.v6only;
}

function overlap<T>(a: Binding<T>, b: Binding<T>): boolean {
  return covers(a, b.ip) || covers(b, a.ip);
}

export class PortTable<T> {
  readonly #ports = new Map<number, Binding<T>[]>();
  /** Where the next ephemeral search starts (Linux starts at a random offset; any start is valid). */
  #next = EPHEMERAL_LOW + Math.floor(Math.random() * (EPHEMERAL_HIGH - EPHEMERAL_LOW + 1));

  constructor(
    /** TCP: SO_REUSEADDR does not share with a listener; UDP: it always shares. */
    private readonly stream: boolean,
  ) {}

  /** Whether `b` may take the port `held` has (Linux looks at the holder's state only: the first of two SO_REUSEADDR sockets may listen). */
  #shares(held: Binding<T>, b: Binding<T>): boolean {
    if (held.reusePort && b.reusePort && held.uid === b.uid) return true;
    return held.reuseAddr && b.reuseAddr && (!this.stream || !held.listening);
  }

  /** Whether `b` conflicts with a binding other than `ignore` (and, for an ephemeral search, other than a TIME_WAIT one). */
  #conflicts(b: Binding<T>, ignore?: Binding<T>, ephemeral = false): boolean {
    for (const o of this.#ports.get(b.port) ?? []) {
      if (o !== ignore && !(ephemeral && o.timeWait === true) && overlap(o, b) && !this.#shares(o, b)) return true;
    }
    return false;
  }

  /**
   * Adds a binding; port 0 picks a free ephemeral port. EADDRINUSE when the
   * port is taken (or, for port 0, when no ephemeral port is free).
   */
  bind(req: BindRequest<T>): Binding<T> | number {
    const b: Binding<T> = { listening: false, ...req };
    if (b.port !== 0) {
      if (this.#conflicts(b)) return -E.EADDRINUSE;
      return this.#add(b);
    }
    const span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
    for (let i = 0; i < span; i++) {
      const port = EPHEMERAL_LOW + ((this.#next - EPHEMERAL_LOW + i) % span);
      const c = { ...b, port };
      if (!this.#conflicts(c, undefined, true)) {
        this.#next = port + 1;
        return this.#add(c);
      }
    }
    return -E.EADDRINUSE;
  }

  /** Adds a binding that shares a port it was given (an accepted connection's, its listener's), with no conflict check. */
  attach(b: Binding<T>): Binding<T> {
    return this.#add({ ...b });
  }

  #add(b: Binding<T>): Binding<T> {
    let list = this.#ports.get(b.port);
    if (list === undefined) this.#ports.set(b.port, (list = []));
    list.push(b);
    return b;
  }

  /** listen(): marks `b` listening, or EADDRINUSE when a SO_REUSEADDR neighbour now conflicts. */
  listen(b: Binding<T>): number {
    const was = b.listening;
    b.listening = true;
    if (this.#conflicts(b, b)) {
      b.listening = was;
      return -E.EADDRINUSE;
    }
    return 0;
  }

  unbind(b: Binding<T>): void {
    const list = this.#ports.get(b.port);
    if (list === undefined) return;
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#ports.delete(b.port);
  }

  /**
   * The bindings a packet to `ip`:`port` may reach, best first: an exact
   * address before a wildcard, and for IPv4 a v4 socket's wildcard before
   * a dual-stack one (as Linux's compute_score). `accepts` narrows them
   * (a listener; a connected UDP socket's peer).
   */
  lookup(ip: Ip, port: number, accepts: (b: Binding<T>) => boolean): Binding<T>[] {
    const score = (b: Binding<T>): number => (b.ip.equals(ip) ? 4 : 0) + (b.ip.isV4 === ip.isV4 ? 1 : 0);
    return (this.#ports.get(port) ?? []).filter((b) => covers(b, ip) && accepts(b)).sort((a, b) => score(b) - score(a));
  }
}
