// Sending and receiving on sockets: sendto, recvfrom, sendmsg, recvmsg,
// sendmmsg, recvmmsg. The guest's buffers are read and written in place
// (the family copies what it takes: ../net/socket.ts OutMessage and
// InMessage); control data is decoded and encoded by ../net/msghdr.ts,
// SCM_RIGHTS descriptors travel as ../net/rights.ts InFlight.
import { E } from '../errno.js';
import { monotonicNs } from '../kernel/clock.js';
import type { SyscallArgs } from '../kernel/args.js';
import { SI_USER, SIGPIPE, sendSignal } from '../kernel/signals.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';
import type { Task } from '../kernel/task.js';
import { UIO_MAXIOV } from '../mm/constants.js';
import {
  ControlWriter,
  checkControlLen,
  decodeMsghdr,
  intsBytes,
  MMSGHDR_SIZE,
  MSGHDR_SIZE,
  type Msghdr,
  parseCmsgs,
  SCM_CREDENTIALS,
  SCM_RIGHTS,
  SOL_SOCKET,
} from '../net/msghdr.js';
import { InFlight, SCM_MAX_FD } from '../net/rights.js';
import { copyInSockaddr, copyOutSockaddr, SOCKADDR_STORAGE } from '../net/sockaddr.js';
import {
  type InMessage,
  MSG_CMSG_CLOEXEC,
  MSG_CTRUNC,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  MSG_WAITFORONE,
  type OutMessage,
  type RawCmsg,
  type ScmOut,
  SOCK_STREAM,
  type Socket,
} from '../net/socket.js';
import type { FileDescription } from '../vfs/index.js';
import { O_NONBLOCK } from '../vfs/index.js';
import { gather, oneSegment, readIovecs, scatter, type Segment } from './fs/transfer.js';
import { readTimespec, writeTimespec } from './structs.js';
import { callerOf, contextOf, socketOf, untilReady } from './socket-wait.js';

const INT_MAX = 0x7fff_ffff;
const UCRED_SIZE = 12;

function totalOf(segs: readonly Segment[]): number {
  let n = 0;
  for (const s of segs) n += s.len;
  return n;
}

function nonblocking(s: Socket, flags: number): boolean {
  return (flags & MSG_DONTWAIT) !== 0 || (s.flags & O_NONBLOCK) !== 0;
}

/** May the sender claim these credentials (scm_check_creds)? Root may claim any. */
function credsAllowed(t: Task, pid: number, uid: number, gid: number): boolean {
  const c = t.creds;
  if (c.euid === 0) return true;
  return pid === t.pid && (uid === c.uid || uid === c.euid || uid === c.suid) && (gid === c.gid || gid === c.egid || gid === c.sgid);
}

/** The SOL_SOCKET control messages of a send (__scm_send): -EINVAL, -EBADF, -EPERM as Linux; other levels are the family's. */
function scmOf(t: Task, cmsgs: readonly RawCmsg[]): ScmOut | number {
  const ctx = contextOf(t);
  const scm: ScmOut = { rights: null, creds: ctx.creds, explicitCreds: false, other: [] };
  const files: FileDescription[] = [];
  for (const c of cmsgs) {
    if (c.level !== SOL_SOCKET) {
      scm.other.push(c);
      continue;
    }
    const v = new DataView(c.data.buffer, c.data.byteOffset, c.data.length);
    if (c.type === SCM_RIGHTS) {
      const n = Math.floor(c.data.length / 4);
      if (files.length + n > SCM_MAX_FD) return -E.EINVAL;
      for (let i = 0; i < n; i++) {
        const f = t.fds.get(v.getInt32(i * 4, true));
        if (f === undefined) return -E.EBADF;
        files.push(f);
      }
    } else if (c.type === SCM_CREDENTIALS) {
      if (c.data.length !== UCRED_SIZE) return -E.EINVAL;
      const pid = v.getInt32(0, true);
      const uid = v.getUint32(4, true);
      const gid = v.getUint32(8, true);
      if (uid === 0xffff_ffff || gid === 0xffff_ffff) return -E.EINVAL;
      if (!credsAllowed(t, pid, uid, gid)) return -E.EPERM;
      scm.creds = { pid, uid, gid };
      scm.explicitCreds = true;
    } else return -E.EINVAL;
  }
  if (files.length > 0) {
    const r = InFlight.send(files, t.kernel, t.creds.uid, t.fds.limit, ctx.account);
    if (typeof r === 'number') return r;
    scm.rights = r;
  }
  return scm;
}

/** One send of `segs` (with destination and control data) on `s`: bytes sent or a negative errno. */
function sendOne(
  t: Task,
  s: Socket,
  segs: readonly Segment[],
  addr: Uint8Array | null,
  cmsgs: readonly RawCmsg[],
  flags: number,
): number | Promise<number> {
  const scm = scmOf(t, cmsgs);
  if (typeof scm === 'number') return scm;
  const msg: OutMessage = {
    size: totalOf(segs),
    read: (at, dst) => gather(t.mm, segs, at, dst, dst.length),
    addr,
    scm,
    flags,
    caller: callerOf(t),
    done: 0,
  };
  const finish = (r: number): number => {
    scm.rights?.drop(); // still here: the family did not take them
    if (r === -E.EPIPE && s.type === SOCK_STREAM && (flags & MSG_NOSIGNAL) === 0 && !t.exited) {
      sendSignal(t, { signo: SIGPIPE, code: SI_USER, pid: t.pid, uid: t.creds.uid });
    }
    return r;
  };
  const r = untilReady(
    t,
    s,
    nonblocking(s, flags),
    s.sndtimeo,
    () => s.send(msg),
    () => msg.done,
  );
  return typeof r === 'number' ? finish(r) : r.then(finish);
}

/** Where a receive puts what is not data: the sender's address and control messages (null pointers: none wanted). */
interface RecvOut {
  name: number;
  nameLen: number;
  control: number;
  controlLen: number;
  /** Where msg_controllen and msg_flags go (recvmsg), or 0 (recvfrom). */
  msghdr: number;
}

/** Turns what the family handed over into control messages (scm_recv): credentials, then descriptors. */
function encodeControl(t: Task, msg: InMessage, out: RecvOut, flags: number): ControlWriter | null {
  const scm = msg.scm;
  if (out.control === 0) {
    if (scm !== null && (scm.creds !== null || scm.rights !== null)) msg.msgFlags |= MSG_CTRUNC;
    scm?.rights?.drop();
    return null;
  }
  const w = new ControlWriter(out.controlLen);
  if (scm?.creds) w.put(SOL_SOCKET, SCM_CREDENTIALS, intsBytes([scm.creds.pid, scm.creds.uid, scm.creds.gid]));
  const rights = scm?.rights;
  if (rights) {
    const room = w.rightsRoom;
    const fds: number[] = [];
    const count = rights.count;
    rights.receive((f) => {
      if (fds.length >= room) return false;
      const fd = t.fds.add(f, (flags & MSG_CMSG_CLOEXEC) !== 0);
      if (fd < 0) return false;
      fds.push(fd);
      return true;
    });
    if (fds.length > 0) w.put(SOL_SOCKET, SCM_RIGHTS, intsBytes(fds));
    if (fds.length < count) w.truncated = true;
  }
  for (const c of scm?.other ?? []) w.put(c.level, c.type, c.data);
  if (w.truncated) msg.msgFlags |= MSG_CTRUNC;
  return w;
}

/** One receive into `segs`: bytes (or the datagram's length under MSG_TRUNC) or a negative errno; the rest goes to `out`. */
function recvOne(t: Task, s: Socket, segs: readonly Segment[], out: RecvOut, callFlags: number): number | Promise<number> {
  // As Linux, an O_NONBLOCK socket's receive is a MSG_DONTWAIT one.
  const flags = nonblocking(s, callFlags) ? callFlags | MSG_DONTWAIT : callFlags;
  const msg: InMessage = {
    size: totalOf(segs),
    write: (at, src) => scatter(t.mm, segs, at, src, src.length),
    flags,
    done: 0,
    addr: null,
    msgFlags: 0,
    scm: null,
  };
  const finish = (r: number): number => {
    if (r < 0 || t.exited) {
      msg.scm?.rights?.drop();
      return r;
    }
    const w = encodeControl(t, msg, out, flags);
    if (out.name !== 0) {
      const c = copyOutSockaddr(t.mm, msg.addr ?? new Uint8Array(0), out.name, out.nameLen);
      if (c < 0) return c;
    }
    if (out.msghdr === 0) return r;
    if (w !== null && w.used > 0 && t.mm.copyOut(out.control, w.bytes.subarray(0, w.used)) < 0) return -E.EFAULT;
    const tail = new Uint8Array(16);
    const v = new DataView(tail.buffer);
    v.setBigUint64(0, BigInt(w?.used ?? 0), true);
    v.setInt32(8, msg.msgFlags, true);
    if (t.mm.copyOut(out.msghdr + 40, tail.subarray(0, 12)) < 0) return -E.EFAULT;
    return r;
  };
  const r = untilReady(
    t,
    s,
    nonblocking(s, flags),
    s.rcvtimeo,
    () => s.recv(msg),
    () => msg.done,
  );
  return typeof r === 'number' ? finish(r) : r.then(finish);
}

function sendto(t: Task, a: SyscallArgs): number | Promise<number> {
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  const segs = oneSegment(a.ptr(1), Math.min(a.size(2), INT_MAX));
  if (typeof segs === 'number') return segs;
  let addr: Uint8Array | null = null;
  if (a.ptr(4) !== 0) {
    const b = copyInSockaddr(t.mm, a.ptr(4), a.int(5));
    if (typeof b === 'number') return b;
    addr = b;
  }
  return sendOne(t, s, segs, addr, [], a.int(3));
}

function recvfrom(t: Task, a: SyscallArgs): number | Promise<number> {
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  const segs = oneSegment(a.ptr(1), Math.min(a.size(2), INT_MAX));
  if (typeof segs === 'number') return segs;
  return recvOne(t, s, segs, { name: a.ptr(4), nameLen: a.ptr(5), control: 0, controlLen: 0, msghdr: 0 }, a.int(3));
}

/** The struct msghdr at `addr` and its iovecs: -EFAULT, or -EMSGSIZE for too many iovecs, as copy_msghdr_from_user. */
function readMsghdr(t: Task, addr: number): [Msghdr, Segment[]] | number {
  const b = new Uint8Array(MSGHDR_SIZE);
  if (addr <= 0 || t.mm.copyIn(addr, b) < 0) return -E.EFAULT;
  const m = decodeMsghdr(b);
  if (m.name === 0) m.namelen = 0;
  if (m.namelen < 0) return -E.EINVAL;
  m.namelen = Math.min(m.namelen, SOCKADDR_STORAGE);
  if (m.iovlen > UIO_MAXIOV) return -E.EMSGSIZE;
  const segs = readIovecs(t.mm, m.iov, m.iovlen);
  return typeof segs === 'number' ? segs : [m, segs];
}

function sendmsgAt(t: Task, s: Socket, addr: number, flags: number): number | Promise<number> {
  const r = readMsghdr(t, addr);
  if (typeof r === 'number') return r;
  const [m, segs] = r;
  let name: Uint8Array | null = null;
  if (m.name !== 0) {
    const b = copyInSockaddr(t.mm, m.name, m.namelen);
    if (typeof b === 'number') return b;
    name = b;
  }
  let cmsgs: RawCmsg[] = [];
  if (m.controllen > 0) {
    const c = checkControlLen(m.controllen);
    if (c < 0) return c;
    const ctl = new Uint8Array(m.controllen);
    if (m.control <= 0 || t.mm.copyIn(m.control, ctl) < 0) return -E.EFAULT;
    const parsed = parseCmsgs(ctl);
    if (typeof parsed === 'number') return parsed;
    cmsgs = parsed;
  }
  return sendOne(t, s, segs, name, cmsgs, flags);
}

function recvmsgAt(t: Task, s: Socket, addr: number, flags: number): number | Promise<number> {
  const r = readMsghdr(t, addr);
  if (typeof r === 'number') return r;
  const [m, segs] = r;
  if (m.control < 0) return -E.EFAULT;
  const out: RecvOut = { name: m.name, nameLen: addr + 8, control: m.control, controlLen: Math.min(m.controllen, INT_MAX), msghdr: addr };
  return recvOne(t, s, segs, out, flags);
}

function sendmsg(t: Task, a: SyscallArgs): number | Promise<number> {
  const s = socketOf(t, a.int(0));
  return typeof s === 'number' ? s : sendmsgAt(t, s, a.ptr(1), a.int(2));
}

function recvmsg(t: Task, a: SyscallArgs): number | Promise<number> {
  const s = socketOf(t, a.int(0));
  return typeof s === 'number' ? s : recvmsgAt(t, s, a.ptr(1), a.int(2));
}

/**
 * sendmmsg and recvmmsg: one message after another, each entry's msg_len
 * set; an error after the first message ends the call with the count done.
 * `next` gives the flags for the next message and false to stop (after
 * MSG_WAITFORONE's first, or a recvmmsg timeout).
 */
async function eachMessage(
  t: Task,
  vec: number,
  vlen: number,
  one: (addr: number) => number | Promise<number>,
  next: () => boolean,
): Promise<number> {
  let done = 0;
  for (; done < Math.min(vlen, UIO_MAXIOV); done++) {
    const entry = vec + done * MMSGHDR_SIZE;
    const r = await one(entry);
    if (r < 0) return done > 0 ? done : r;
    const lb = new Uint8Array(4);
    new DataView(lb.buffer).setUint32(0, r, true);
    if (t.mm.copyOut(entry + MSGHDR_SIZE, lb) < 0) return done > 0 ? done : -E.EFAULT;
    if (!next()) return done + 1;
  }
  return done;
}

function sendmmsg(t: Task, a: SyscallArgs): number | Promise<number> {
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  const flags = a.int(3);
  return eachMessage(
    t,
    a.ptr(1),
    a.uint(2),
    (at) => sendmsgAt(t, s, at, flags),
    () => true,
  );
}

async function recvmmsg(t: Task, a: SyscallArgs): Promise<number> {
  const s = socketOf(t, a.int(0));
  if (typeof s === 'number') return s;
  const tsAddr = a.ptr(4);
  let end: bigint | null = null;
  if (tsAddr !== 0) {
    const ns = readTimespec(t.mm, tsAddr);
    if (typeof ns === 'number') return ns;
    end = monotonicNs() + ns;
  }
  let flags = a.int(3);
  const n = await eachMessage(
    t,
    a.ptr(1),
    a.uint(2),
    (at) => recvmsgAt(t, s, at, flags),
    () => {
      if (flags & MSG_WAITFORONE) flags |= MSG_DONTWAIT;
      return end === null || monotonicNs() < end;
    },
  );
  if (end !== null && n > 0) {
    const left = end - monotonicNs();
    if (writeTimespec(t.mm, tsAddr, left > 0n ? left : 0n) < 0) return -E.EFAULT;
  }
  return n;
}

export const SOCKET_MSG_SYSCALLS: readonly SyscallSpec[] = [
  ['sendto', ['fd', 'inbuf', 'size', 'hex', 'ptr', 'int'], sendto],
  ['recvfrom', ['fd', 'outbuf', 'size', 'hex', 'ptr', 'ptr'], recvfrom],
  ['sendmsg', ['fd', 'ptr', 'hex'], sendmsg],
  ['recvmsg', ['fd', 'ptr', 'hex'], recvmsg],
  ['sendmmsg', ['fd', 'ptr', 'uint', 'hex'], sendmmsg],
  ['recvmmsg', ['fd', 'ptr', 'uint', 'hex', 'ptr'], recvmmsg],
];
