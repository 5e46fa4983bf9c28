// Moving bytes between guest buffers and a description: the engine behind
// read/write, the vector and positional variants, and sendfile.
//
// Guest buffers are described as segments (an iovec array; one segment for
// read/write). Data goes through a host buffer of at most CHUNK bytes at a
// time, so a guest asking for 2 GiB makes the host allocate 1 MiB, not 2 GiB.
// Streams follow the blocking protocol of ../../fd/stream.ts: -EAGAIN means
// "would block"; unless O_NONBLOCK the task parks watching the stream and
// retries. A signal ends the wait as pipe_read/pipe_write do: the bytes
// already moved, or -ERESTARTSYS (restarted under SA_RESTART, else EINTR).
//
// A large transfer never holds the Node thread for long: after SLICE_MS of
// chunks it lets the event loop turn (timers, other sandboxes, kill) and
// goes on where it was. Like a regular-file write on Linux, only a fatal
// signal (the task has exited: killed, or a default action) ends it early.
import { E } from '../../errno.js';
import { isStream } from '../../fd/stream.js';
import { ERESTARTSYS } from '../../kernel/restart.js';
import { SI_USER, SIGPIPE, sendSignal } from '../../kernel/signals.js';
import type { Task } from '../../kernel/task.js';
import type { UserMemory } from '../../kernel/usercopy.js';
import { MAX_RW_COUNT, UIO_MAXIOV } from '../../mm/constants.js';
import { type FileDescription, O_NONBLOCK } from '../../vfs/index.js';
import { fileRead, fileWritten } from '../filemap.js';
import { writeRoom } from './fsize.js';
import { Park } from '../../kernel/park.js';

export { MAX_RW_COUNT };

/** Host bytes moved per step. */
export const CHUNK = 1 << 20;
/** How long one system call moves chunks before the event loop gets a turn. */
export const SLICE_MS = 4;
/** Guest addresses end below this (the lower canonical half). */
const USER_END = 2 ** 47;
const PAGE = 4096;

export interface Segment {
  base: number;
  len: number;
}

/** One guest buffer as segments: -EFAULT when it is not a user range (access_ok); the length is then capped at MAX_RW_COUNT. */
export function oneSegment(addr: number, len: number): Segment[] | number {
  if (addr < 0 || (len > 0 && (addr === 0 || addr + len > USER_END))) return -E.EFAULT;
  return [{ base: addr, len: Math.min(len, MAX_RW_COUNT) }];
}

/**
 * The `count` struct iovec at `addr`: -EINVAL for more than UIO_MAXIOV or a
 * length that is negative as a ssize_t, -EFAULT for an unreadable array or a
 * buffer outside user space. The total is trimmed to MAX_RW_COUNT, as Linux does.
 */
export function readIovecs(mm: UserMemory, addr: number, count: number): Segment[] | number {
  if (!Number.isInteger(count) || count < 0 || count > UIO_MAXIOV) return -E.EINVAL;
  if (count === 0) return [];
  if (addr <= 0) return -E.EFAULT;
  const raw = new Uint8Array(count * 16);
  if (mm.copyIn(addr, raw) < 0) return -E.EFAULT;
  const v = new DataView(raw.buffer);
  const out: Segment[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const o = i * 16;
    const base = v.getUint32(o + 4, true) * 2 ** 32 + v.getUint32(o, true);
    const hi = v.getUint32(o + 12, true);
    if (hi >= 0x8000_0000) return -E.EINVAL;
    const len = Math.min(hi * 2 ** 32 + v.getUint32(o + 8, true), MAX_RW_COUNT - total);
    if (len > 0 && base + len > USER_END) return -E.EFAULT;
    total += len;
    out.push({ base, len });
  }
  return out;
}

function totalOf(segs: readonly Segment[]): number {
  let n = 0;
  for (const s of segs) n += s.len;
  return n;
}

/** Copies one piece in or out; after a fault, page by page, so the bytes before the bad page still move. */
type Copy = (addr: number, host: Uint8Array) => number;

function copyPiece(copy: Copy, addr: number, host: Uint8Array): number {
  if (copy(addr, host) === 0) return host.length;
  let done = 0;
  while (done < host.length) {
    const n = Math.min(host.length - done, PAGE - ((addr + done) % PAGE));
    if (copy(addr + done, host.subarray(done, done + n)) < 0) break;
    done += n;
  }
  return done;
}

/** Moves `n` bytes between `buf` and the segments starting `at` bytes in; returns how many moved before a fault. */
function across(copy: Copy, segs: readonly Segment[], at: number, buf: Uint8Array, n: number): number {
  let done = 0;
  let skip = at;
  for (const s of segs) {
    if (done === n) break;
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    const take = Math.min(s.len - skip, n - done);
    const moved = copyPiece(copy, s.base + skip, buf.subarray(done, done + take));
    done += moved;
    if (moved < take) break;
    skip = 0;
  }
  return done;
}

/** Copies `n` bytes of `buf` to the segments starting `at` bytes in: how many before a fault. */
export function scatter(mm: UserMemory, segs: readonly Segment[], at: number, buf: Uint8Array, n: number): number {
  return across((addr, host) => mm.copyOut(addr, host), segs, at, buf, n);
}

/** Copies `n` bytes of the segments starting `at` bytes in to `buf`: how many before a fault. */
export function gather(mm: UserMemory, segs: readonly Segment[], at: number, buf: Uint8Array, n: number): number {
  return across((addr, host) => mm.copyIn(addr, host), segs, at, buf, n);
}

/** The host time one call has been moving bytes since it started or last let the event loop turn. */
class Slice {
  #start = performance.now();

  get over(): boolean {
    return performance.now() - this.#start > SLICE_MS;
  }

  restart(): void {
    this.#start = performance.now();
  }
}

/**
 * A step returns the call's result, WAIT to wait for the stream and step
 * again, or TURN to let the event loop run (its slice is over) and step again.
 */
const WAIT = 'wait';
const TURN = 'turn';
type Step = () => number | typeof WAIT | typeof TURN;

/**
 * Steps until a result; `interrupted` gives the result when a signal ends a
 * wait (given -ERESTARTSYS), or when the task has exited by the time it
 * would step again (-EINTR: nobody reads that result).
 */
function drive(t: Task, f: FileDescription, slice: Slice, step: Step, interrupted: (r: number) => number): number | Promise<number> {
  const r = step();
  if (typeof r === 'number') return r;
  return (async () => {
    for (let next = r; ; ) {
      if (next === TURN) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        slice.restart();
      } else {
        if (!isStream(f)) return -E.EAGAIN; // WAIT comes from streams only (mayWait)
        const end = await new Park(t).watch([f]).promise;
        if (end === 'interrupted') return interrupted(-ERESTARTSYS);
      }
      // Killed meanwhile: its memory and descriptors are being released, so nothing more is touched.
      if (t.exited) return interrupted(-E.EINTR);
      // Other tasks ran meanwhile: what reads the caller (a signalfd, /proc/self) must see this one.
      t.kernel.current = t;
      const v = step();
      if (typeof v === 'number') return v;
      next = v;
    }
  })();
}

function mayWait(f: FileDescription): boolean {
  return isStream(f) && (f.flags & O_NONBLOCK) === 0;
}

// Reads reuse one host buffer: a read step copies it out before returning.
let scratch = new Uint8Array(64 << 10);

function readBuffer(n: number): Uint8Array {
  if (n > scratch.length) scratch = new Uint8Array(Math.min(CHUNK, 2 ** Math.ceil(Math.log2(n))));
  return scratch;
}

/**
 * Reads into `segs`, at the file offset (`offset` null) or at `offset`
 * (pread). A stream read returns what one read gave; a file read goes on
 * until the segments are full or the file ends. Bytes that could not be
 * copied out are given back to the file offset.
 */
export function readInto(t: Task, f: FileDescription, segs: readonly Segment[], offset: number | null): number | Promise<number> {
  const total = totalOf(segs);
  if (total === 0) return offset === null ? f.read(new Uint8Array(0), 0) : f.pread(new Uint8Array(0), 0, offset);
  const stream = isStream(f);
  const slice = new Slice();
  let done = 0;
  const step: Step = () => {
    while (done < total) {
      if (done > 0 && slice.over) return TURN;
      const want = Math.min(total - done, CHUNK);
      const buf = readBuffer(want);
      const n = offset === null ? f.read(buf, want) : f.pread(buf, want, offset + done);
      if (n === -E.EAGAIN && done === 0 && mayWait(f)) return WAIT;
      if (n <= 0) return done > 0 ? done : n;
      fileRead(t, f, offset === null ? null : offset + done, buf, n);
      const copied = scatter(t.mm, segs, done, buf, n);
      if (copied < n && offset === null && !stream) f.pos -= n - copied;
      done += copied;
      if (copied < n) return done > 0 ? done : -E.EFAULT;
      if (stream || n < want) return done;
    }
    return done;
  };
  // A read waits only before its first byte.
  return drive(t, f, slice, step, (r) => (done > 0 ? done : r));
}

/** Where write() takes its bytes: guest segments, or another file (sendfile). */
export interface Source {
  readonly total: number;
  /** Fills `buf` with up to `n` bytes starting `at` bytes in: how many, 0 at the end, or a negative errno. */
  take(at: number, buf: Uint8Array, n: number): number;
  /** `n` bytes taken were not written (sendfile gives them back to its input). */
  untake(n: number): void;
}

export function segmentSource(mm: UserMemory, segs: readonly Segment[]): Source {
  return {
    total: totalOf(segs),
    take: (at, buf, n) => {
      const got = gather(mm, segs, at, buf, n);
      return got === 0 && n > 0 ? -E.EFAULT : got;
    },
    untake: () => {},
  };
}

/** A write to a pipe nobody reads: SIGPIPE (as kill from the writer itself, as Linux sends it) and -EPIPE. */
function brokenPipe(t: Task): number {
  sendSignal(t, { signo: SIGPIPE, code: SI_USER, pid: t.pid, uid: t.creds.uid });
  return -E.EPIPE;
}

/**
 * Writes `src` at the file offset (`offset` null) or at `offset` (pwrite).
 * A blocking stream write waits until every byte is taken, as a pipe write
 * does on Linux; a non-blocking one returns what fitted (or -EAGAIN).
 */
export function writeFrom(t: Task, f: FileDescription, whole: Source, offset: number | null): number | Promise<number> {
  if (whole.total === 0) {
    const r = offset === null ? f.write(new Uint8Array(0), 0) : f.pwrite(new Uint8Array(0), 0, offset);
    return r === -E.EPIPE ? brokenPipe(t) : r;
  }
  const room = writeRoom(t, f, offset, whole.total);
  if (room < 0) return room;
  const src: Source =
    room === whole.total ? whole : { total: room, take: (at, buf, n) => whole.take(at, buf, n), untake: (n) => whole.untake(n) };
  const slice = new Slice();
  let done = 0;
  let pending: Uint8Array | null = null;
  let last = false;
  const finish = (r: number): number => {
    if (pending !== null) src.untake(pending.length);
    pending = null;
    return done > 0 ? done : r;
  };
  const step: Step = () => {
    while (done < src.total) {
      if (pending === null) {
        if (done > 0 && slice.over) return TURN;
        const want = Math.min(src.total - done, CHUNK);
        const buf = new Uint8Array(want);
        const got = src.take(done, buf, want);
        if (got <= 0) return finish(got);
        last = got < want;
        pending = buf.subarray(0, got);
      }
      const n: number = offset === null ? f.write(pending, pending.length) : f.pwrite(pending, pending.length, offset + done);
      if (n === -E.EAGAIN && mayWait(f)) return WAIT;
      if (n === -E.EPIPE) return finish(brokenPipe(t));
      if (n <= 0) return finish(n);
      fileWritten(t, f, offset === null ? null : offset + done, pending.subarray(0, n));
      done += n;
      pending = n < pending.length ? pending.subarray(n) : null;
      if (pending !== null && !isStream(f)) return finish(0);
      if (pending === null && last) return done;
    }
    return done;
  };
  return drive(t, f, slice, step, finish);
}
