// Resource usage: getrusage from the sandbox's CPU clock (clocks.ts) and the
// guest memory it holds, sysinfo from the kernel's memory and boot time.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { Task } from '../kernel/task.js';
import { cpuTimes, uptimeSeconds } from './clocks.js';
import { putTimeval } from './structs.js';
import type { SyscallSpec } from './table.js';

export const RUSAGE_SELF = 0;
export const RUSAGE_CHILDREN = -1;
export const RUSAGE_THREAD = 1;
export const RUSAGE_SIZE = 144;
export const SYSINFO_SIZE = 112;

const maxRss = new WeakMap<Task, number>();

/** The peak guest memory of `t` in KiB, as far as it has been observed. */
function peakKib(t: Task): number {
  const now = Math.ceil(t.kernel.platform.memory.used / 1024);
  const peak = Math.max(now, maxRss.get(t) ?? 0);
  maxRss.set(t, peak);
  return peak;
}

function getrusage(t: Task, a: SyscallArgs): number {
  const who = a.int(0);
  if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN && who !== RUSAGE_THREAD) return -E.EINVAL;
  const v = new DataView(new ArrayBuffer(RUSAGE_SIZE));
  // No child has been waited for: RUSAGE_CHILDREN is all zeros.
  if (who !== RUSAGE_CHILDREN) {
    const c = cpuTimes(t.kernel);
    putTimeval(v, 0, c.user);
    putTimeval(v, 16, c.system);
    v.setBigInt64(32, BigInt(peakKib(t)), true); // ru_maxrss
    v.setBigInt64(64, BigInt(t.kernel.stats.pageFaults), true); // ru_minflt
  }
  const p = a.ptr(1);
  return p <= 0 || t.mm.copyOut(p, new Uint8Array(v.buffer)) < 0 ? -E.EFAULT : 0;
}

function sysinfo(t: Task, a: SyscallArgs): number {
  const mem = t.kernel.platform.memory;
  const v = new DataView(new ArrayBuffer(SYSINFO_SIZE));
  v.setBigInt64(0, BigInt(uptimeSeconds(t.kernel)), true);
  // loads[3] stay 0; sharedram, bufferram and swap are 0.
  v.setBigUint64(32, BigInt(mem.capacity), true);
  v.setBigUint64(40, BigInt(Math.max(0, mem.capacity - mem.used)), true);
  v.setUint16(80, 1, true); // procs
  v.setUint32(104, 1, true); // mem_unit
  const p = a.ptr(0);
  return p <= 0 || t.mm.copyOut(p, new Uint8Array(v.buffer)) < 0 ? -E.EFAULT : 0;
}

export const USAGE_SYSCALLS: readonly SyscallSpec[] = [
  ['getrusage', ['int', 'ptr'], getrusage],
  ['sysinfo', ['ptr'], sysinfo],
];
