// Resource limits: getrlimit, setrlimit, prlimit64, over the process's
// limits (../kernel/rlimit.ts). NOFILE is enforced here, STACK by the
// memory manager (its stack growth now, its layout at the next execve),
// SIGPENDING by the signal queue (kernel/signals.ts); the others are
// recorded for the program to read back.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import { getRlimit, NR_OPEN, RLIM_NLIMITS, RLIMIT_NOFILE, RLIMIT_STACK } from '../kernel/rlimit.js';
import type { Rlimit, Task } from '../kernel/task.js';
import { toU64 } from './structs.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

const RLIMIT_SIZE = 16;
const U64_MAX = (1n << 64n) - 1n;

/**
 * Sets a limit as setrlimit would: -EINVAL when cur > max, -EPERM when
 * raising the hard limit without privilege (euid 0 stands for
 * CAP_SYS_RESOURCE, as is the sandbox's configuration: `privileged`) or
 * NOFILE beyond NR_OPEN.
 */
export function setRlimit(t: Task, resource: number, next: Rlimit, privileged = t.creds.euid === 0): number {
  if (next.cur > next.max) return -E.EINVAL;
  if (resource === RLIMIT_NOFILE && next.max > NR_OPEN) return -E.EPERM;
  if (next.max > getRlimit(t, resource).max && !privileged) return -E.EPERM;
  t.rlimits.set(resource, { cur: next.cur, max: next.max });
  if (resource === RLIMIT_NOFILE) t.fds.limit = next.cur;
  if (resource === RLIMIT_STACK && t.mm.stackLimit !== undefined) t.mm.stackLimit = next.cur;
  return 0;
}

// A u64 limit as a number: all ones is RLIM_INFINITY; other values above
// 2^53 lose low bits, and are kept below 2^64 so they are never infinite.
function decodeLimit(v: bigint): number {
  return v === U64_MAX ? Infinity : Math.min(Number(v), 2 ** 64 - 2 ** 11);
}

function readRlimit(t: Task, ptr: number): Rlimit | number {
  const buf = new Uint8Array(RLIMIT_SIZE);
  if (ptr <= 0 || t.mm.copyIn(ptr, buf) < 0) return -E.EFAULT;
  const v = new DataView(buf.buffer);
  const cur = v.getBigUint64(0, true);
  const max = v.getBigUint64(8, true);
  // Compare exactly before rounding to numbers.
  if (cur > max) return -E.EINVAL;
  return { cur: decodeLimit(cur), max: decodeLimit(max) };
}

function writeRlimit(t: Task, ptr: number, r: Rlimit): number {
  const v = new DataView(new ArrayBuffer(RLIMIT_SIZE));
  v.setBigUint64(0, toU64(r.cur), true);
  v.setBigUint64(8, toU64(r.max), true);
  return ptr <= 0 || t.mm.copyOut(ptr, new Uint8Array(v.buffer)) < 0 ? -E.EFAULT : 0;
}

/** do_prlimit: validates, records the old value, applies the new one. */
function prlimit(t: Task, resource: number, next: Rlimit | number | undefined, oldPtr: number): number {
  if (resource >= RLIM_NLIMITS) return -E.EINVAL;
  if (typeof next === 'number') return next;
  const old = getRlimit(t, resource);
  if (next !== undefined) {
    const r = setRlimit(t, resource, next);
    if (r < 0) return r;
  }
  return oldPtr === 0 ? 0 : writeRlimit(t, oldPtr, old);
}

function getrlimit(t: Task, a: SyscallArgs): number {
  const resource = a.uint(0);
  if (resource >= RLIM_NLIMITS) return -E.EINVAL;
  return writeRlimit(t, a.ptr(1), getRlimit(t, resource));
}

function setrlimit(t: Task, a: SyscallArgs): number {
  const next = readRlimit(t, a.ptr(1));
  // A bad pointer is EFAULT before the resource is looked at.
  if (next === -E.EFAULT) return next;
  return prlimit(t, a.uint(0), next, 0);
}

function prlimit64(t: Task, a: SyscallArgs): number {
  const newPtr = a.ptr(2);
  const next = newPtr === 0 ? undefined : readRlimit(t, newPtr);
  if (next === -E.EFAULT) return next;
  const pid = a.int(0);
  if (pid !== 0 && pid !== t.pid) return -E.ESRCH;
  const oldPtr = a.ptr(3);
  return prlimit(t, a.uint(1), next, oldPtr < 0 ? -1 : oldPtr);
}

export const RLIMIT_SYSCALLS: readonly SyscallSpec[] = [
  ['getrlimit', ['int', 'ptr'], getrlimit],
  ['setrlimit', ['int', 'ptr'], setrlimit],
  ['prlimit64', ['int', 'int', 'ptr', 'ptr'], prlimit64],
];
