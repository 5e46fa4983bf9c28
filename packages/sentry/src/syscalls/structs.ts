// Small C structures the process, time and signal calls exchange with the
// guest, encoded and decoded in one place. Layouts are x86-64 glibc/kernel
// ones; layouts.test.ts checks them against a natively compiled program.
import { E } from '../errno.js';
import type { UserMemory } from '../kernel/usercopy.js';

export { readU32, writeU32 } from '../kernel/usercopy.js';

export const NS_PER_SEC = 1_000_000_000n;
export const NS_PER_USEC = 1000n;
/** sizeof(struct timespec) and sizeof(struct timeval). */
export const TIMESPEC_SIZE = 16;
export const TIMEVAL_SIZE = 16;
const U64_MAX = (1n << 64n) - 1n;

// One scratch buffer for the fixed-size structures: the Sentry is single
// threaded and every use is synchronous, so it is never shared by two calls.
const scratch = new Uint8Array(TIMESPEC_SIZE);
const scratchView = new DataView(scratch.buffer);

/**
 * The struct timespec at `addr` as nanoseconds: -EFAULT when unreadable,
 * -EINVAL when it is not a valid time (tv_sec < 0 or tv_nsec outside
 * [0, 1e9)), as timespec64_valid() decides. Returns a bigint on success.
 */
export function readTimespec(mm: UserMemory, addr: number): bigint | number {
  if (addr <= 0 || mm.copyIn(addr, scratch) < 0) return -E.EFAULT;
  const sec = scratchView.getBigInt64(0, true);
  const nsec = scratchView.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= NS_PER_SEC) return -E.EINVAL;
  return sec * NS_PER_SEC + nsec;
}

/** Writes `ns` (>= 0) as a struct timespec: 0 or -EFAULT. */
export function writeTimespec(mm: UserMemory, addr: number, ns: bigint): number {
  if (addr <= 0) return -E.EFAULT;
  scratchView.setBigInt64(0, ns / NS_PER_SEC, true);
  scratchView.setBigInt64(8, ns % NS_PER_SEC, true);
  return mm.copyOut(addr, scratch);
}

/** Stores `ns` (>= 0) as a struct timeval (seconds, microseconds) at `off` of `view`. */
export function putTimeval(view: DataView, off: number, ns: bigint): void {
  view.setBigInt64(off, ns / NS_PER_SEC, true);
  view.setBigInt64(off + 8, (ns % NS_PER_SEC) / NS_PER_USEC, true);
}

/** The struct timeval at `off` of `view` in ns, or undefined unless 0 <= tv_sec and 0 <= tv_usec < 1e6 (timeval_valid). */
export function getTimeval(view: DataView, off: number): bigint | undefined {
  const sec = view.getBigInt64(off, true);
  const usec = view.getBigInt64(off + 8, true);
  if (sec < 0n || usec < 0n || usec >= 1_000_000n) return undefined;
  return sec * NS_PER_SEC + usec * NS_PER_USEC;
}

/** Writes a u64 (a JS number below 2^64; Infinity is all ones) at `addr`: 0 or -EFAULT. */
export function writeU64(mm: UserMemory, addr: number, value: number): number {
  if (addr <= 0) return -E.EFAULT;
  scratchView.setBigUint64(0, toU64(value), true);
  return mm.copyOut(addr, scratch.subarray(0, 8));
}

/** A JS number as a u64 register value: Infinity (and anything >= 2^64) is all ones, negatives wrap. */
export function toU64(value: number): bigint {
  if (value === Infinity || value >= 2 ** 64) return U64_MAX;
  return BigInt.asUintN(64, BigInt(Math.trunc(value)));
}
