// TCP sockets on the sandbox's loopback, with Linux's observable behaviour
// (net/ipv4/tcp.c, inet_connection_sock.c, af_inet.c) and no packets: a
// connection is two sockets that hand each other bytes, a FIN or a reset.
// The far end is a TcpPeer: another sandbox socket, or a host connection
// (host-tcp.ts) the Sentry carries for the guest under the network policy.
//
// States as the guest can tell them apart: closed (new, failed, reset or
// done), listen, syn-sent (waiting for room in a full backlog, or for the
// host), established. `shut` holds Linux's sk_shutdown bits: RCV_SHUTDOWN
// once the peer's FIN arrives or after SHUT_RD, SEND_SHUTDOWN after
// SHUT_WR; a reset sets both. The socket's own connect state (Linux's
// sock->state) is kept apart, since a nonblocking connect that succeeded
// or failed is reported by the next connect call.
//
// Linux's rules kept here:
// - connect to a port nobody listens on: ECONNREFUSED (nonblocking:
//   EINPROGRESS, then POLLOUT|POLLERR|POLLHUP and SO_ERROR ECONNREFUSED);
//   a nonblocking connect that succeeds still answers EINPROGRESS;
// - a listener's accept queue holds backlog + 1 connections; past that a
//   connect waits (Linux's SYN is dropped and retried) until accept makes
//   room;
// - close with unread received bytes, or with SO_LINGER {1, 0}, resets
//   the connection: the peer's next call fails with ECONNRESET (EPIPE if
//   it had already read the FIN), then reads 0 and writes EPIPE; closing a
//   listener resets the connections it had not accepted;
// - an orderly close sends a FIN; the peer's next write is taken and
//   answered with a reset, the one after fails with EPIPE (SIGPIPE unless
//   MSG_NOSIGNAL, raised by the syscall layer);
// - readiness as tcp_poll: POLLHUP when both directions are shut or the
//   socket is closed (a new socket polls POLLOUT|POLLHUP), POLLIN|POLLRDHUP
//   after the FIN, POLLOUT while the peer has room, POLLERR with an error.
import { E } from '../../errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM } from '../../fd/readiness.js';
import { O_NONBLOCK, O_RDWR } from '../../vfs/index.js';
import { AF_UNSPEC } from '../families.js';
import {
  type InMessage,
  MSG_PEEK,
  MSG_WAITALL,
  type OutMessage,
  SOCKET_COST,
  SOCK_STREAM,
  type Socket,
  type SocketContext,
} from '../socket.js';
import type { Endpoint, Ip } from './address.js';
import { ByteQueue } from './byte-queue.js';
import { connectHost } from './host-tcp.js';
import { InetSocket, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK } from './inet-socket.js';
import { IPPROTO_TCP, TCP_CONGESTION, TCP_INFO } from './options.js';
import type { PortTable } from './ports.js';
import type { Closing } from './time-wait.js';
import type { InetStack } from './stack.js';

/** tcp_rmem[1] and tcp_wmem[1]: a TCP socket's default SO_RCVBUF and SO_SNDBUF. */
export const TCP_RMEM_DEFAULT = 131072;
export const TCP_WMEM_DEFAULT = 16384;
/** sizeof(struct tcp_info) on Linux 6.x. */
const TCP_INFO_LEN = 232;
const CONGESTION = ['cubic', 'reno'];
/** Linux's TCP_* state numbers, for TCP_INFO. */
const STATE_NUMBER = { established: 1, 'syn-sent': 2, closed: 7, listen: 10 } as const;

type State = keyof typeof STATE_NUMBER;

/** The far end of a connection, as one TCP socket sees it. */
export interface TcpPeer {
  /** Bytes it would take now. */
  room(): number;
  /** Takes `bytes` (no more than room()); `owned`: it may keep the array. False when its memory account is full. */
  receive(bytes: Uint8Array, owned: boolean): boolean;
  /** The other end sent its FIN: no more bytes will come. */
  receiveFin(): void;
  /** The other end reset the connection. */
  receiveReset(): void;
  /** The other end closed without a reset: whatever is written to it from now on is answered with a reset. */
  peerClosed(): void;
  /** The other end read bytes: there may be room to write again. */
  windowOpened(): void;
}

export class TcpSocket extends InetSocket implements TcpPeer {
  state: State = 'closed';
  /** Linux's sock->state: a nonblocking connect's outcome is reported by the next connect. */
  #connect: 'unconnected' | 'connecting' | 'connected' = 'unconnected';
  readonly #rx: ByteQueue;
  #peer: TcpPeer | null = null;
  /** The peer closed: the next write is answered with a reset. */
  #peerGone = false;
  /** The peer's FIN arrived (a reset then reports EPIPE, as in CLOSE_WAIT). */
  #finReceived = false;
  /** This end sent its FIN before the peer's came (an active close): what enters TIME_WAIT when the peer's FIN arrives. */
  #activeClose: Closing | null = null;
  /** Connected once: a read of a closed socket is EOF, not ENOTCONN. */
  #done = false;
  // A listener's connections not yet accepted, and connectors waiting for room.
  #backlog = 0;
  readonly #queue: TcpSocket[] = [];
  readonly #waiters: TcpSocket[] = [];
  /** The listener a syn-sent socket waits on. */
  #waitingOn: TcpSocket | null = null;
  /** Ends a host connection attempt or connection (host-tcp.ts). */
  #hostClose: ((reset: boolean) => void) | null = null;

  constructor(family: number, protocol: number, ctx: SocketContext, flags: number) {
    super(family, SOCK_STREAM, protocol, ctx, flags);
    this.#rx = new ByteQueue(ctx.account);
    this.sndbuf = TCP_WMEM_DEFAULT;
    this.rcvbuf = TCP_RMEM_DEFAULT;
  }

  protected get table(): PortTable<InetSocket> {
    return this.stack.tcp;
  }

  get listening(): boolean {
    return this.state === 'listen';
  }

  get inq(): number {
    return this.#rx.size;
  }

  get procState(): number {
    return STATE_NUMBER[this.state];
  }

  get procRxQueue(): number {
    return this.state === 'listen' ? this.#queue.length : this.#rx.size;
  }

  // --- TcpPeer: what the far end does to this socket ---

  room(): number {
    return Math.max(0, this.rcvbuf - this.#rx.size);
  }

  receive(bytes: Uint8Array, owned: boolean): boolean {
    if (!this.#rx.push(bytes, owned)) return false;
    this.notify();
    return true;
  }

  receiveFin(): void {
    this.#finReceived = true;
    this.shut |= RCV_SHUTDOWN;
    const closing = this.#activeClose;
    this.#activeClose = null;
    if (closing !== null) this.stack.timeWait.enter(closing);
    this.notify();
  }

  receiveReset(): void {
    this.#activeClose = null;
    if (this.state === 'closed') return;
    if (this.state === 'syn-sent') this.error = E.ECONNREFUSED;
    else this.error = this.#finReceived && !(this.shut & SEND_SHUTDOWN) ? E.EPIPE : E.ECONNRESET;
    this.#finish();
  }

  peerClosed(): void {
    this.#peerGone = true;
    this.notify();
  }

  windowOpened(): void {
    this.notify();
  }

  /** A host connection attempt failed, or the host connection ended with an error: `errno` is what the guest sees. */
  hostFailed(errno: number): void {
    if (this.state === 'closed') return;
    this.error = errno;
    this.#finish();
  }

  // --- Connection set-up ---

  /** The connection is up (a sandbox peer, or the host's): `local` is the name this end now has. */
  established(peer: TcpPeer, remote: Endpoint, local: Endpoint, hostClose: ((reset: boolean) => void) | null = null): void {
    this.#peer = peer;
    this.remote = remote;
    this.local = local;
    this.#hostClose = hostClose;
    this.state = 'established';
    this.#done = true;
    this.#waitingOn = null;
    this.notify();
  }

  /** The connection ended (reset, refused, disconnected): closed, both directions shut; a port connect picked is given back. */
  #finish(): void {
    this.state = 'closed';
    this.shut = SHUTDOWN_MASK;
    this.#peer = null;
    this.#hostClose = null;
    this.#waitingOn = null;
    if (!this.userBound) this.unbind();
    this.notify();
  }

  connect(bytes: Uint8Array, nonblocking: boolean): number {
    if (this.#connect === 'connected') return -E.EISCONN;
    if (this.#connect === 'connecting') {
      if (this.state === 'syn-sent') return nonblocking ? -E.EALREADY : -E.EAGAIN;
      if (this.state === 'closed') {
        this.#connect = 'unconnected';
        return -(this.takeError() || E.ECONNABORTED);
      }
      this.#connect = 'connected';
      return 0;
    }
    if (bytes.length >= 2 && (bytes[0]! | (bytes[1]! << 8)) === AF_UNSPEC) return this.#disconnect();
    if (this.state !== 'closed') return -E.EISCONN;
    const dst = this.destination(bytes);
    if (typeof dst === 'number') return dst;
    const unreachable = this.stack.reachable(dst.ip, dst.port);
    if (unreachable < 0) return unreachable;
    const bound = this.autobind();
    if (bound < 0) return -E.EADDRNOTAVAIL;
    this.shut = 0;
    this.error = 0;
    this.#peerGone = false;
    this.#finReceived = false;
    const local = { ip: this.sourceFor(dst.ip), port: this.local!.port };
    this.#connect = 'connecting';
    const listener = this.stack.isLocal(dst.ip) ? listenerFor(this.stack, dst, this.local!.port) : null;
    if (listener === null && this.stack.hostAllowed(dst.ip, dst.port)) {
      this.state = 'syn-sent';
      this.remote = dst;
      this.#hostClose = connectHost(this, dst);
      return nonblocking ? -E.EINPROGRESS : -E.EAGAIN;
    }
    if (listener === null) {
      this.error = E.ECONNREFUSED;
      this.state = 'syn-sent';
      this.#finish();
      if (nonblocking) return -E.EINPROGRESS;
      this.#connect = 'unconnected';
      return -this.takeError();
    }
    this.remote = dst;
    this.local = local;
    if (!listener.#join(this)) {
      this.state = 'syn-sent';
      this.#waitingOn = listener;
      listener.#waiters.push(this);
      return nonblocking ? -E.EINPROGRESS : -E.EAGAIN;
    }
    if (nonblocking) return -E.EINPROGRESS;
    this.#connect = 'connected';
    return 0;
  }

  /**
   * A connection to this listener from `peer` at `remote`, made to
   * `localIp`, when the accept queue has room (backlog + 1 entries, as
   * Linux's sk_acceptq_is_full): the accepted end, linked and queued. Null
   * when full, or when the sandbox's memory cannot hold another socket
   * (a sandbox connector then waits as for a full queue).
   */
  admit(peer: TcpPeer, remote: Endpoint, localIp: Ip, hostClose: ((reset: boolean) => void) | null = null): TcpSocket | null {
    if (this.state !== 'listen' || this.#queue.length > this.#backlog) return null;
    const account = this.ctx.account;
    if (account && !account.charge(SOCKET_COST)) return null;
    const child = new TcpSocket(this.family, this.protocol, this.ctx, 0);
    child.#inherit(this);
    child.binding = this.stack.tcp.attach({ ...this.binding!, ip: localIp, listening: false, owner: child });
    child.userBound = true;
    child.established(peer, remote, { ip: localIp, port: this.local!.port }, hostClose);
    this.#queue.push(child);
    this.notify();
    return child;
  }

  /** Connects `client` (its remote and local set) through this listener: false when it must wait. */
  #join(client: TcpSocket): boolean {
    const child = this.admit(client, client.local!, client.remote!.ip);
    if (child === null) return false;
    client.established(child, client.remote!, client.local!);
    return true;
  }

  /** An accepted socket takes its listener's options, as Linux's clone of the listening sock. */
  #inherit(l: TcpSocket): void {
    for (const [k, v] of l.options) this.options.set(k, v);
    this.opts.copyFrom(l.opts);
    this.sndbuf = l.sndbuf;
    this.rcvbuf = l.rcvbuf;
    this.linger = [...l.linger];
    this.v6only = l.v6only;
  }

  /** connect(AF_UNSPEC): a connection is reset and the socket may connect again; a listener stops listening. */
  #disconnect(): number {
    if (this.state === 'listen') this.#stopListening();
    else if (this.state !== 'closed') this.#abort();
    this.#connect = 'unconnected';
    this.shut = 0;
    this.remote = null;
    this.#done = false;
    return 0;
  }

  /**
   * Sends this end's FIN to a sandbox peer. Sent before the peer's came, it
   * makes this an active close, whose addresses enter TIME_WAIT when the
   * peer's FIN arrives (receiveFin), even after this socket is closed.
   */
  #sendFin(): void {
    const b = this.binding;
    if (!this.#finReceived && this.#hostClose === null && b !== null && this.local !== null && this.remote !== null) {
      this.#activeClose = { binding: b, local: this.local, remote: this.remote, v6: this.v6 };
    }
    this.#peer?.receiveFin();
  }

  /** Resets the connection: the peer gets ECONNRESET, unread bytes are dropped. */
  #abort(): void {
    this.#activeClose = null;
    const peer = this.#peer;
    const host = this.#hostClose;
    this.#rx.clear();
    const listener = this.#waitingOn;
    if (listener !== null) listener.#dropWaiter(this);
    this.#finish();
    if (host !== null) host(true);
    else peer?.receiveReset();
  }

  #dropWaiter(s: TcpSocket): void {
    const i = this.#waiters.indexOf(s);
    if (i >= 0) this.#waiters.splice(i, 1);
  }

  listen(backlog: number): number {
    if (this.#connect !== 'unconnected' || (this.state !== 'closed' && this.state !== 'listen')) return -E.EINVAL;
    this.#backlog = backlog;
    if (this.state === 'listen') {
      this.#admitWaiters();
      return 0;
    }
    if (this.autobind() < 0) return -E.EADDRINUSE;
    const r = this.stack.tcp.listen(this.binding!);
    if (r < 0) return r;
    this.userBound = true;
    this.state = 'listen';
    this.shut = 0;
    this.notify();
    return 0;
  }

  #admitWaiters(): void {
    while (this.#waiters.length > 0 && this.#join(this.#waiters[0]!)) this.#waiters.shift();
  }

  accept(flags: number): Socket | number {
    if (this.state !== 'listen') return -E.EINVAL;
    const child = this.#queue.shift();
    if (child === undefined) return -E.EAGAIN;
    child.flags = O_RDWR | (flags & O_NONBLOCK);
    child.#connect = 'connected';
    this.#admitWaiters();
    return child;
  }

  /** Closes a listener's queue: accepted-to-be connections are reset, waiting connectors refused. */
  #stopListening(): void {
    for (const child of this.#queue.splice(0)) {
      child.#abort();
      child.close();
    }
    for (const w of this.#waiters.splice(0)) w.receiveReset();
    if (this.binding !== null) this.binding.listening = false;
    this.state = 'closed';
    this.notify();
  }

  shutdown(how: number): number {
    const bits = how + 1;
    if (this.#connect === 'connecting') this.#connect = this.state === 'established' ? 'connected' : 'unconnected';
    switch (this.state) {
      case 'listen':
        if (bits & RCV_SHUTDOWN) this.#stopListening();
        return 0;
      case 'syn-sent':
        this.#abort();
        this.shut = 0;
        return 0;
      case 'closed':
        this.shut |= bits;
        this.notify();
        return -E.ENOTCONN;
      default: {
        const fin = bits & SEND_SHUTDOWN && !(this.shut & SEND_SHUTDOWN);
        this.shut |= bits;
        if (fin) this.#sendFin();
        this.notify();
        return 0;
      }
    }
  }

  send(msg: OutMessage): number {
    if (this.state !== 'established') {
      if (this.error) return -this.takeError();
      return this.state === 'syn-sent' ? -E.EAGAIN : -E.EPIPE;
    }
    if (this.error) return -this.takeError();
    if (this.shut & SEND_SHUTDOWN) return -E.EPIPE;
    if (this.#peerGone) {
      // The peer closed: this write goes out and the reset that answers it ends the connection.
      msg.done = msg.size;
      this.receiveReset();
      return msg.done;
    }
    const peer = this.#peer!;
    while (msg.done < msg.size) {
      const room = peer.room();
      if (room <= 0) return -E.EAGAIN;
      const chunk = new Uint8Array(Math.min(room, msg.size - msg.done));
      const got = msg.read(msg.done, chunk);
      if (got === 0) return msg.done > 0 ? msg.done : -E.EFAULT;
      if (!peer.receive(chunk.subarray(0, got), true)) return msg.done > 0 ? msg.done : -E.ENOMEM;
      msg.done += got;
      if (got < chunk.length) return msg.done;
    }
    return msg.done;
  }

  recv(msg: InMessage): number {
    if (this.state === 'listen') return -E.ENOTCONN;
    msg.addr = null;
    const peek = (msg.flags & MSG_PEEK) !== 0;
    if (this.#rx.size > 0 && msg.done < msg.size) {
      let at = msg.done;
      const took = this.#rx.read(
        msg.size - msg.done,
        (bytes) => {
          const n = msg.write(at, bytes);
          at += n;
          return n;
        },
        peek,
      );
      if (took === 0 && msg.done === 0) return -E.EFAULT;
      msg.done += took;
      if (!peek && took > 0) this.#peer?.windowOpened();
      const waitAll = (msg.flags & MSG_WAITALL) !== 0 && !peek && msg.done < msg.size;
      if (!waitAll || this.#ended) return msg.done;
      return -E.EAGAIN;
    }
    if (msg.done > 0) return this.#ended ? msg.done : -E.EAGAIN;
    if (this.error) return -this.takeError();
    if (this.shut & RCV_SHUTDOWN) return 0;
    if (this.state === 'closed') return this.#done ? 0 : -E.ENOTCONN;
    return -E.EAGAIN;
  }

  /** Nothing more will arrive: MSG_WAITALL returns what it has. */
  get #ended(): boolean {
    return this.error !== 0 || (this.shut & RCV_SHUTDOWN) !== 0 || this.state !== 'established';
  }

  readiness(): number {
    if (this.state === 'listen') return this.#queue.length > 0 ? POLLIN | POLLRDNORM : 0;
    let m = 0;
    if (this.shut === SHUTDOWN_MASK || this.state === 'closed') m |= POLLHUP;
    if (this.shut & RCV_SHUTDOWN) m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (this.state !== 'syn-sent') {
      if (this.#rx.size > 0) m |= POLLIN | POLLRDNORM;
      if (this.shut & SEND_SHUTDOWN || this.state === 'closed' || this.#peerGone || (this.#peer?.room() ?? 0) > 0)
        m |= POLLOUT | POLLWRNORM;
    }
    if (this.error) m |= POLLERR;
    return m;
  }

  override familyOption(level: number, name: number): Uint8Array | number {
    if (level === IPPROTO_TCP && name === TCP_INFO) {
      const info = new Uint8Array(TCP_INFO_LEN);
      info[0] = STATE_NUMBER[this.state];
      return info;
    }
    if (level === IPPROTO_TCP && name === TCP_CONGESTION) {
      const b = new Uint8Array(16);
      b.set(new TextEncoder().encode(CONGESTION[0]));
      return b;
    }
    return super.familyOption(level, name);
  }

  override setFamilyOption(level: number, name: number, value: Uint8Array): number {
    if (level === IPPROTO_TCP && name === TCP_INFO) return -E.ENOPROTOOPT;
    if (level === IPPROTO_TCP && name === TCP_CONGESTION) {
      const end = value.indexOf(0);
      const algo = new TextDecoder().decode(end >= 0 ? value.subarray(0, end) : value);
      return CONGESTION.includes(algo) ? 0 : -E.ENOENT;
    }
    return super.setFamilyOption(level, name, value);
  }

  protected release(): void {
    switch (this.state) {
      case 'listen':
        this.#stopListening();
        break;
      case 'syn-sent':
        this.#abort();
        break;
      case 'established': {
        const reset = this.#rx.size > 0 || (this.linger[0] !== 0 && this.linger[1] === 0);
        if (reset) {
          this.#abort();
          break;
        }
        const peer = this.#peer;
        const host = this.#hostClose;
        if (host !== null) host(false);
        else {
          if (!(this.shut & SEND_SHUTDOWN)) this.#sendFin();
          peer?.peerClosed();
        }
        this.#finish();
        break;
      }
    }
    this.#rx.clear();
    this.unbind();
  }
}

/** The listener a connection to `dst` reaches: the best match, one of a SO_REUSEPORT group chosen by the source port. */
export function listenerFor(stack: InetStack, dst: Endpoint, sourcePort: number): TcpSocket | null {
  const found = stack.tcp.lookup(dst.ip, dst.port, (b) => b.listening);
  if (found.length === 0) return null;
  const best = found.filter((b) => b.ip.equals(found[0]!.ip));
  return best[sourcePort % best.length]!.owner as TcpSocket;
}
