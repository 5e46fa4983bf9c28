// poll, ppoll, select, pselect6: readiness of any descriptors, through the
// one mechanism of ../../fd/readiness.ts (files without readiness, such as
// regular files, are always ready). A call that finds nothing ready parks
// the task (../../kernel/wait-ready.ts) — without blocking the Node thread
// — until any of its objects changes, its timeout passes or a signal
// interrupts it, and looks again. Interrupted with nothing ready,
// ppoll, select and pselect6 return -ERESTARTNOHAND (EINTR when a handler
// runs, restarted with the time left written back when none does) and
// poll EINTR (Linux restarts it only when no handler runs, and here only a
// handler interrupts it). ppoll and pselect6 wait with their sigmask as the
// blocked set, kept for the handler's terms when a signal interrupts them
// and restored at once otherwise (Linux's poll_select_finish).
import { E } from '../../errno.js';
import {
  isPollable,
  type Pollable,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLPRI,
  POLLRDNORM,
  POLLWRNORM,
  readinessOf,
} from '../../fd/readiness.js';
import type { SyscallArgs } from '../../kernel/args.js';
import { ERESTARTNOHAND } from '../../kernel/restart.js';
import type { Task } from '../../kernel/task.js';
import { type Timeout, timeLeft, timeoutAfter, waitReady } from '../../kernel/wait-ready.js';
import type { FileDescription } from '../../vfs/index.js';
import { applySigmaskArg } from '../signal.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import { NS_PER_SEC, NS_PER_USEC } from '../structs.js';
import { copyInArg, fileOf } from './common.js';

const POLLIN_SET = POLLIN | POLLRDNORM | POLLHUP | POLLERR;
const POLLOUT_SET = POLLOUT | POLLWRNORM | POLLERR;
const POLLEX_SET = POLLPRI;
const NS_PER_MS = 1_000_000n;

function pollablesOf(files: readonly (FileDescription | undefined)[]): Pollable[] {
  return files.filter((f): f is FileDescription & Pollable => f !== undefined && isPollable(f));
}

/** `f` applied to a result that may still be coming. */
export function andThen(r: number | Promise<number>, f: (v: number) => number): number | Promise<number> {
  return typeof r === 'number' ? f(r) : r.then(f);
}

/**
 * The struct timespec (or, with `usec`, timeval) at argument `i`: a
 * Timeout (NULL: none), -EFAULT, or -EINVAL for a negative or denormal
 * time. A timeval's microseconds may overflow into seconds, as select(2)
 * folds them before checking.
 */
export function timeoutArg(t: Task, a: SyscallArgs, i: number, usec: boolean): Timeout | number {
  if (a.ptr(i) === 0) return timeoutAfter(undefined);
  const b = copyInArg(t, a, i, 16);
  if (typeof b === 'number') return b;
  const v = new DataView(b.buffer);
  let sec = v.getBigInt64(0, true);
  let nsec = v.getBigInt64(8, true);
  if (usec) {
    sec += nsec / 1_000_000n;
    nsec = (nsec % 1_000_000n) * NS_PER_USEC;
  }
  if (sec < 0n || nsec < 0n || nsec >= NS_PER_SEC) return -E.EINVAL;
  return timeoutAfter(sec * NS_PER_SEC + nsec);
}

/**
 * poll_select_finish(): the temporary sigmask is restored unless the wait
 * was interrupted (the run loop then has the handler save it); the time
 * left is written back to the timespec/timeval at `p` (not for
 * NULL or a zero timeout); if that fails, an interrupted call becomes EINTR
 * rather than be restarted with a stale timeout.
 */
function finishWait(t: Task, p: number, timeout: Timeout, usec: boolean, r: number): number {
  if (r !== -ERESTARTNOHAND) t.signals.restoreSavedMask();
  if (p === 0 || timeout.ns === 0n || timeout.deadline === undefined) return r;
  const ns = timeLeft(timeout) ?? 0n;
  const b = new DataView(new ArrayBuffer(16));
  b.setBigInt64(0, ns / NS_PER_SEC, true);
  b.setBigInt64(8, usec ? (ns % NS_PER_SEC) / NS_PER_USEC : ns % NS_PER_SEC, true);
  if (p > 0 && t.mm.copyOut(p, new Uint8Array(b.buffer)) === 0) return r;
  return r === -ERESTARTNOHAND ? -E.EINTR : r;
}

// ---- poll ----

/** The pollfd array of arguments 0-1, waited on: the number ready, or an errno (revents are written either way, as do_sys_poll). */
function doPoll(t: Task, a: SyscallArgs, timeout: Timeout): number | Promise<number> {
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
      if (fd >= 0) rev = f === undefined ? POLLNVAL : readinessOf(f) & (v.getUint16(i * 8 + 4, true) | POLLERR | POLLHUP);
      v.setUint16(i * 8 + 6, rev, true);
      if (rev !== 0) ready++;
    }
    return ready;
  };
  return andThen(waitReady(t, scan, pollablesOf(files), timeout), (r) => (nfds > 0 && t.mm.copyOut(addr, raw) < 0 ? -E.EFAULT : r));
}

function poll(t: Task, a: SyscallArgs): number | Promise<number> {
  const ms = a.int(2);
  return andThen(doPoll(t, a, timeoutAfter(ms < 0 ? undefined : BigInt(ms) * NS_PER_MS)), (r) => (r === -ERESTARTNOHAND ? -E.EINTR : r));
}

function ppoll(t: Task, a: SyscallArgs): number | Promise<number> {
  const tsPtr = a.ptr(2);
  const timeout = timeoutArg(t, a, 2, false);
  if (typeof timeout === 'number') return timeout;
  const masked = applySigmaskArg(t, a.ptr(3), a.size(4));
  if (masked < 0) return masked;
  return andThen(doPoll(t, a, timeout), (r) => finishWait(t, tsPtr, timeout, false, r));
}

// ---- select ----

/** select's three fd_sets of arguments 1-3 (NULL ones stay null), waited on; they are written back unless the result is an errno. */
function doSelect(t: Task, a: SyscallArgs, timeout: Timeout): number | Promise<number> {
  const n = Math.min(a.int(0), t.fds.limit);
  if (n < 0) return -E.EINVAL;
  const bytes = Math.ceil(n / 64) * 8;
  const ptrs = [a.ptr(1), a.ptr(2), a.ptr(3)];
  const sets: (Uint8Array | null)[] = [];
  for (let i = 1; i <= 3; i++) {
    if (ptrs[i - 1] === 0) {
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
      const m = readinessOf(f);
      sets.forEach((s, k) => {
        if (has(s, fd) && (m & want[k]!) !== 0) {
          out[k]![fd >> 3]! |= 1 << (fd & 7);
          ready++;
        }
      });
    });
    return ready;
  };
  return andThen(waitReady(t, scan, pollablesOf(files), timeout), (r) => {
    if (r < 0) return r;
    for (let k = 0; k < 3; k++) {
      const o = out[k];
      if (o !== null && o !== undefined && t.mm.copyOut(ptrs[k]!, o) < 0) return -E.EFAULT;
    }
    return r;
  });
}

function select(t: Task, a: SyscallArgs): number | Promise<number> {
  const tvPtr = a.ptr(4);
  const timeout = timeoutArg(t, a, 4, true);
  if (typeof timeout === 'number') return timeout;
  return andThen(doSelect(t, a, timeout), (r) => finishWait(t, tvPtr, timeout, true, r));
}

/** pselect6's sixth argument is { const sigset_t *ss; size_t ss_len; }, read before the timeout, as Linux does. */
function pselect6(t: Task, a: SyscallArgs): number | Promise<number> {
  let ss = 0;
  let ssLen = 0;
  if (a.ptr(5) !== 0) {
    const b = copyInArg(t, a, 5, 16);
    if (typeof b === 'number') return b;
    const v = new DataView(b.buffer);
    const p = v.getBigUint64(0, true);
    const len = v.getBigUint64(8, true);
    ss = p >= 1n << 47n ? -1 : Number(p);
    ssLen = len > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(len);
  }
  const tsPtr = a.ptr(4);
  const timeout = timeoutArg(t, a, 4, false);
  if (typeof timeout === 'number') return timeout;
  const masked = applySigmaskArg(t, ss, ssLen);
  if (masked < 0) return masked;
  return andThen(doSelect(t, a, timeout), (r) => finishWait(t, tsPtr, timeout, false, r));
}

export const POLL_SYSCALLS: readonly SyscallSpec[] = [
  ['poll', ['ptr', 'uint', 'int'], poll],
  ['ppoll', ['ptr', 'uint', 'ptr', 'ptr', 'size'], ppoll],
  ['select', ['int', 'ptr', 'ptr', 'ptr', 'ptr'], select],
  ['pselect6', ['int', 'ptr', 'ptr', 'ptr', 'ptr', 'ptr'], pselect6],
];
