// AF_UNIX sockets (Linux net/unix/af_unix.c): SOCK_STREAM, SOCK_DGRAM and
// SOCK_SEQPACKET between the sandbox's own processes.
//
// Data lives in the receiver's queue as messages (Linux's skbs): a stream
// reader crosses message boundaries (stopping after one that carried
// descriptors, or where the credentials change under SO_PASSCRED), a
// datagram or seqpacket reader takes one message, the rest of it cut off
// (MSG_TRUNC). Each queued message is charged, data plus MSG_OVERHEAD, to
// its sender's send buffer (a sender waits, or gets EAGAIN, while what it
// has queued reaches SO_SNDBUF) and to the sandbox's memory account.
// A stream connect makes the server's socket at once and queues it on the
// listener (at most backlog + 1 wait); accept takes it.
import { E } from '../../errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM } from '../../fd/readiness.js';
import { AF_UNIX } from '../families.js';
import { SOL_SOCKET } from '../msghdr.js';
import type { InFlight } from '../rights.js';
import {
  type Caller,
  type InMessage,
  MSG_DONTWAIT,
  MSG_OOB,
  MSG_PEEK,
  MSG_TRUNC,
  MSG_WAITALL,
  type OutMessage,
  SOCK_DGRAM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  Socket,
  SOCKET_COST,
  type SocketContext,
  type Ucred,
} from '../socket.js';
import { intBytes, SO_ERROR, SO_PEERCRED } from '../sockopt.js';
import { parseUnixAddress, type UnixAddress, unixSockaddr, unnamed } from './address.js';
import { namesOf, UnixNames } from './names.js';

/** Host bytes a queued message costs besides its data (Linux's skb overhead, about). */
export const MSG_OVERHEAD = 512;
/** /proc/sys/net/unix/max_dgram_qlen: datagrams a receiver queues from senders other than its peer. */
export const MAX_DGRAM_QLEN = 10;
/** The largest piece a stream send queues as one message. */
const STREAM_CHUNK = 64 << 10;
const RCV_SHUTDOWN = 1;
const SEND_SHUTDOWN = 2;
const SHUTDOWN_MASK = 3;
const S_IFSOCK = 0o140000;
/** Linux's socket states (SS_*), as /proc/net/unix shows them. */
const SS_UNCONNECTED = 1;
const SS_CONNECTING = 2;
const SS_CONNECTED = 3;

interface Message {
  data: Uint8Array;
  /** Bytes of `data` a stream reader has taken. */
  off: number;
  rights: InFlight | null;
  creds: Ucred;
  /** The sender's address, for a datagram's recvfrom. */
  from: Uint8Array | null;
  sender: UnixSocket;
  truesize: number;
}

type State = 'unconnected' | 'listening' | 'connected';
type Bound = { abstract: string } | { inode: string };

function sameCreds(a: Ucred, b: Ucred): boolean {
  return a.pid === b.pid && a.uid === b.uid && a.gid === b.gid;
}

export class UnixSocket extends Socket {
  state: State = 'unconnected';
  peer: UnixSocket | null = null;
  /** SO_PEERCRED: the peer's at connect (or the listener's own, from listen). */
  peercred: Ucred | null = null;
  #addr: Uint8Array | null = null;
  #bound: Bound | null = null;
  #queue: Message[] = [];
  #queued = 0;
  /** Bytes of this socket's messages waiting in some queue (sk_wmem_alloc). */
  #wmem = 0;
  #shutdown = 0;
  #err = 0;
  #backlog = 0;
  readonly #pending: UnixSocket[] = [];
  /** Sockets waiting for room in this one's queue or backlog: woken when it shrinks. */
  readonly #blocked = new Set<UnixSocket>();
  closed = false;
  /** A server's socket not accepted yet: its closing resets the client. */
  #embryo = false;
  /**
   * A datagram socket's TCP_ESTABLISHED, which /proc/net/unix shows: Linux
   * sets it on both ends of a connect (the target keeps it while anyone is
   * connected to it) and clears it when the connecting end disconnects.
   */
  #dgramEstablished = false;

  constructor(ctx: SocketContext, type: number, flags: number) {
    super(AF_UNIX, type, 0, ctx, flags);
    this.#names.sockets.add(this);
  }

  get #names(): UnixNames<UnixSocket> {
    return namesOf<UnixSocket>(this.ctx.kernel);
  }

  get #connectionOriented(): boolean {
    return this.type !== SOCK_DGRAM;
  }

  get listening(): boolean {
    return this.state === 'listening';
  }

  /** Its bound address as getsockname shows it (an accepted socket has its listener's), or null. */
  get address(): Uint8Array | null {
    return this.#addr;
  }

  /** Linux's socket state as /proc/net/unix shows it: SS_CONNECTING for a connection not accepted yet, else SS_CONNECTED or SS_UNCONNECTED. */
  get procState(): number {
    if (this.#embryo) return SS_CONNECTING;
    const established = this.#connectionOriented ? this.state === 'connected' : this.#dgramEstablished;
    return established ? SS_CONNECTED : SS_UNCONNECTED;
  }

  /** Whether /proc/net/unix shows the socket's inode: a connection not accepted yet has no socket (inode) of its own. */
  get hasInode(): boolean {
    return !this.#embryo;
  }

  get inq(): number {
    if (this.state === 'listening') return 0;
    if (this.type !== SOCK_STREAM) return this.#queue[0]?.data.length ?? 0;
    return this.#queued;
  }

  /** Makes `a` and `b` each other's peer (socketpair, an accepted connection). */
  static join(a: UnixSocket, b: UnixSocket, aCreds: Ucred, bCreds: Ucred): void {
    a.peer = b;
    b.peer = a;
    a.state = b.state = 'connected';
    a.#dgramEstablished = b.#dgramEstablished = true;
    a.peercred = bCreds;
    b.peercred = aCreds;
  }

  bind(addr: Uint8Array, caller: Caller): number {
    const a = parseUnixAddress(addr, true);
    if (typeof a === 'number') return a;
    if (this.#addr !== null) return this.#rebind(a, caller);
    let name: Exclude<UnixAddress, { kind: 'autobind' }>;
    if (a.kind === 'path') {
      const st = caller.mknod(a.path);
      if (typeof st === 'number') return st === -E.EEXIST ? -E.EADDRINUSE : st;
      const key = UnixNames.key(st);
      this.#names.bindInode(key, this);
      this.#bound = { inode: key };
      name = a;
    } else {
      const abstract = a.kind === 'abstract' ? a.name : this.#names.autobindName();
      if (typeof abstract === 'number') return abstract;
      const r = this.#names.bindAbstract(abstract, this);
      if (r < 0) return r;
      this.#bound = { abstract };
      name = { kind: 'abstract', name: abstract };
    }
    this.#addr = unixSockaddr(name);
    return 0;
  }

  /**
   * bind on a bound socket: EINVAL, but as Linux makes a path's inode
   * first, a path that exists is EADDRINUSE; an autobind request is 0.
   */
  #rebind(a: UnixAddress, caller: Caller): number {
    if (a.kind === 'autobind') return 0;
    if (a.kind === 'path') {
      const st = caller.lookup(a.path);
      if (typeof st !== 'number' || st === -E.EACCES) return -E.EADDRINUSE;
    }
    return -E.EINVAL;
  }

  /** The socket bound at `addr` (connect, sendto): -ECONNREFUSED where none listens at that name. */
  #find(addr: Uint8Array, caller: Caller): UnixSocket | number {
    const a = parseUnixAddress(addr, false);
    if (typeof a === 'number') return a;
    if (a.kind === 'abstract') return this.#names.findAbstract(a.name) ?? -E.ECONNREFUSED;
    if (a.kind !== 'path') return -E.EINVAL;
    const st = caller.lookup(a.path);
    if (typeof st === 'number') return st;
    if ((st.mode & 0o170000) !== S_IFSOCK) return -E.ECONNREFUSED;
    return this.#names.findInode(UnixNames.key(st)) ?? -E.ECONNREFUSED;
  }

  listen(backlog: number): number {
    if (!this.#connectionOriented) return -E.EOPNOTSUPP;
    if (this.#addr === null || this.state === 'connected') return -E.EINVAL;
    this.#backlog = backlog;
    if (this.state !== 'listening') this.peercred = this.ctx.creds;
    this.state = 'listening';
    this.#wakeBlocked();
    return 0;
  }

  accept(flags: number): Socket | number {
    if (!this.#connectionOriented) return -E.EOPNOTSUPP;
    if (this.state !== 'listening') return -E.EINVAL;
    const s = this.#pending.shift();
    if (s === undefined) return -E.EAGAIN;
    s.flags |= flags;
    s.#embryo = false;
    this.#wakeBlocked();
    this.notify();
    return s;
  }

  connect(addr: Uint8Array, _nonblocking: boolean, caller: Caller): number {
    if (!this.#connectionOriented) return this.#connectDgram(addr, caller);
    if (this.state === 'listening') return -E.EINVAL;
    if (this.state === 'connected') return -E.EISCONN;
    const other = this.#find(addr, caller);
    if (typeof other === 'number') return other;
    if (other.type !== this.type) return -E.EPROTOTYPE;
    if (other.state !== 'listening' || other.#shutdown & RCV_SHUTDOWN) return -E.ECONNREFUSED;
    if (other.#pending.length > other.#backlog) {
      other.#blocked.add(this);
      return -E.EAGAIN;
    }
    const ctx = other.ctx;
    if (ctx.account && !ctx.account.charge(SOCKET_COST)) return -E.ENOMEM;
    const server = new UnixSocket(ctx, this.type, 0);
    server.#addr = other.#addr;
    server.#embryo = true;
    UnixSocket.join(this, server, caller.creds, other.peercred ?? ctx.creds);
    other.#pending.push(server);
    other.notify();
    this.notify();
    return 0;
  }

  /** A datagram socket's connect sets (or, with AF_UNSPEC, clears) the default destination. */
  #connectDgram(addr: Uint8Array, caller: Caller): number {
    if (addr.length >= 2 && (addr[0]! | (addr[1]! << 8)) === 0) {
      this.#dropPeer(null);
      this.state = 'unconnected';
      return 0;
    }
    const other = this.#find(addr, caller);
    if (typeof other === 'number') return other;
    if (other.type !== this.type) return -E.EPROTOTYPE;
    if (other.peer !== null && other.peer !== this) return -E.EPERM;
    this.#dropPeer(other);
    this.peer = other;
    this.#dgramEstablished = other.#dgramEstablished = true;
    this.peercred = other.ctx.creds;
    this.state = 'connected';
    this.notify();
    return 0;
  }

  /** A datagram socket leaves its peer for `next` (null: none): it is no longer established without one, nor is the old peer when connected to nobody itself. */
  #dropPeer(next: UnixSocket | null): void {
    const old = this.peer;
    if (old === null) return;
    this.peer = null;
    if (next === null) this.#dgramEstablished = false;
    if (old !== next && old.peer === null) old.#dgramEstablished = false;
  }

  shutdown(how: number): number {
    const mode = how + 1;
    this.#shutdown |= mode;
    const p = this.peer;
    if (p !== null && this.#connectionOriented && !p.closed) {
      p.#shutdown |= (mode & RCV_SHUTDOWN ? SEND_SHUTDOWN : 0) | (mode & SEND_SHUTDOWN ? RCV_SHUTDOWN : 0);
      p.notify();
    }
    this.notify();
    return 0;
  }

  name(peer: boolean): Uint8Array | number {
    if (!peer) return this.#addr ?? unnamed();
    if (this.peer === null) return -E.ENOTCONN;
    return this.peer.#addr ?? unnamed();
  }

  #wakeBlocked(): void {
    const b = [...this.#blocked];
    this.#blocked.clear();
    for (const s of b) s.notify();
  }

  /** Queues a message on this socket, charged to its sender; false when the account is full. */
  #enqueue(m: Message): boolean {
    const account = m.sender.ctx.account;
    if (account && !account.charge(m.truesize)) return false;
    m.sender.#wmem += m.truesize;
    this.#queue.push(m);
    this.#queued += m.data.length - m.off;
    this.notify();
    return true;
  }

  #dequeue(): void {
    const m = this.#queue.shift()!;
    this.#queued -= m.data.length - m.off;
    m.sender.ctx.account?.uncharge(m.truesize);
    m.sender.#wmem -= m.truesize;
    m.sender.notify();
    this.#wakeBlocked();
  }

  send(msg: OutMessage): number {
    if (msg.flags & MSG_OOB) return -E.EOPNOTSUPP;
    return this.type === SOCK_STREAM ? this.#sendStream(msg) : this.#sendDatagram(msg);
  }

  #sendStream(msg: OutMessage): number {
    if (msg.addr !== null && msg.addr.length > 0) return this.state === 'connected' ? -E.EISCONN : -E.EOPNOTSUPP;
    if (this.state !== 'connected') return -E.ENOTCONN;
    while (msg.done < msg.size) {
      const p = this.peer!;
      if (this.#shutdown & SEND_SHUTDOWN || p.closed || p.#shutdown & RCV_SHUTDOWN) return -E.EPIPE;
      if (this.#wmem >= this.sndbuf) return -E.EAGAIN;
      const want = Math.min(msg.size - msg.done, Math.max(1, (this.sndbuf >> 1) - 64), STREAM_CHUNK);
      const data = new Uint8Array(want);
      const n = msg.read(msg.done, data);
      if (n === 0) return -E.EFAULT;
      const m = this.#message(msg, data.subarray(0, n), null);
      if (!p.#enqueue(m)) return this.#unsent(m, msg);
      msg.done += n;
      if (n < want) return -E.EFAULT;
    }
    return msg.done;
  }

  /** A message of `data` from this socket; the first carries the call's descriptors. */
  #message(msg: OutMessage, data: Uint8Array, from: Uint8Array | null): Message {
    const rights = msg.scm.rights;
    msg.scm.rights = null;
    return { data, off: 0, rights, creds: msg.scm.creds, from, sender: this, truesize: data.length + MSG_OVERHEAD };
  }

  /** A message the account could not take: its descriptors go back to the call (which drops them). */
  #unsent(m: Message, msg: OutMessage): number {
    msg.scm.rights = m.rights;
    return -E.ENOBUFS;
  }

  // As Linux 6.x: the datagram is copied (EFAULT) before its destination is looked up.
  #sendDatagram(msg: OutMessage): number {
    if (this.type === SOCK_SEQPACKET && this.state !== 'connected') return -E.ENOTCONN;
    const addressed = this.type === SOCK_DGRAM && msg.addr !== null && msg.addr.length > 0;
    if (addressed) {
      const a = parseUnixAddress(msg.addr!, false);
      if (typeof a === 'number') return a;
    }
    if (msg.size > this.sndbuf - 32) return -E.EMSGSIZE;
    const data = new Uint8Array(msg.size);
    if (msg.read(0, data) < msg.size) return -E.EFAULT;
    let other: UnixSocket | number;
    if (addressed) other = msg.caller ? this.#find(msg.addr!, msg.caller) : -E.EINVAL;
    else other = this.peer ?? -E.ENOTCONN;
    if (typeof other === 'number') return other;
    if (this.#shutdown & SEND_SHUTDOWN) return -E.EPIPE;
    if (other.closed) {
      if (this.type === SOCK_SEQPACKET) return -E.EPIPE;
      if (this.peer === other) this.#dropPeer(null);
      return -E.ECONNREFUSED;
    }
    if (other.type !== this.type) return -E.EPROTOTYPE;
    if (other.peer !== null && other.peer !== this) return -E.EPERM;
    if (other.#shutdown & RCV_SHUTDOWN) return -E.EPIPE;
    if (other.peer !== this && other.#queue.length > MAX_DGRAM_QLEN) {
      other.#blocked.add(this);
      return -E.EAGAIN;
    }
    if (this.#wmem >= this.sndbuf) return -E.EAGAIN;
    const m = this.#message(msg, data, this.#addr);
    if (!other.#enqueue(m)) return this.#unsent(m, msg);
    msg.done = msg.size;
    return msg.size;
  }

  recv(msg: InMessage): number {
    if (msg.flags & MSG_OOB) return -E.EOPNOTSUPP;
    if (this.type === SOCK_STREAM) return this.#recvStream(msg);
    if (this.type === SOCK_SEQPACKET && this.state !== 'connected') return -E.ENOTCONN;
    const m = this.#queue[0];
    // A datagram read that may not wait says so before it looks at a shutdown (__skb_recv_datagram).
    if (m === undefined) return this.#err === 0 && msg.flags & MSG_DONTWAIT ? -E.EAGAIN : this.#empty();
    const n = msg.write(0, m.data.subarray(0, msg.size));
    if (m.data.length > msg.size) msg.msgFlags |= MSG_TRUNC;
    const peek = (msg.flags & MSG_PEEK) !== 0;
    this.#handOver(msg, m, peek);
    if (!peek) this.#dequeue();
    msg.addr = m.from;
    if (n < Math.min(msg.size, m.data.length)) return -E.EFAULT;
    msg.done = n;
    return msg.flags & MSG_TRUNC ? m.data.length : n;
  }

  /** What a read of an empty queue gives: a pending error, 0 after a shutdown, else -EAGAIN. */
  #empty(): number {
    if (this.#err !== 0) return -this.#takeError();
    return this.#shutdown & RCV_SHUTDOWN ? 0 : -E.EAGAIN;
  }

  #takeError(): number {
    const e = this.#err;
    this.#err = 0;
    return e;
  }

  /** Hands `m`'s descriptors (copies of them when peeking) and, under SO_PASSCRED, its credentials to the receive. */
  #handOver(msg: InMessage, m: Message, peek: boolean): void {
    const rights = m.rights === null ? null : peek ? m.rights.dup() : m.rights;
    if (!peek) m.rights = null;
    if (rights === null && !this.passcred) return;
    msg.scm ??= { rights: null, creds: null, other: [] };
    if (rights !== null) msg.scm.rights = rights;
    if (this.passcred) msg.scm.creds = m.creds;
  }

  #recvStream(msg: InMessage): number {
    if (this.state !== 'connected') return -E.EINVAL;
    const peek = (msg.flags & MSG_PEEK) !== 0;
    const target = msg.flags & MSG_WAITALL && !peek ? msg.size : 1;
    let i = 0;
    let lastCreds: Ucred | null = msg.done > 0 && msg.scm?.creds ? msg.scm.creds : null;
    while (msg.done < msg.size) {
      const m = peek ? this.#queue[i] : this.#queue[0];
      if (m === undefined) break;
      if (this.passcred && lastCreds !== null && !sameCreds(lastCreds, m.creds)) return msg.done;
      lastCreds = m.creds;
      const from = m.off;
      const take = Math.min(m.data.length - from, msg.size - msg.done);
      const n = msg.write(msg.done, m.data.subarray(from, from + take));
      msg.done += n;
      if (n < take) return msg.done > 0 ? msg.done : -E.EFAULT;
      const carried = m.rights !== null;
      this.#handOver(msg, m, peek);
      if (peek) i++;
      else {
        m.off += n;
        this.#queued -= n;
        if (m.off === m.data.length) this.#dequeue();
      }
      if (carried) return msg.done;
      if (peek && i >= this.#queue.length) break;
    }
    if (msg.done >= target || msg.done === msg.size) return msg.done;
    const e = this.#empty();
    return e === -E.EAGAIN || msg.done === 0 ? e : msg.done;
  }

  readiness(): number {
    let m = 0;
    if (this.#err !== 0) m |= POLLERR;
    if (this.#shutdown === SHUTDOWN_MASK) m |= POLLHUP;
    if (this.#shutdown & RCV_SHUTDOWN) m |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (this.#queue.length > 0 || this.#pending.length > 0) m |= POLLIN | POLLRDNORM;
    if (this.#connectionOriented && this.state === 'unconnected') m |= POLLHUP;
    if (this.state !== 'listening' && this.#wmem << 2 <= this.sndbuf && this.#peerHasRoom()) m |= POLLOUT | POLLWRNORM;
    return m;
  }

  /** unix_dgram_poll: a datagram socket connected to another whose queue is full is not writable. */
  #peerHasRoom(): boolean {
    const p = this.peer;
    if (this.type !== SOCK_DGRAM || p === null || p.closed || p.peer === this) return true;
    if (p.#queue.length > MAX_DGRAM_QLEN) {
      p.#blocked.add(this);
      return false;
    }
    return true;
  }

  override familyOption(level: number, name: number): Uint8Array | number {
    if (level === SOL_SOCKET && name === SO_ERROR) return intBytes(this.#takeError());
    if (level === SOL_SOCKET && name === SO_PEERCRED) {
      const c = this.peercred;
      const b = new Uint8Array(12);
      const v = new DataView(b.buffer);
      v.setInt32(0, c?.pid ?? 0, true);
      v.setInt32(4, c?.uid ?? -1, true);
      v.setInt32(8, c?.gid ?? -1, true);
      return b;
    }
    return super.familyOption(level, name);
  }

  protected release(): void {
    this.closed = true;
    this.#names.sockets.delete(this);
    if (this.#bound !== null) this.#names.unbind(this, this.#bound);
    for (const s of this.#pending.splice(0)) s.close();
    const p = this.peer;
    if (p !== null && this.#connectionOriented) {
      p.#shutdown = SHUTDOWN_MASK;
      if (this.#queue.length > 0 || this.#embryo) p.#err = E.ECONNRESET;
      p.notify();
    }
    while (this.#queue.length > 0) {
      this.#queue[0]!.rights?.drop();
      this.#dequeue();
    }
    this.#wakeBlocked();
  }
}
