// Time: clock_gettime/clock_getres/gettimeofday/time/times read the host
// clocks (clocks.ts); nanosleep and clock_nanosleep park the task (park.ts).
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { Task } from '../kernel/task.js';
import {
  CLOCK_BOOTTIME,
  CLOCK_BOOTTIME_ALARM,
  CLOCK_MONOTONIC,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  CLOCK_REALTIME_ALARM,
  CLOCK_TAI,
  type ClockKind,
  clockKind,
  clockResolution,
  monotonicNs,
  readClock,
  realtimeNs,
} from './clocks.js';
import { Park } from '../kernel/park.js';
import { NS_PER_SEC, putTimeval, readTimespec, TIMEVAL_SIZE, writeTimespec, writeU64 } from './structs.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

export const TIMER_ABSTIME = 1;
/** USER_HZ: the unit of times() and struct tms. */
const USER_HZ = 100n;
const NS_PER_TICK = NS_PER_SEC / USER_HZ;
const TMS_SIZE = 32;

function clockOf(t: Task, id: number): ClockKind | undefined {
  return clockKind(id, t.pid, t.tid);
}

function clockGettime(t: Task, a: SyscallArgs): number {
  const kind = clockOf(t, a.int(0));
  if (kind === undefined) return -E.EINVAL;
  return writeTimespec(t.mm, a.ptr(1), readClock(kind, t.kernel));
}

function clockGetres(t: Task, a: SyscallArgs): number {
  const kind = clockOf(t, a.int(0));
  if (kind === undefined) return -E.EINVAL;
  const p = a.ptr(1);
  return p === 0 ? 0 : writeTimespec(t.mm, p, clockResolution(kind));
}

function gettimeofday(t: Task, a: SyscallArgs): number {
  const tv = a.ptr(0);
  const tz = a.ptr(1);
  if (tv !== 0) {
    const b = new DataView(new ArrayBuffer(TIMEVAL_SIZE));
    putTimeval(b, 0, realtimeNs());
    if (tv < 0 || t.mm.copyOut(tv, new Uint8Array(b.buffer)) < 0) return -E.EFAULT;
  }
  // struct timezone { tz_minuteswest, tz_dsttime }: UTC, no DST.
  if (tz !== 0 && (tz < 0 || t.mm.copyOut(tz, new Uint8Array(8)) < 0)) return -E.EFAULT;
  return 0;
}

function time(t: Task, a: SyscallArgs): number {
  const sec = Number(realtimeNs() / NS_PER_SEC);
  const p = a.ptr(0);
  if (p !== 0 && writeU64(t.mm, p, sec) < 0) return -E.EFAULT;
  return sec;
}

/** times(): CPU times in clock ticks; returns ticks since an arbitrary point (here the host's boot). */
function times(t: Task, a: SyscallArgs): number {
  const p = a.ptr(0);
  if (p !== 0) {
    const c = t.group.cpuTimes();
    const d = t.group.childCpu;
    const ticks = (ns: number) => BigInt(Math.floor(ns)) / NS_PER_TICK;
    const b = new DataView(new ArrayBuffer(TMS_SIZE));
    b.setBigInt64(0, ticks(c.userNs), true);
    b.setBigInt64(8, ticks(c.sysNs), true);
    b.setBigInt64(16, ticks(d.userNs), true);
    b.setBigInt64(24, ticks(d.sysNs), true);
    if (p < 0 || t.mm.copyOut(p, new Uint8Array(b.buffer)) < 0) return -E.EFAULT;
  }
  return Number(monotonicNs() / NS_PER_TICK);
}

/**
 * Sleeps until the monotonic `deadline`. Completion returns 0 and leaves
 * `rem` alone; an interruption writes the time left to `rem` (relative
 * sleeps only) and returns -EINTR.
 */
async function sleepUntil(t: Task, deadline: bigint, rem: number): Promise<number> {
  const park = new Park(t, deadline);
  const end = await park.promise;
  if (end !== 'interrupted') return 0;
  if (rem !== 0 && writeTimespec(t.mm, rem, park.remaining() ?? 0n) < 0) return -E.EFAULT;
  return -E.EINTR;
}

function nanosleep(t: Task, a: SyscallArgs): number | Promise<number> {
  const ns = readTimespec(t.mm, a.ptr(0));
  if (typeof ns === 'number') return ns;
  return sleepUntil(t, monotonicNs() + ns, a.ptr(1));
}

function clockNanosleep(t: Task, a: SyscallArgs): number | Promise<number> {
  const id = a.int(0);
  // The alarm clocks exist for sleeping but need an RTC wake-up device, which there is not.
  if (id === CLOCK_REALTIME_ALARM || id === CLOCK_BOOTTIME_ALARM) return -E.EOPNOTSUPP;
  if (clockOf(t, id) === undefined) return -E.EINVAL;
  // Only these clocks can be slept on (the others have no nsleep in Linux). Sleeping on
  // CPU time is not emulated: a parked guest uses none.
  if (id !== CLOCK_REALTIME && id !== CLOCK_MONOTONIC && id !== CLOCK_BOOTTIME && id !== CLOCK_TAI) {
    return id === CLOCK_PROCESS_CPUTIME_ID || id < 0 ? -E.EINVAL : -E.EOPNOTSUPP;
  }
  const ns = readTimespec(t.mm, a.ptr(2));
  if (typeof ns === 'number') return ns;
  if ((a.int(1) & TIMER_ABSTIME) === 0) return sleepUntil(t, monotonicNs() + ns, a.ptr(3));
  const now = id === CLOCK_REALTIME || id === CLOCK_TAI ? realtimeNs() : monotonicNs();
  if (ns <= now) return 0;
  // An absolute sleep is restarted with the same deadline, so rem is not written.
  return sleepUntil(t, monotonicNs() + (ns - now), 0);
}

export const TIME_SYSCALLS: readonly SyscallSpec[] = [
  ['clock_gettime', ['clock', 'ptr'], clockGettime],
  ['clock_getres', ['clock', 'ptr'], clockGetres],
  ['gettimeofday', ['ptr', 'ptr'], gettimeofday],
  ['time', ['ptr'], time],
  ['times', ['ptr'], times],
  ['nanosleep', ['ptr', 'ptr'], nanosleep],
  ['clock_nanosleep', ['clock', 'hex', 'ptr', 'ptr'], clockNanosleep],
];
