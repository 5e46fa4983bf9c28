// A socket: the open file a socket(2) call makes, and the contract each
// address family (AF_UNIX in unix/, AF_INET/AF_INET6 in inet/) implements.
//
// What a family implements (every method returns a negative errno rather
// than throwing; addresses are the guest's sockaddr bytes, already copied
// in and length-checked by sockaddr.ts):
// - bind, listen, connect, accept, shutdown, name (getsockname and
//   getpeername), send and recv, readiness;
// - familyOption/setFamilyOption for the options the generic layer
//   (sockopt.ts) does not answer itself (SOL_SOCKET's SO_PEERCRED,
//   SO_ERROR, SO_ACCEPTCONN, and every other level), ENOPROTOOPT otherwise;
// - the blocking protocol of ../fd/stream.ts: an operation that would
//   block returns -EAGAIN and changes nothing the retry depends on; the
//   syscall layer then, unless the socket is O_NONBLOCK or the call has
//   MSG_DONTWAIT, parks the task watching the socket (until SO_RCVTIMEO or
//   SO_SNDTIMEO) and calls it again. The family calls notify() whenever
//   readiness may have changed (data, room, a connection, a hangup).
//   connect and accept are retried whole; send and recv keep their
//   progress in the message's `done`, so a stream send that queued part of
//   its bytes resumes after them;
// - memory: bytes a socket buffers are charged to `account` (the sandbox's
//   memory account), as pipe bytes are (../fd/pipe-queue.ts).
//
// read, write, readv, writev go through recv and send with no flags and no
// control data (descriptors arriving that way are closed, as on Linux);
// close, fcntl, poll, select and epoll work as on any stream.
import { type AnonFile, anonStat } from '../fd/anon.js';
import { StreamDescription } from '../fd/stream.js';
import type { MemoryAccount } from '../mm/account.js';
import type { InFlight } from './rights.js';
import type { FileDescription, Stat } from '../vfs/index.js';
import { O_RDWR, S_IFSOCK } from '../vfs/index.js';
import { E } from '../errno.js';
import { SOL_SOCKET } from './msghdr.js';

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_RDM = 4;
export const SOCK_SEQPACKET = 5;
export const SOCK_PACKET = 10;
/** Types are below this (Linux's SOCK_MAX). */
export const SOCK_MAX = 11;
export const SOCK_TYPE_MASK = 0xf;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_DONTROUTE = 0x4;
export const MSG_CTRUNC = 0x8;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_EOR = 0x80;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_MORE = 0x8000;
export const MSG_WAITFORONE = 0x10000;
export const MSG_CMSG_CLOEXEC = 0x40000000;

/** Who sent a message or made a connection (struct ucred, SO_PEERCRED, SCM_CREDENTIALS). */
export interface Ucred {
  pid: number;
  uid: number;
  gid: number;
}

/** A control message the generic layer does not interpret (a level other than SOL_SOCKET), for the family to read. */
export interface RawCmsg {
  level: number;
  type: number;
  data: Uint8Array;
}

/** What a sender's control data carries (Linux's struct scm_cookie). */
export interface ScmOut {
  /** SCM_RIGHTS: the descriptions, held in flight until received or dropped; null without. A family that queues them sets this to null (the layer drops what is left here). */
  rights: InFlight | null;
  /** SCM_CREDENTIALS as given, or else the sender's own. */
  creds: Ucred;
  /** Whether the sender gave SCM_CREDENTIALS explicitly. */
  explicitCreds: boolean;
  other: RawCmsg[];
}

/** What a receiver gets besides bytes: set by the family, turned into cmsgs by msghdr.ts. */
export interface ScmIn {
  /** Descriptions handed over: the receiver installs them, or drops them. */
  rights: InFlight | null;
  /** Credentials, given when the receiver has SO_PASSCRED. */
  creds: Ucred | null;
  /** Family control messages (IP_PKTINFO...), encoded after the SOL_SOCKET ones. */
  other: RawCmsg[];
}

/** One sendmsg: its bytes stay in the guest (or a host buffer, for write) until the family copies them. */
export interface OutMessage {
  /** Bytes in the message. */
  readonly size: number;
  /** Copies bytes [at, at + dst.length) into `dst`: the count copied, short after a fault. */
  read(at: number, dst: Uint8Array): number;
  /** The destination (sendto), or null. */
  readonly addr: Uint8Array | null;
  readonly scm: ScmOut;
  /** MSG_* flags of the call. */
  readonly flags: number;
  /** Who sends (null for write(2), which has no destination to look up). */
  readonly caller: Caller | null;
  /** Bytes the family has taken so far (a blocking stream send resumes here). */
  done: number;
}

/** One recvmsg: the family copies its bytes out with write and fills in the rest. */
export interface InMessage {
  /** Room in the receiver's buffers. */
  readonly size: number;
  /** Copies `src` to bytes [at, at + src.length) of the buffers: the count copied, short after a fault. */
  write(at: number, src: Uint8Array): number;
  /** MSG_* flags of the call, with MSG_DONTWAIT for an O_NONBLOCK socket. */
  readonly flags: number;
  /** Bytes delivered so far (MSG_WAITALL goes on after them). */
  done: number;
  /** The sender's address, when the family has one. */
  addr: Uint8Array | null;
  /** MSG_TRUNC, MSG_EOR... for msg_flags. */
  msgFlags: number;
  scm: ScmIn | null;
}

/**
 * The calling task, as bind, connect and sendto see it: who it is and its
 * view of the filesystem (AF_UNIX names sockets by path, relative to its
 * cwd, created less its umask, checked against its credentials).
 */
export interface Caller {
  readonly creds: Ucred;
  /** Makes the socket inode `path` (mode 0777 less the umask): its Stat, or -EEXIST, -ENOENT... */
  mknod(path: Uint8Array): Stat | number;
  /** The node at `path` for a connect: its Stat, after checking write permission (-EACCES). */
  lookup(path: Uint8Array): Stat | number;
}

/** Where a family's socket is made: the caller's identity and the account its memory is charged to. */
export interface SocketContext {
  /** The sandbox kernel (a key for per-sandbox state: bound names, ports). */
  readonly kernel: object;
  readonly account: MemoryAccount | null;
  readonly creds: Ucred;
}

/** /proc/sys/net/core/{w,r}mem_default and _max: Linux's defaults. */
export const WMEM_DEFAULT = 212992;
export const RMEM_DEFAULT = 212992;
export const WMEM_MAX = 212992;
export const RMEM_MAX = 212992;
/** Smallest buffers SO_SNDBUF/SO_RCVBUF leave (SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF). */
export const SOCK_MIN_SNDBUF = 4608;
export const SOCK_MIN_RCVBUF = 2304;
/** /proc/sys/net/core/somaxconn: the largest listen backlog. */
export const SOMAXCONN = 4096;
/**
 * Host bytes charged per socket besides its buffers: the socket, its
 * description and table slot (measured: an idle TCP socket grows the host's
 * RSS by ~2 KiB), so sockets alone cannot take the host past the memory limit.
 */
export const SOCKET_COST = 2048;

/** Socket inode numbers (sockfs): one per socket, as /proc/<pid>/fd shows socket:[ino]. */
let nextIno = 1000;
const SOCKFS_DEV = 0x8;

export abstract class Socket extends StreamDescription implements AnonFile {
  readonly ino = nextIno++;
  /** Shown when stat fails; a socket always has a name of its own (socket:[ino]). */
  readonly anonName = '[socket]';
  sndbuf = WMEM_DEFAULT;
  rcvbuf = RMEM_DEFAULT;
  /** SO_RCVTIMEO / SO_SNDTIMEO in ns; null waits forever. */
  rcvtimeo: bigint | null = null;
  sndtimeo: bigint | null = null;
  /** SO_PASSCRED. */
  passcred = false;
  /** SOL_SOCKET options kept for the family to consult (SO_REUSEADDR, SO_KEEPALIVE...): name -> int value. */
  readonly options = new Map<number, number>();
  /** SO_LINGER: [onoff, seconds]. */
  linger: [number, number] = [0, 0];
  #released = false;

  constructor(
    readonly family: number,
    readonly type: number,
    readonly protocol: number,
    protected readonly ctx: SocketContext,
    flags = 0,
  ) {
    super(O_RDWR | flags);
  }

  abstract bind(addr: Uint8Array, caller: Caller): number;
  /** `backlog` is already bounded to [0, SOMAXCONN]. */
  abstract listen(backlog: number): number;
  /** A connected socket for the next pending connection, or -EAGAIN. `flags` may carry O_NONBLOCK for it. */
  abstract accept(flags: number): Socket | number;
  /** 0 once connected; -EAGAIN to be retried when the socket changes (blocking callers only see the result). */
  abstract connect(addr: Uint8Array, nonblocking: boolean, caller: Caller): number;
  /** `how` is SHUT_RD, SHUT_WR or SHUT_RDWR. */
  abstract shutdown(how: number): number;
  /** getsockname (`peer` false) or getpeername: the address bytes. */
  abstract name(peer: boolean): Uint8Array | number;
  /** Bytes sent (msg.done at the end), or -EAGAIN (with msg.done the progress), or an error. */
  abstract send(msg: OutMessage): number;
  /** Bytes received (msg.done at the end), or -EAGAIN, or an error; 0 at the end of a stream. */
  abstract recv(msg: InMessage): number;
  abstract override readiness(): number;

  /** getsockopt for what sockopt.ts does not answer: the value's bytes; unknown options are ENOPROTOOPT at SOL_SOCKET, EOPNOTSUPP at a level the family lacks. */
  familyOption(level: number, _name: number): Uint8Array | number {
    return level === SOL_SOCKET ? -E.ENOPROTOOPT : -E.EOPNOTSUPP;
  }

  /** setsockopt for what sockopt.ts does not take: 0, or as familyOption. */
  setFamilyOption(level: number, _name: number, _value: Uint8Array): number {
    return level === SOL_SOCKET ? -E.ENOPROTOOPT : -E.EOPNOTSUPP;
  }

  /** SO_ACCEPTCONN. */
  abstract get listening(): boolean;

  /** FIONREAD / SIOCINQ: bytes a read would return now. */
  abstract get inq(): number;

  /** SIOCOUTQ: bytes sent and not yet taken off this socket's account; 0 where a send lands in the peer's queue at once. */
  get outq(): number {
    return 0;
  }

  /** Frees what the socket holds (queued data, its binding, its peer link); called once, at the last close. */
  protected abstract release(): void;

  /** The family's change notification, for callers outside the class (a peer's socket). */
  wake(): void {
    this.notify();
  }

  /** The caller's identity and the account, for sockets this one makes (accept). */
  get context(): SocketContext {
    return this.ctx;
  }

  // read and write: recv and send with no flags; descriptors that arrive are dropped.
  protected override readAt(buf: Uint8Array, len: number): number {
    const msg = hostInMessage(buf, len);
    const r = this.recv(msg);
    msg.scm?.rights?.drop();
    return r;
  }

  protected override writeAt(buf: Uint8Array, len: number): number {
    const src = buf.subarray(0, len);
    const msg: OutMessage = {
      size: len,
      read: (at, dst) => (dst.set(src.subarray(at, at + dst.length)), Math.min(dst.length, Math.max(0, len - at))),
      addr: null,
      scm: { rights: null, creds: this.ctx.creds, explicitCreds: false, other: [] },
      flags: MSG_NOSIGNAL,
      caller: null,
      done: 0,
    };
    const r = this.send(msg);
    return r === -E.EAGAIN && msg.done > 0 ? msg.done : r;
  }

  override stat(): Stat {
    return { ...anonStat(), dev: SOCKFS_DEV, ino: this.ino, mode: S_IFSOCK | 0o777, uid: this.ctx.creds.uid, gid: this.ctx.creds.gid };
  }

  /** Sockets cannot be reopened through /proc/<pid>/fd (ENXIO), as on Linux. */
  override close(): void {
    if (this.#released) return;
    this.#released = true;
    this.release();
    this.ctx.account?.uncharge(SOCKET_COST);
    this.notify();
  }
}

/** An InMessage over a host buffer (read, or a family that needs a scratch receive). */
export function hostInMessage(buf: Uint8Array, len: number, flags = 0): InMessage {
  return {
    size: len,
    write: (at, src) => {
      const n = Math.max(0, Math.min(src.length, len - at));
      buf.set(src.subarray(0, n), at);
      return n;
    },
    flags,
    done: 0,
    addr: null,
    msgFlags: 0,
    scm: null,
  };
}

export function isSocket(f: FileDescription): f is Socket {
  return f instanceof Socket;
}
