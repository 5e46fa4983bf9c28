// The clocks the guest reads, from the host's: CLOCK_MONOTONIC is the host's
// monotonic clock (process.hrtime), CLOCK_REALTIME is that plus an offset
// taken once from the wall clock, so both tick with nanosecond resolution
// and realtime never jumps while the sandbox runs (host clock adjustments
// are not followed). CPU clocks measure the Node process since the kernel
// first asked: the guest's vCPU time is that thread's time.
import type { Kernel } from '../kernel/kernel.js';

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_PROCESS_CPUTIME_ID = 2;
export const CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4;
export const CLOCK_REALTIME_COARSE = 5;
export const CLOCK_MONOTONIC_COARSE = 6;
export const CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8;
export const CLOCK_BOOTTIME_ALARM = 9;
export const CLOCK_TAI = 11;

/** Resolution of the *_COARSE clocks: one tick of a HZ=250 kernel, as Linux reports it. */
export const COARSE_RES_NS = 4_000_000n;

import { monotonicNs, realtimeNs } from '../kernel/clock.js';

export { monotonicNs, realtimeNs };

/** CPU time (user, system) in ns of the sandbox behind `kernel`. */
export interface CpuTimes {
  user: bigint;
  system: bigint;
}

const baselines = new WeakMap<Kernel, NodeJS.CpuUsage>();

/**
 * Starts the CPU clocks of `kernel` at zero now; called lazily by the first
 * reading otherwise, so a runner should call it when the program starts.
 */
export function startCpuClock(kernel: Kernel): void {
  baselines.set(kernel, process.cpuUsage());
}

export function cpuTimes(kernel: Kernel): CpuTimes {
  let base = baselines.get(kernel);
  if (base === undefined) {
    startCpuClock(kernel);
    base = baselines.get(kernel)!;
  }
  const u = process.cpuUsage(base);
  return { user: BigInt(u.user) * 1000n, system: BigInt(u.system) * 1000n };
}

/** Identifies a clock readable with clock_gettime: the kind and whether it is per-thread. */
export type ClockKind = 'realtime' | 'monotonic' | 'realtime-coarse' | 'monotonic-coarse' | 'cpu-prof' | 'cpu-virt' | 'cpu-sched';

/**
 * What `clockid` names for a task whose pid and tid are given, or undefined
 * when it is invalid (EINVAL). Negative ids are the dynamic CPU clocks of
 * clock_getcpuclockid/pthread_getcpuclockid: ~pid << 3 | perthread << 2 | kind;
 * only the caller's own process and thread exist here.
 */
export function clockKind(clockid: number, pid: number, tid: number): ClockKind | undefined {
  switch (clockid) {
    case CLOCK_REALTIME:
    case CLOCK_TAI:
      return 'realtime';
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_BOOTTIME:
      return 'monotonic';
    case CLOCK_REALTIME_COARSE:
      return 'realtime-coarse';
    case CLOCK_MONOTONIC_COARSE:
      return 'monotonic-coarse';
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      return 'cpu-sched';
  }
  if (clockid >= 0) return undefined;
  const kind = clockid & 3;
  if ((clockid & 7) === 7 || kind === 3) return undefined; // CLOCKFD, or no such CPU clock type
  const who = ~(clockid >> 3);
  const perThread = (clockid & 4) !== 0;
  if (who !== 0 && who !== (perThread ? tid : pid)) return undefined;
  return kind === 0 ? 'cpu-prof' : kind === 1 ? 'cpu-virt' : 'cpu-sched';
}

/** The current value of a clock in ns. */
export function readClock(kind: ClockKind, kernel: Kernel): bigint {
  switch (kind) {
    case 'realtime':
      return realtimeNs();
    case 'monotonic':
      return monotonicNs();
    case 'realtime-coarse':
      return coarse(realtimeNs());
    case 'monotonic-coarse':
      return coarse(monotonicNs());
    case 'cpu-virt':
      return cpuTimes(kernel).user;
    default: {
      const c = cpuTimes(kernel);
      return c.user + c.system;
    }
  }
}

export function clockResolution(kind: ClockKind): bigint {
  return kind === 'realtime-coarse' || kind === 'monotonic-coarse' ? COARSE_RES_NS : 1n;
}

// A coarse clock reads the last tick; truncating keeps it consistent with
// its reported resolution and never ahead of the precise clock.
function coarse(ns: bigint): bigint {
  return ns - (ns % COARSE_RES_NS);
}

/** Whole seconds since `kernel` booted, rounded up as sysinfo's uptime is. */
export function uptimeSeconds(kernel: Kernel): number {
  return Math.ceil((performance.now() - kernel.bootTime) / 1000);
}
