// splice, tee, vmsplice and copy_file_range: moving bytes between pipes and
// files without a guest buffer (Linux fs/splice.c, fs/read_write.c).
//
// splice needs a pipe on one side at least: pipe -> file or pipe, file ->
// pipe. One call moves what is there: at most the bytes buffered in the
// input pipe, or the room left in the output pipe (which bounds the host
// buffer by the pipe's size, at most 1 MiB). It waits, as Linux does,
// for input in an empty pipe that still has a writer and for room in a
// full output pipe, unless SPLICE_F_NONBLOCK or the pipe is O_NONBLOCK
// (EAGAIN); a signal ends the wait (restarted under SA_RESTART). tee
// copies between two pipes without consuming. vmsplice is writev to a
// pipe's write end or readv from its read end. copy_file_range copies
// between regular files (across filesystems too, as Linux 5.19+), up to
// COPY_MAX bytes a call.
import { E } from '../../errno.js';
import { PipeEnd } from '../../fd/pipe.js';
import type { Pollable } from '../../fd/readiness.js';
import type { SyscallArgs } from '../../kernel/args.js';
import { Park } from '../../kernel/park.js';
import { ERESTARTSYS } from '../../kernel/restart.js';
import { SI_USER, SIGPIPE, sendSignal } from '../../kernel/signals.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import type { Task } from '../../kernel/task.js';
import { type FileDescription, O_APPEND, O_NONBLOCK, S_IFDIR, S_IFMT, S_IFREG } from '../../vfs/index.js';
import { fileRead, fileWritten } from '../filemap.js';
import { fileOf } from './common.js';
import { readInto, readIovecs, segmentSource, writeFrom } from './transfer.js';

const SPLICE_F_MOVE = 1;
const SPLICE_F_NONBLOCK = 2;
const SPLICE_F_MORE = 4;
const SPLICE_F_GIFT = 8;
const SPLICE_F_ALL = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;
/** Bytes one copy_file_range call copies at most (a short count; callers loop). */
const COPY_MAX = 4 << 20;
const CHUNK = 1 << 20;

/** A step's answer: the result, or the pipe to wait on before trying again. */
type Step = () => number | Pollable;

/** Runs `step` until it gives a result, parking on the pipe it names; a signal ends a wait with -ERESTARTSYS. */
function drive(t: Task, step: Step): number | Promise<number> {
  const first = step();
  if (typeof first === 'number') return first;
  return (async () => {
    for (let on = first; ; ) {
      const end = await new Park(t).watch([on]).promise;
      if (end === 'interrupted') return -ERESTARTSYS;
      if (t.exited) return -E.EINTR;
      t.kernel.current = t;
      const r = step();
      if (typeof r === 'number') return r;
      on = r;
    }
  })();
}

/** A write to a pipe nobody reads: SIGPIPE, as a write(2) gets. */
function brokenPipe(t: Task): number {
  sendSignal(t, { signo: SIGPIPE, code: SI_USER, pid: t.pid, uid: t.creds.uid });
  return -E.EPIPE;
}

/** The loff_t at `addr`: the offset, -EFAULT, or -EINVAL when negative. */
function readOffset(t: Task, addr: number): number {
  const b = new Uint8Array(8);
  if (addr < 0 || t.mm.copyIn(addr, b) < 0) return -E.EFAULT;
  const v = new DataView(b.buffer).getBigInt64(0, true);
  return v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER) ? -E.EINVAL : Number(v);
}

function writeOffset(t: Task, addr: number, value: number): number {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(value), true);
  return t.mm.copyOut(addr, b) < 0 ? -E.EFAULT : 0;
}

/** One end of a transfer: a description and the offset it is read or written at (null: its file offset). */
interface End {
  f: FileDescription;
  off: number | null;
}

function readFile(t: Task, src: End, buf: Uint8Array, n: number): number {
  const got = src.off === null ? src.f.read(buf, n) : src.f.pread(buf, n, src.off);
  if (got > 0) fileRead(t, src.f, src.off, buf, got);
  return got;
}

function writeFile(t: Task, dst: End, data: Uint8Array): number {
  const n = dst.off === null ? dst.f.write(data, data.length) : dst.f.pwrite(data, data.length, dst.off);
  if (n > 0) fileWritten(t, dst.f, dst.off, data.subarray(0, n));
  return n;
}

/** splice from a pipe: what is buffered (up to `len`) goes to `dst`; an empty pipe with a writer waits. */
function fromPipe(t: Task, pipe: PipeEnd, dst: End, len: number, nonblock: boolean): Step {
  return () => {
    const n = Math.min(len, pipe.buffered, CHUNK);
    if (n === 0) {
      if (pipe.pollHangup()) return 0; // no writer left: the end of the input
      return nonblock ? -E.EAGAIN : pipe;
    }
    let want = n;
    if (dst.f instanceof PipeEnd) {
      if (dst.f.pollHangup()) return brokenPipe(t);
      want = Math.min(n, dst.f.capacity - dst.f.buffered);
      if (want <= 0) return nonblock ? -E.EAGAIN : dst.f;
    }
    // Bytes leave the input pipe only once written: a failed write loses none.
    const buf = new Uint8Array(want);
    const got = pipe.peek(buf, want);
    const put = dst.f instanceof PipeEnd ? dst.f.write(buf, got) : writeFile(t, dst, buf.subarray(0, got));
    if (put === -E.EPIPE) return brokenPipe(t);
    if (put > 0) pipe.read(buf, put);
    return put;
  };
}

/** splice to a pipe: up to the room left in it, read from `src`; a full pipe waits. */
function toPipe(t: Task, src: End, pipe: PipeEnd, len: number, nonblock: boolean): Step {
  return () => {
    if (pipe.pollHangup()) return brokenPipe(t);
    const room = Math.min(len, pipe.capacity - pipe.buffered, CHUNK);
    if (room <= 0) return nonblock ? -E.EAGAIN : pipe;
    const buf = new Uint8Array(room);
    const got = readFile(t, src, buf, room);
    if (got <= 0) return got;
    const put = pipe.write(buf, got);
    return put === -E.EPIPE ? brokenPipe(t) : put;
  };
}

/**
 * splice(fd_in, off_in, fd_out, off_out, len, flags) with Linux's checks:
 * flags (EINVAL), descriptors (EBADF, and EBADF unless readable/writable),
 * an offset given for a pipe (ESPIPE), a pipe spliced to itself (EINVAL),
 * no pipe at all (EINVAL), an offset for an output opened O_APPEND
 * (EINVAL), offsets (EFAULT, EINVAL).
 */
function splice(t: Task, a: SyscallArgs): number | Promise<number> {
  const flags = a.uint(5);
  if ((flags & ~SPLICE_F_ALL) !== 0) return -E.EINVAL;
  const inp = fileOf(t, a.int(0));
  if (typeof inp === 'number') return inp;
  const out = fileOf(t, a.int(2));
  if (typeof out === 'number') return out;
  if (!inp.readable || !out.writable) return -E.EBADF;
  const offInPtr = a.ptr(1);
  const offOutPtr = a.ptr(3);
  const inPipe = inp instanceof PipeEnd ? inp : null;
  const outPipe = out instanceof PipeEnd ? out : null;
  if (inPipe === null && outPipe === null) return -E.EINVAL;
  if ((inPipe !== null && offInPtr !== 0) || (outPipe !== null && offOutPtr !== 0)) return -E.ESPIPE;
  if (inPipe !== null && outPipe !== null && inPipe.samePipe(outPipe)) return -E.EINVAL;
  if (offOutPtr !== 0 && out.flags & O_APPEND) return -E.EINVAL;
  const offIn = offInPtr === 0 ? null : readOffset(t, offInPtr);
  const offOut = offOutPtr === 0 ? null : readOffset(t, offOutPtr);
  if (offIn !== null && offIn < 0) return offIn;
  if (offOut !== null && offOut < 0) return offOut;
  const len = a.size(4);
  if (len === 0) return 0;
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0 || ((inPipe ?? outPipe)!.flags & O_NONBLOCK) !== 0;
  const src: End = { f: inp, off: offIn };
  const dst: End = { f: out, off: offOut };
  const step = inPipe !== null ? fromPipe(t, inPipe, dst, len, nonblock) : toPipe(t, src, outPipe!, len, nonblock);
  const finish = (r: number): number => {
    if (r <= 0 || t.exited) return r;
    if (offIn !== null && writeOffset(t, offInPtr, offIn + r) < 0) return -E.EFAULT;
    if (offOut !== null && writeOffset(t, offOutPtr, offOut + r) < 0) return -E.EFAULT;
    return r;
  };
  const r = drive(t, step);
  return typeof r === 'number' ? finish(r) : r.then(finish);
}

/** tee(fd_in, fd_out, len, flags): copies what `fd_in`'s pipe holds into `fd_out`'s, consuming nothing. */
function tee(t: Task, a: SyscallArgs): number | Promise<number> {
  const flags = a.uint(3);
  if ((flags & ~SPLICE_F_ALL) !== 0) return -E.EINVAL;
  const inp = fileOf(t, a.int(0));
  if (typeof inp === 'number') return inp;
  const out = fileOf(t, a.int(1));
  if (typeof out === 'number') return out;
  if (!inp.readable || !out.writable) return -E.EBADF;
  if (!(inp instanceof PipeEnd) || !(out instanceof PipeEnd) || inp.samePipe(out)) return -E.EINVAL;
  const len = a.size(2);
  if (len === 0) return 0;
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0;
  return drive(t, () => {
    if (inp.buffered === 0) {
      if (inp.pollHangup()) return 0;
      return nonblock ? -E.EAGAIN : inp;
    }
    if (out.pollHangup()) return brokenPipe(t);
    const room = Math.min(len, inp.buffered, out.capacity - out.buffered);
    if (room <= 0) return nonblock ? -E.EAGAIN : out;
    const buf = new Uint8Array(room);
    const got = inp.peek(buf, room);
    return got <= 0 ? got : out.write(buf, got);
  });
}

/** vmsplice(fd, iov, nr_segs, flags): writev into a pipe's write end, readv from its read end. */
function vmsplice(t: Task, a: SyscallArgs): number | Promise<number> {
  const flags = a.uint(3);
  if ((flags & ~SPLICE_F_ALL) !== 0) return -E.EINVAL;
  const f = fileOf(t, a.int(0));
  if (typeof f === 'number') return f;
  if (!(f instanceof PipeEnd)) return -E.EBADF;
  const segs = readIovecs(t.mm, a.ptr(1), a.size(2));
  if (typeof segs === 'number') return segs;
  if (f.writable) {
    if (flags & SPLICE_F_NONBLOCK && !f.pollReadyWrite() && !f.pollHangup()) return -E.EAGAIN;
    return writeFrom(t, f, segmentSource(t.mm, segs), null);
  }
  if (!f.readable) return -E.EBADF;
  if (flags & SPLICE_F_NONBLOCK && !f.pollReadyRead() && !f.pollHangup()) return -E.EAGAIN;
  return readInto(t, f, segs, null);
}

/**
 * copy_file_range(fd_in, off_in, fd_out, off_out, len, flags) in Linux's
 * order: flags (EINVAL), descriptors (EBADF), offsets (EFAULT, EINVAL),
 * directories (EISDIR), anything but regular files (EINVAL), access and
 * O_APPEND (EBADF), overlapping ranges of one file (EINVAL). Copies until
 * the input ends, up to COPY_MAX bytes.
 */
function copyFileRange(t: Task, a: SyscallArgs): number {
  if (a.uint(5) !== 0) return -E.EINVAL;
  const inp = fileOf(t, a.int(0));
  if (typeof inp === 'number') return inp;
  const out = fileOf(t, a.int(2));
  if (typeof out === 'number') return out;
  const offInPtr = a.ptr(1);
  const offOutPtr = a.ptr(3);
  const offIn = offInPtr === 0 ? null : readOffset(t, offInPtr);
  const offOut = offOutPtr === 0 ? null : readOffset(t, offOutPtr);
  if (offIn === -E.EFAULT || offOut === -E.EFAULT) return -E.EFAULT;
  const si = inp.stat();
  const so = out.stat();
  if (typeof si === 'number') return si;
  if (typeof so === 'number') return so;
  if ((si.mode & S_IFMT) === S_IFDIR || (so.mode & S_IFMT) === S_IFDIR) return -E.EISDIR;
  if ((si.mode & S_IFMT) !== S_IFREG || (so.mode & S_IFMT) !== S_IFREG) return -E.EINVAL;
  if (!inp.readable || !out.writable || out.flags & O_APPEND) return -E.EBADF;
  if ((offIn !== null && offIn < 0) || (offOut !== null && offOut < 0)) return -E.EINVAL;
  const posIn = offIn ?? inp.pos;
  const posOut = offOut ?? out.pos;
  let len = Math.min(a.size(4), COPY_MAX, Math.max(0, si.size - posIn));
  const sameFile = si.dev === so.dev && si.ino === so.ino;
  if (sameFile && posIn < posOut + len && posOut < posIn + len) return -E.EINVAL;
  let done = 0;
  const buf = new Uint8Array(Math.min(len, CHUNK));
  while (len > 0) {
    const got = readFile(t, { f: inp, off: posIn + done }, buf, Math.min(len, buf.length));
    if (got <= 0) {
      if (done === 0 && got < 0) return got;
      break;
    }
    const put = writeFile(t, { f: out, off: posOut + done }, buf.subarray(0, got));
    if (put <= 0) {
      if (done === 0) return put;
      break;
    }
    done += put;
    len -= put;
    if (put < got) break;
  }
  if (offIn === null) inp.pos = posIn + done;
  else if (writeOffset(t, offInPtr, posIn + done) < 0) return -E.EFAULT;
  if (offOut === null) out.pos = posOut + done;
  else if (writeOffset(t, offOutPtr, posOut + done) < 0) return -E.EFAULT;
  return done;
}

export const SPLICE_SYSCALLS: readonly SyscallSpec[] = [
  ['splice', ['fd', 'ptr', 'fd', 'ptr', 'size', 'hex'], splice],
  ['tee', ['fd', 'fd', 'size', 'hex'], tee],
  ['vmsplice', ['fd', 'ptr', 'size', 'hex'], vmsplice],
  ['copy_file_range', ['fd', 'ptr', 'fd', 'ptr', 'size', 'hex'], copyFileRange],
];
