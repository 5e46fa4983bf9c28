// poll, ppoll, select, pselect6: readiness of any descriptors. Regular files
// are always ready; streams answer pollReadyRead/pollReadyWrite/pollHangup.
// A call that finds nothing ready waits — without blocking the Node thread —
// for any of its streams to change or for its timeout, then looks again.
import { E } from '../../errno.js';
import { PipeEnd } from '../../fd/pipe.js';
import { isStream, type StreamDescription } from '../../fd/stream.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import type { FileDescription } from '../../vfs/index.js';
import type { SyscallSpec } from '../table.js';
import { copyInArg, fileOf } from './common.js';

const POLLIN = 0x1;
const POLLPRI = 0x2;
const POLLOUT = 0x4;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
const POLLRDNORM = 0x40;
const POLLWRNORM = 0x100;
/** What a regular file reports: always readable and writable (DEFAULT_POLLMASK). */
const DEFAULT_MASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
const POLLIN_SET = POLLIN | POLLRDNORM | POLLHUP | POLLERR;
const POLLOUT_SET = POLLOUT | POLLWRNORM | POLLERR;
const POLLEX_SET = POLLPRI;
const SIGSET_SIZE = 8;
/** setTimeout's longest delay; longer waits simply look again. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Every event `f` has now. A write end whose reader is gone is POLLERR; a
 * read end without writers is POLLHUP, and POLLIN only while data is left
 * (Linux's pipe_poll).
 */
export function pollMask(f: FileDescription): number {
  if (!isStream(f)) return DEFAULT_MASK;
  let m = 0;
  if (f instanceof PipeEnd ? f.readable && f.buffered > 0 : f.pollReadyRead()) m |= POLLIN | POLLRDNORM;
  if (f.pollReadyWrite()) m |= POLLOUT | POLLWRNORM;
  if (f.pollHangup()) m |= f.writable && !f.readable ? POLLERR : POLLHUP;
  return m;
}

/** Resolves when any of `streams` changes or after `ms` (Infinity: no timer). */
function anyChange(streams: readonly StreamDescription[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    };
    for (const s of streams) void s.changed().then(done);
    if (ms !== Infinity) timer = setTimeout(done, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
  });
}

/**
 * Runs `scan` (the number of ready descriptors, or a negative errno) until
 * it finds something or `timeoutMs` passes (Infinity: forever, 0: once), and
 * hands the result and the time left to `finish`.
 */
function waitReady(
  scan: () => number, streams: readonly StreamDescription[], timeoutMs: number, finish: (r: number, leftMs: number) => number,
): number | Promise<number> {
  const first = scan();
  if (first !== 0 || timeoutMs <= 0) return finish(first, Math.max(0, timeoutMs));
  const deadline = performance.now() + timeoutMs;
  return (async () => {
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return finish(scan(), 0);
      await anyChange(streams, left);
      const r = scan();
      if (r !== 0) return finish(r, Math.max(0, deadline - performance.now()));
    }
  })();
}

function streamsOf(files: readonly (FileDescription | undefined)[]): StreamDescription[] {
  return files.filter((f): f is StreamDescription => f !== undefined && isStream(f));
}

/** A struct timespec at argument `i` as milliseconds: Infinity for NULL, -EFAULT, -EINVAL for an invalid one. */
function timespecArg(t: Task, a: SyscallArgs, i: number, usec: boolean): number {
  if (a.ptr(i) === 0) return Infinity;
  const b = copyInArg(t, a, i, 16);
  if (typeof b === 'number') return b;
  const v = new DataView(b.buffer);
  const sec = Number(v.getBigInt64(0, true));
  const frac = Number(v.getBigInt64(8, true));
  if (sec < 0 || frac < 0 || (!usec && frac >= 1e9)) return -E.EINVAL;
  return sec * 1000 + (usec ? frac / 1000 : frac / 1e6);
}

/** Writes the time left back to the timespec/timeval at argument `i`; a failure is ignored, as Linux does. */
function putTimeLeft(t: Task, a: SyscallArgs, i: number, ms: number, usec: boolean): void {
  if (a.ptr(i) <= 0) return;
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  const sec = Math.floor(ms / 1000);
  v.setBigInt64(0, BigInt(sec), true);
  const rest = ms - sec * 1000;
  v.setBigInt64(8, BigInt(Math.floor(usec ? rest * 1000 : rest * 1e6)), true);
  t.mm.copyOut(a.ptr(i), b);
}

/** The signal mask argument of ppoll: ignored for now, but its size must be right. */
function checkSigmask(a: SyscallArgs, ptrIdx: number, sizeIdx: number): number {
  return a.ptr(ptrIdx) !== 0 && a.size(sizeIdx) !== SIGSET_SIZE ? -E.EINVAL : 0;
}

// ---- poll ----

function doPoll(t: Task, a: SyscallArgs, timeoutMs: number, after: (leftMs: number) => void): number | Promise<number> {
  const nfds = a.uint(1);
  if (nfds > t.fds.limit) return -E.EINVAL;
  const addr = a.ptr(0);
  const raw = new Uint8Array(nfds * 8);
  if (nfds > 0 && (addr <= 0 || t.mm.copyIn(addr, raw) < 0)) return -E.EFAULT;
  const v = new DataView(raw.buffer);
  const files: (FileDescription | undefined)[] = [];
  for (let i = 0; i < nfds; i++) {
    const fd = v.getInt32(i * 8, true);
    const f = fd < 0 ? undefined : fileOf(t, fd);
    files.push(typeof f === 'number' ? undefined : f);
  }
  const scan = (): number => {
    let ready = 0;
    for (let i = 0; i < nfds; i++) {
      const fd = v.getInt32(i * 8, true);
      const f = files[i];
      let rev = 0;
      if (fd >= 0) rev = f === undefined ? POLLNVAL : pollMask(f) & (v.getUint16(i * 8 + 4, true) | POLLERR | POLLHUP);
      v.setUint16(i * 8 + 6, rev, true);
      if (rev !== 0) ready++;
    }
    return ready;
  };
  return waitReady(scan, streamsOf(files), timeoutMs, (r, left) => {
    after(left);
    if (nfds > 0 && t.mm.copyOut(addr, raw) < 0) return -E.EFAULT;
    return r;
  });
}

function poll(t: Task, a: SyscallArgs): number | Promise<number> {
  const timeout = a.int(2);
  return doPoll(t, a, timeout < 0 ? Infinity : timeout, () => {});
}

function ppoll(t: Task, a: SyscallArgs): number | Promise<number> {
  const ms = timespecArg(t, a, 2, false);
  if (ms < 0) return ms;
  const bad = checkSigmask(a, 3, 4);
  if (bad < 0) return bad;
  return doPoll(t, a, ms, (left) => putTimeLeft(t, a, 2, left, false));
}

// ---- select ----

/** select's three fd_sets (NULL ones stay null), each `words` u64 words long. */
function doSelect(t: Task, a: SyscallArgs, timeoutMs: number, after: (leftMs: number) => void): number | Promise<number> {
  const n = Math.min(a.int(0), t.fds.limit);
  if (n < 0) return -E.EINVAL;
  const bytes = Math.ceil(n / 64) * 8;
  const sets: (Uint8Array | null)[] = [];
  for (let i = 1; i <= 3; i++) {
    if (a.ptr(i) === 0) {
      sets.push(null);
      continue;
    }
    const b = copyInArg(t, a, i, bytes);
    if (typeof b === 'number') return b;
    sets.push(b);
  }
  const has = (s: Uint8Array | null, fd: number): boolean => s !== null && (s[fd >> 3]! & (1 << (fd & 7))) !== 0;
  const files: (FileDescription | undefined)[] = [];
  for (let fd = 0; fd < n; fd++) {
    if (!sets.some((s) => has(s, fd))) continue;
    const f = fileOf(t, fd);
    if (typeof f === 'number') return f;
    files[fd] = f;
  }
  const out = sets.map((s) => (s === null ? null : new Uint8Array(bytes)));
  const want = [POLLIN_SET, POLLOUT_SET, POLLEX_SET];
  const scan = (): number => {
    let ready = 0;
    for (const o of out) o?.fill(0);
    files.forEach((f, fd) => {
      if (f === undefined) return;
      const m = pollMask(f);
      sets.forEach((s, k) => {
        if (has(s, fd) && (m & want[k]!) !== 0) {
          out[k]![fd >> 3]! |= 1 << (fd & 7);
          ready++;
        }
      });
    });
    return ready;
  };
  return waitReady(scan, streamsOf(files), timeoutMs, (r, left) => {
    after(left);
    for (let k = 0; k < 3; k++) {
      const o = out[k];
      if (o !== null && o !== undefined && t.mm.copyOut(a.ptr(k + 1), o) < 0) return -E.EFAULT;
    }
    return r;
  });
}

function select(t: Task, a: SyscallArgs): number | Promise<number> {
  const ms = timespecArg(t, a, 4, true);
  if (ms < 0) return ms;
  return doSelect(t, a, ms, (left) => putTimeLeft(t, a, 4, left, true));
}

/** pselect6's sixth argument is { const sigset_t *ss; size_t ss_len; }. */
function pselect6(t: Task, a: SyscallArgs): number | Promise<number> {
  const ms = timespecArg(t, a, 4, false);
  if (ms < 0) return ms;
  if (a.ptr(5) !== 0) {
    const b = copyInArg(t, a, 5, 16);
    if (typeof b === 'number') return b;
    const v = new DataView(b.buffer);
    const ss = v.getBigUint64(0, true);
    if (ss !== 0n && v.getBigUint64(8, true) !== BigInt(SIGSET_SIZE)) return -E.EINVAL;
  }
  return doSelect(t, a, ms, (left) => putTimeLeft(t, a, 4, left, false));
}

export const POLL_SYSCALLS: readonly SyscallSpec[] = [
  ['poll', ['ptr', 'uint', 'int'], poll],
  ['ppoll', ['ptr', 'uint', 'ptr', 'ptr', 'size'], ppoll],
  ['select', ['int', 'ptr', 'ptr', 'ptr', 'ptr'], select],
  ['pselect6', ['int', 'ptr', 'ptr', 'ptr', 'ptr', 'ptr'], pselect6],
];
