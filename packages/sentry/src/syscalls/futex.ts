// futex(2) over the kernel's wait queues (../kernel/futex.ts, which says
// how words are keyed). FUTEX_WAIT parks the task until a FUTEX_WAKE on the
// same word, its timeout, or a signal: an untimed wait is then restarted
// under SA_RESTART (-ERESTARTSYS), a timed one fails with EINTR (Linux
// restarts it through restart_syscall only when no handler runs, and here
// only a handler interrupts a wait). PI futexes are not implemented
// (ENOSYS), as FUTEX_FD is not in Linux any more.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import { ERESTARTSYS } from '../kernel/restart.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs, realtimeNs } from './clocks.js';
import { FUTEX_BITSET_MATCH_ANY, type FutexKey, futexKey, futexRequeue, futexWait, futexWake } from '../kernel/futex.js';
import { readTimespec, readU32 } from './structs.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

export const FUTEX_WAIT = 0;
export const FUTEX_WAKE = 1;
export const FUTEX_REQUEUE = 3;
export const FUTEX_CMP_REQUEUE = 4;
export const FUTEX_WAKE_OP = 5;
export const FUTEX_WAIT_BITSET = 9;
export const FUTEX_WAKE_BITSET = 10;
export const FUTEX_PRIVATE_FLAG = 128;
export const FUTEX_CLOCK_REALTIME = 256;
export { FUTEX_BITSET_MATCH_ANY };

// FUTEX_WAKE and FUTEX_WAKE_OP wake one waiter even when asked for none (Linux counts after waking).
const atLeastOne = (n: number): number => Math.max(n, 1);

/**
 * The key of the futex word at argument `i`: -EINVAL when misaligned,
 * -EFAULT when it is not a user address or (for a shared futex, whose key
 * needs the page) not mapped. The low bits are taken from the raw register
 * so that alignment is judged before the address is.
 */
function keyArg(t: Task, a: SyscallArgs, i: number, shared: boolean): FutexKey | number {
  const addr = a.ptr(i);
  if ((a.uint(i) & 3) !== 0) return -E.EINVAL;
  if (addr <= 0) return -E.EFAULT;
  if (shared && readU32(t.mm, addr) < 0) return -E.EFAULT;
  return futexKey(t.mm, addr, shared);
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
  const key = keyArg(t, a, 0, shared);
  if (typeof key === 'number') return key;
  const value = readU32(t.mm, a.ptr(0));
  if (value < 0) return value;
  if (value !== a.uint(2)) return -E.EAGAIN;
  if (deadline !== undefined && deadline <= monotonicNs()) return -E.ETIMEDOUT;
  return futexWait(t, key, bitset, deadline).then((end) => {
    if (end === 'woken') return 0;
    if (end === 'timeout') return -E.ETIMEDOUT;
    return deadline === undefined ? -ERESTARTSYS : -E.EINTR;
  });
}

function wake(t: Task, a: SyscallArgs, cmd: number, shared: boolean): number {
  const bitset = cmd === FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : a.uint(5);
  if (bitset === 0) return -E.EINVAL;
  const key = keyArg(t, a, 0, shared);
  if (typeof key === 'number') return key;
  return futexWake(key, atLeastOne(a.int(2)), bitset);
}

function requeue(t: Task, a: SyscallArgs, cmd: number, shared: boolean): number {
  const nrWake = a.int(2);
  const nrRequeue = a.int(3);
  if (nrWake < 0 || nrRequeue < 0) return -E.EINVAL;
  const from = keyArg(t, a, 0, shared);
  if (typeof from === 'number') return from;
  const to = keyArg(t, a, 4, shared);
  if (typeof to === 'number') return to;
  if (cmd === FUTEX_CMP_REQUEUE) {
    const value = readU32(t.mm, a.ptr(0));
    if (value < 0) return value;
    if (value !== a.uint(5)) return -E.EAGAIN;
  }
  return futexRequeue(from, to, nrWake, nrRequeue);
}

/** FUTEX_WAKE_OP's operation on *uaddr2; returns the old value, or undefined for an unknown op. */
function applyOp(op: number, old: number, arg: number): number | undefined {
  switch (op) {
    case 0:
      return arg; // SET
    case 1:
      return (old + arg) >>> 0; // ADD
    case 2:
      return (old | arg) >>> 0; // OR
    case 3:
      return (old & ~arg) >>> 0; // ANDN
    case 4:
      return (old ^ arg) >>> 0; // XOR
    default:
      return undefined;
  }
}

function compare(cmp: number, old: number, arg: number): boolean | undefined {
  const o = old | 0;
  switch (cmp) {
    case 0:
      return o === arg;
    case 1:
      return o !== arg;
    case 2:
      return o < arg;
    case 3:
      return o <= arg;
    case 4:
      return o > arg;
    case 5:
      return o >= arg;
    default:
      return undefined;
  }
}

const signExtend12 = (v: number): number => ((v & 0xfff) << 20) >> 20;

function wakeOp(t: Task, a: SyscallArgs, shared: boolean): number {
  const key1 = keyArg(t, a, 0, shared);
  if (typeof key1 === 'number') return key1;
  const key2 = keyArg(t, a, 4, shared);
  if (typeof key2 === 'number') return key2;
  const addr2 = a.ptr(4);
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
  let woken = futexWake(key1, atLeastOne(a.int(2)));
  if (hit) woken += futexWake(key2, atLeastOne(a.int(3)));
  return woken;
}

function futex(t: Task, a: SyscallArgs): number | Promise<number> {
  const op = a.int(1);
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const realtime = (op & FUTEX_CLOCK_REALTIME) !== 0;
  const shared = (op & FUTEX_PRIVATE_FLAG) === 0;
  if (realtime && cmd !== FUTEX_WAIT_BITSET) return -E.ENOSYS;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
      return wait(t, a, cmd, realtime, shared);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
      return wake(t, a, cmd, shared);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
      return requeue(t, a, cmd, shared);
    case FUTEX_WAKE_OP:
      return wakeOp(t, a, shared);
    default:
      return -E.ENOSYS;
  }
}

export const FUTEX_SYSCALLS: readonly SyscallSpec[] = [['futex', ['ptr', 'hex', 'uint', 'ptr', 'ptr', 'hex'], futex]];
