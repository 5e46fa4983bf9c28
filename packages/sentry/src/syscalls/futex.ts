// futex(2): wait queues keyed by (address space, address). FUTEX_WAIT parks
// the task (park.ts) until a FUTEX_WAKE on the same word, its timeout, or a
// signal: an untimed wait is then restarted under SA_RESTART (-ERESTARTSYS),
// a timed one fails with EINTR (Linux restarts it through restart_syscall
// only when no handler runs, and here only a handler interrupts a wait). Private and shared futexes use the same key: with no
// shared memory between processes yet the two coincide. PI futexes are not
// implemented (ENOSYS), as FUTEX_FD is not in Linux any more.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import { ERESTARTSYS } from '../kernel/restart.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs, realtimeNs } from './clocks.js';
import { Park } from './park.js';
import { readTimespec, readU32 } from './structs.js';
import type { SyscallSpec } from './table.js';

export const FUTEX_WAIT = 0;
export const FUTEX_WAKE = 1;
export const FUTEX_REQUEUE = 3;
export const FUTEX_CMP_REQUEUE = 4;
export const FUTEX_WAKE_OP = 5;
export const FUTEX_WAIT_BITSET = 9;
export const FUTEX_WAKE_BITSET = 10;
export const FUTEX_PRIVATE_FLAG = 128;
export const FUTEX_CLOCK_REALTIME = 256;
export const FUTEX_BITSET_MATCH_ANY = 0xffff_ffff;

interface Waiter {
  park: Park;
  bitset: number;
  /** The word it waits on; FUTEX_REQUEUE moves it. */
  addr: number;
}

/** Waiters per address space (the TaskMemory object), then per address, in arrival order. */
const queues = new WeakMap<object, Map<number, Waiter[]>>();

function queueOf(t: Task, addr: number, create: boolean): Waiter[] | undefined {
  let space = queues.get(t.mm);
  if (space === undefined) {
    if (!create) return undefined;
    queues.set(t.mm, (space = new Map()));
  }
  let q = space.get(addr);
  if (q === undefined && create) space.set(addr, (q = []));
  return q;
}

function dropIfEmpty(t: Task, addr: number): void {
  const space = queues.get(t.mm);
  if (space?.get(addr)?.length === 0) space.delete(addr);
}

/** Wakes up to `n` waiters on `addr` whose bitset meets `bitset`, oldest first. */
function wakeWaiters(t: Task, addr: number, n: number, bitset: number): number {
  const q = queueOf(t, addr, false);
  if (q === undefined) return 0;
  let woken = 0;
  for (let i = 0; i < q.length && woken < n;) {
    const w = q[i]!;
    if ((w.bitset & bitset) === 0) {
      i++;
      continue;
    }
    q.splice(i, 1);
    if (w.park.wake()) woken++;
  }
  dropIfEmpty(t, addr);
  return woken;
}

// FUTEX_WAKE and FUTEX_WAKE_OP wake one waiter even when asked for none (Linux counts after waking).
const atLeastOne = (n: number): number => Math.max(n, 1);

/** How many tasks wait on `addr` of `t`'s address space (for tests and /proc). */
export function futexWaiters(t: Task, addr: number): number {
  return queueOf(t, addr, false)?.length ?? 0;
}

/**
 * Checks a futex word address: -EINVAL when misaligned, -EFAULT when it is
 * not a user address or (for a shared futex, whose key needs the page) not
 * mapped. The low bits are taken from the raw register so that alignment is
 * judged before the address is.
 */
function checkKey(t: Task, a: SyscallArgs, i: number, shared: boolean): number {
  const addr = a.ptr(i);
  if ((a.uint(i) & 3) !== 0) return -E.EINVAL;
  if (addr <= 0) return -E.EFAULT;
  if (shared && readU32(t.mm, addr) < 0) return -E.EFAULT;
  return addr;
}

function wait(t: Task, a: SyscallArgs, cmd: number, realtime: boolean, shared: boolean): number | Promise<number> {
  let deadline: bigint | undefined;
  const tp = a.ptr(3);
  if (tp !== 0) {
    const ns = readTimespec(t.mm, tp);
    if (typeof ns === 'number') return ns;
    // FUTEX_WAIT's timeout is relative; FUTEX_WAIT_BITSET's is absolute, on CLOCK_MONOTONIC or CLOCK_REALTIME.
    if (cmd === FUTEX_WAIT) deadline = monotonicNs() + ns;
    else deadline = realtime ? monotonicNs() + (ns - realtimeNs()) : ns;
  }
  const bitset = cmd === FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : a.uint(5);
  if (bitset === 0) return -E.EINVAL;
  const addr = checkKey(t, a, 0, shared);
  if (addr < 0) return addr;
  const value = readU32(t.mm, addr);
  if (value < 0) return value;
  if (value !== a.uint(2)) return -E.EAGAIN;
  if (deadline !== undefined && deadline <= monotonicNs()) return -E.ETIMEDOUT;
  const waiter: Waiter = { park: new Park(t, deadline), bitset, addr };
  queueOf(t, addr, true)!.push(waiter);
  return waiter.park.promise.then((end) => {
    if (end === 'woken') return 0;
    // Timed out or interrupted: leave the queue.
    const q = queueOf(t, waiter.addr, false);
    const i = q?.indexOf(waiter) ?? -1;
    if (i >= 0) q!.splice(i, 1);
    dropIfEmpty(t, waiter.addr);
    if (end === 'timeout') return -E.ETIMEDOUT;
    return deadline === undefined ? -ERESTARTSYS : -E.EINTR;
  });
}

function wake(t: Task, a: SyscallArgs, cmd: number, shared: boolean): number {
  const bitset = cmd === FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : a.uint(5);
  if (bitset === 0) return -E.EINVAL;
  const addr = checkKey(t, a, 0, shared);
  if (addr < 0) return addr;
  return wakeWaiters(t, addr, atLeastOne(a.int(2)), bitset);
}

function requeue(t: Task, a: SyscallArgs, cmd: number, shared: boolean): number {
  const nrWake = a.int(2);
  const nrRequeue = a.int(3);
  if (nrWake < 0 || nrRequeue < 0) return -E.EINVAL;
  const from = checkKey(t, a, 0, shared);
  if (from < 0) return from;
  const to = checkKey(t, a, 4, shared);
  if (to < 0) return to;
  if (cmd === FUTEX_CMP_REQUEUE) {
    const value = readU32(t.mm, from);
    if (value < 0) return value;
    if (value !== a.uint(5)) return -E.EAGAIN;
  }
  const woken = wakeWaiters(t, from, nrWake, FUTEX_BITSET_MATCH_ANY);
  const q = queueOf(t, from, false);
  if (q === undefined) return woken;
  const moved = q.splice(0, nrRequeue);
  dropIfEmpty(t, from);
  for (const w of moved) w.addr = to;
  queueOf(t, to, true)!.push(...moved);
  return woken + moved.length;
}

/** FUTEX_WAKE_OP's operation on *uaddr2; returns the old value, or undefined for an unknown op. */
function applyOp(op: number, old: number, arg: number): number | undefined {
  switch (op) {
    case 0: return arg; // SET
    case 1: return (old + arg) >>> 0; // ADD
    case 2: return (old | arg) >>> 0; // OR
    case 3: return (old & ~arg) >>> 0; // ANDN
    case 4: return (old ^ arg) >>> 0; // XOR
    default: return undefined;
  }
}

function compare(cmp: number, old: number, arg: number): boolean | undefined {
  const o = old | 0;
  switch (cmp) {
    case 0: return o === arg;
    case 1: return o !== arg;
    case 2: return o < arg;
    case 3: return o <= arg;
    case 4: return o > arg;
    case 5: return o >= arg;
    default: return undefined;
  }
}

const signExtend12 = (v: number): number => ((v & 0xfff) << 20) >> 20;

function wakeOp(t: Task, a: SyscallArgs, shared: boolean): number {
  const addr1 = checkKey(t, a, 0, shared);
  if (addr1 < 0) return addr1;
  const addr2 = checkKey(t, a, 4, shared);
  if (addr2 < 0) return addr2;
  const encoded = a.uint(5);
  const op = (encoded >>> 28) & 7;
  const cmp = (encoded >>> 24) & 15;
  let oparg = signExtend12(encoded >>> 12);
  const cmparg = signExtend12(encoded);
  if ((encoded & 0x8000_0000) !== 0) oparg = (1 << (oparg & 31)) >>> 0; // FUTEX_OP_OPARG_SHIFT
  const old = readU32(t.mm, addr2);
  if (old < 0) return old;
  const next = applyOp(op, old, oparg >>> 0);
  if (next === undefined) return -E.ENOSYS;
  const word = new Uint8Array(4);
  new DataView(word.buffer).setUint32(0, next, true);
  if (t.mm.copyOut(addr2, word) < 0) return -E.EFAULT;
  // Linux checks the comparison only after the operation has been applied.
  const hit = compare(cmp, old, cmparg);
  if (hit === undefined) return -E.ENOSYS;
  let woken = wakeWaiters(t, addr1, atLeastOne(a.int(2)), FUTEX_BITSET_MATCH_ANY);
  if (hit) woken += wakeWaiters(t, addr2, atLeastOne(a.int(3)), FUTEX_BITSET_MATCH_ANY);
  return woken;
}

function futex(t: Task, a: SyscallArgs): number | Promise<number> {
  const op = a.int(1);
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const realtime = (op & FUTEX_CLOCK_REALTIME) !== 0;
  const shared = (op & FUTEX_PRIVATE_FLAG) === 0;
  if (realtime && cmd !== FUTEX_WAIT_BITSET) return -E.ENOSYS;
  switch (cmd) {
    case FUTEX_WAIT: case FUTEX_WAIT_BITSET: return wait(t, a, cmd, realtime, shared);
    case FUTEX_WAKE: case FUTEX_WAKE_BITSET: return wake(t, a, cmd, shared);
    case FUTEX_REQUEUE: case FUTEX_CMP_REQUEUE: return requeue(t, a, cmd, shared);
    case FUTEX_WAKE_OP: return wakeOp(t, a, shared);
    default: return -E.ENOSYS;
  }
}

export const FUTEX_SYSCALLS: readonly SyscallSpec[] = [
  ['futex', ['ptr', 'hex', 'uint', 'ptr', 'ptr', 'hex'], futex],
];
