// Socket system calls that make, name and connect sockets, and their
// options: socket, socketpair, bind, listen, accept, accept4, connect,
// getsockname, getpeername, shutdown, setsockopt, getsockopt. Sending and
// receiving are in socket-msg.ts. The sockets themselves are ../net/.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';
import type { Task } from '../kernel/task.js';
import { createPair, createSocket } from '../net/index.js';
import { copyInSockaddr, copyOutSockaddr } from '../net/sockaddr.js';
import { SHUT_RDWR, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_TYPE_MASK, SOMAXCONN, type Socket } from '../net/socket.js';
import { getSockopt, setSockopt } from '../net/sockopt.js';
import { O_NONBLOCK } from '../vfs/index.js';
import { copyOutArg } from './fs/common.js';
import { install } from './fs/open.js';
import { callerOf, contextOf, socketOf, untilReady } from './socket-wait.js';

/** Longest option value setsockopt copies in; longer ones are cut (every option is far shorter). */
const OPTVAL_MAX = 4096;

/** Splits socket(2)'s type word: [type, O_NONBLOCK or 0, cloexec], or -EINVAL for unknown flag bits. */
function typeFlags(word: number): [number, number, boolean] | number {
  if ((word & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC)) !== 0) return -E.EINVAL;
  return [word & SOCK_TYPE_MASK, word & SOCK_NONBLOCK ? O_NONBLOCK : 0, (word & SOCK_CLOEXEC) !== 0];
}

function socket(t: Task, a: SyscallArgs): number {
  const tf = typeFlags(a.int(1));
  if (typeof tf === 'number') return tf;
  const [type, nonblock, cloexec] = tf;
  const s = createSocket(contextOf(t), a.int(0), type, a.int(2), nonblock);
  return typeof s === 'number' ? s : install(t, s, cloexec);
}

function socketpair(t: Task, a: SyscallArgs): number {
  const tf = typeFlags(a.int(1));
  if (typeof tf === 'number') return tf;
  const [type, nonblock, cloexec] = tf;
  const p = createPair(contextOf(t), a.int(0), type, a.int(2), nonblock);
  if (typeof p === 'number') return p;
  const fd0 = install(t, p[0], cloexec);
  if (fd0 < 0) {
    p[1].close();
    return fd0;
  }
  const fd1 = install(t, p[1], cloexec);
  if (fd1 < 0) {
    t.fds.close(fd0);
    return fd1;
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setInt32(0, fd0, true);
  new DataView(out.buffer).setInt32(4, fd1, true);
  const r = copyOutArg(t, a, 3, out);
  if (r < 0) {
    t.fds.close(fd0);
    t.fds.close(fd1);
  }
  return r < 0 ? -E.EFAULT : 0;
}

/** The socket at argument 0 and the address at arguments 1 and 2 (bind, connect). */
function withAddress(t: Task, a: SyscallArgs, op: (s: Socket, addr: Uint8Array) => number | Promise<number>): number | Promise<number> {
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  const addr = copyInSockaddr(t.mm, a.ptr(1), a.int(2));
  return typeof addr === 'number' ? addr : op(s, addr);
}

function listen(t: Task, a: SyscallArgs): number {
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  // As __sys_listen: an unsigned comparison, so a negative backlog is somaxconn too.
  const backlog = a.uint(1) > SOMAXCONN ? SOMAXCONN : a.uint(1);
  return s.listen(backlog);
}

function connect(t: Task, s: Socket, addr: Uint8Array): number | Promise<number> {
  const nonblocking = (s.flags & O_NONBLOCK) !== 0;
  const caller = callerOf(t);
  return untilReady(t, s, nonblocking, s.sndtimeo, () => s.connect(addr, nonblocking, caller));
}

/** accept4(fd, addr, addrlen, flags): flags are SOCK_NONBLOCK and SOCK_CLOEXEC. */
function accept4(t: Task, a: SyscallArgs, flags: number): number | Promise<number> {
  if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) !== 0) return -E.EINVAL;
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  if (t.fds.lowestFree() < 0) return -E.EMFILE; // as Linux, the descriptor is reserved before the wait
  const finish = (r: number): number => {
    if (r < 0) return r;
    const conn = accepted;
    accepted = null;
    const fd = install(t, conn!, (flags & SOCK_CLOEXEC) !== 0);
    if (fd < 0 || a.ptr(1) === 0) return fd;
    const name = conn!.name(true);
    const c = copyOutSockaddr(t.mm, typeof name === 'number' ? new Uint8Array(0) : name, a.ptr(1), a.ptr(2));
    if (c < 0) t.fds.close(fd);
    return c < 0 ? c : fd;
  };
  let accepted: Socket | null = null;
  const attempt = (): number => {
    const c = s.accept(flags & SOCK_NONBLOCK ? O_NONBLOCK : 0);
    if (typeof c === 'number') return c;
    accepted = c;
    return 0;
  };
  const r = untilReady(t, s, (s.flags & O_NONBLOCK) !== 0, s.rcvtimeo, attempt);
  return typeof r === 'number' ? finish(r) : r.then(finish);
}

function sockName(t: Task, a: SyscallArgs, peer: boolean): number {
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  const name = s.name(peer);
  return typeof name === 'number' ? name : copyOutSockaddr(t.mm, name, a.ptr(1), a.ptr(2));
}

function shutdown(t: Task, a: SyscallArgs): number {
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  const how = a.int(1);
  return how < 0 || how > SHUT_RDWR ? -E.EINVAL : s.shutdown(how);
}

function setsockopt(t: Task, a: SyscallArgs): number {
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  const len = a.int(4);
  if (len < 0) return -E.EINVAL;
  const value = new Uint8Array(Math.min(len, OPTVAL_MAX));
  if (value.length > 0 && (a.ptr(3) <= 0 || t.mm.copyIn(a.ptr(3), value) < 0)) return -E.EFAULT;
  return setSockopt(s, a.int(1), a.int(2), value);
}

/** getsockopt: the value cut to the guest's length (an int at argument 4), which is set to the length copied. */
function getsockopt(t: Task, a: SyscallArgs): number {
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  const lenAddr = a.ptr(4);
  const lb = new Uint8Array(4);
  if (lenAddr <= 0 || t.mm.copyIn(lenAddr, lb) < 0) return -E.EFAULT;
  const want = new DataView(lb.buffer).getInt32(0, true);
  if (want < 0) return -E.EINVAL;
  const value = getSockopt(s, a.int(1), a.int(2));
  if (typeof value === 'number') return value;
  const n = Math.min(want, value.length);
  if (n > 0 && (a.ptr(3) <= 0 || t.mm.copyOut(a.ptr(3), value.subarray(0, n)) < 0)) return -E.EFAULT;
  new DataView(lb.buffer).setInt32(0, n, true);
  return t.mm.copyOut(lenAddr, lb) < 0 ? -E.EFAULT : 0;
}

export const SOCKET_SYSCALLS: readonly SyscallSpec[] = [
  ['socket', ['int', 'hex', 'int'], socket],
  ['socketpair', ['int', 'hex', 'int', 'ptr'], socketpair],
  ['bind', ['fd', 'ptr', 'int'], (t, a) => withAddress(t, a, (s, addr) => s.bind(addr, callerOf(t)))],
  ['listen', ['fd', 'int'], listen],
  ['connect', ['fd', 'ptr', 'int'], (t, a) => withAddress(t, a, (s, addr) => connect(t, s, addr))],
  ['accept', ['fd', 'ptr', 'ptr'], (t, a) => accept4(t, a, 0)],
  ['accept4', ['fd', 'ptr', 'ptr', 'hex'], (t, a) => accept4(t, a, a.int(3))],
  ['getsockname', ['fd', 'ptr', 'ptr'], (t, a) => sockName(t, a, false)],
  ['getpeername', ['fd', 'ptr', 'ptr'], (t, a) => sockName(t, a, true)],
  ['shutdown', ['fd', 'int'], shutdown],
  ['setsockopt', ['fd', 'int', 'int', 'ptr', 'int'], setsockopt],
  ['getsockopt', ['fd', 'int', 'int', 'ptr', 'ptr'], getsockopt],
];
