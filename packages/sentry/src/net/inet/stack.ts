// One sandbox's IP stack: its TCP and UDP port tables, the network policy,
// and the host sockets it holds on the guest's behalf (closed with the
// sandbox). Sockets find it through their context's kernel, so two
// sandboxes in one host process never share a port or a connection.
import { E } from '../../errno.js';
import type { Ip } from './address.js';
import { allows, NET_NONE, type NetPolicy } from './policy.js';
import { PortTable } from './ports.js';
import type { InetSocket } from './inet-socket.js';
import { TimeWaits } from './time-wait.js';

/** Something held on the host for the sandbox (a Node socket or server). */
export interface HostResource {
  destroy(): void;
}

export class InetStack {
  /** Owners are TcpSocket and UdpSocket respectively. */
  readonly tcp = new PortTable<InetSocket>(true);
  readonly udp = new PortTable<InetSocket>(false);
  /** Every open TCP and UDP socket of the sandbox, in the order they were made (/proc/net/tcp, udp). */
  readonly sockets = new Set<InetSocket>();
  /** TCP connections in TIME_WAIT, holding their ports. */
  readonly timeWait = new TimeWaits(this.tcp);
  readonly #host = new Set<HostResource>();
  #closed = false;

  constructor(readonly policy: NetPolicy) {}

  /** Whether `ip` is the sandbox's own: loopback, or unspecified (which connect and sendto take as loopback, as Linux does). */
  isLocal(ip: Ip): boolean {
    return ip.isLoopback || ip.isUnspecified;
  }

  /** Whether a connection or datagram to `ip`:`port` that no sandbox socket takes may go through the host's network. */
  hostAllowed(ip: Ip, port: number): boolean {
    return !this.#closed && allows(this.policy, ip, port);
  }

  /** -ENETUNREACH for a destination neither local nor allowed, else 0. */
  reachable(ip: Ip, port: number): number {
    return this.isLocal(ip) || this.hostAllowed(ip, port) ? 0 : -E.ENETUNREACH;
  }

  /** Keeps `r` until it is released or the stack shuts down. */
  hold(r: HostResource): void {
    if (this.#closed) r.destroy();
    else this.#host.add(r);
  }

  release(r: HostResource): void {
    this.#host.delete(r);
  }

  /** The sandbox ended: every host socket and server is destroyed, and none is made again. */
  shutdown(): void {
    this.#closed = true;
    this.timeWait.shutdown();
    for (const r of this.#host) r.destroy();
    this.#host.clear();
  }
}

const stacks = new WeakMap<object, InetStack>();

/** The stack of the sandbox whose kernel is `kernel` (made with policy 'none' on first use). */
export function inetStack(kernel: object): InetStack {
  let s = stacks.get(kernel);
  if (s === undefined) stacks.set(kernel, (s = new InetStack(NET_NONE)));
  return s;
}

/** Gives the sandbox of `kernel` its policy; before its first socket (at boot). */
export function setInetStack(kernel: object, policy: NetPolicy): InetStack {
  const s = new InetStack(policy);
  stacks.set(kernel, s);
  return s;
}
