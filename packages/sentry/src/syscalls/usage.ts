// Resource usage: getrusage from the CPU time the scheduler counts for each
// thread and process (kernel/thread-group.ts) and the guest memory held, sysinfo from the kernel's memory and boot time.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { Task } from '../kernel/task.js';
import type { CpuTimes } from '../kernel/thread-group.js';
import { uptimeSeconds } from './clocks.js';
import { putTimeval } from './structs.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

export const RUSAGE_SELF = 0;
export const RUSAGE_CHILDREN = -1;
export const RUSAGE_THREAD = 1;
export const RUSAGE_SIZE = 144;
export const SYSINFO_SIZE = 112;

/** The peak guest memory of `t`'s process in KiB, as far as it has been observed (the sandbox's, shared by its processes). */
function peakKib(t: Task): number {
  const now = Math.ceil(t.kernel.platform.memory.used / 1024);
  t.group.maxRssKb = Math.max(now, t.group.maxRssKb);
  return t.group.maxRssKb;
}

/** struct rusage with CPU times and the peak resident set (the fields Linux fills that are known here). */
export function encodeRusage(cpu: CpuTimes, maxRssKb: number, minorFaults = 0): Uint8Array {
  const v = new DataView(new ArrayBuffer(RUSAGE_SIZE));
  putTimeval(v, 0, BigInt(Math.round(cpu.userNs)));
  putTimeval(v, 16, BigInt(Math.round(cpu.sysNs)));
  v.setBigInt64(32, BigInt(maxRssKb), true); // ru_maxrss
  v.setBigInt64(64, BigInt(minorFaults), true); // ru_minflt
  return new Uint8Array(v.buffer);
}

/** getrusage: the process (or thread), or its reaped children together. */
function getrusage(t: Task, a: SyscallArgs): number {
  const who = a.int(0);
  let r: Uint8Array;
  if (who === RUSAGE_SELF) r = encodeRusage(t.group.cpuTimes(), peakKib(t), t.kernel.stats.pageFaults);
  else if (who === RUSAGE_THREAD) r = encodeRusage({ userNs: t.userNs, sysNs: t.sysNs }, peakKib(t));
  else if (who === RUSAGE_CHILDREN) r = encodeRusage(t.group.childCpu, t.group.childMaxRssKb);
  else return -E.EINVAL;
  const p = a.ptr(1);
  return p <= 0 || t.mm.copyOut(p, r) < 0 ? -E.EFAULT : 0;
}

function sysinfo(t: Task, a: SyscallArgs): number {
  const mem = t.kernel.platform.memory;
  const v = new DataView(new ArrayBuffer(SYSINFO_SIZE));
  v.setBigInt64(0, BigInt(uptimeSeconds(t.kernel)), true);
  // loads[3] stay 0; sharedram, bufferram and swap are 0.
  v.setBigUint64(32, BigInt(mem.capacity), true);
  v.setBigUint64(40, BigInt(Math.max(0, mem.capacity - mem.used)), true);
  v.setUint16(80, Math.min(0xffff, t.kernel.pids.liveTasks), true); // procs
  v.setUint32(104, 1, true); // mem_unit
  const p = a.ptr(0);
  return p <= 0 || t.mm.copyOut(p, new Uint8Array(v.buffer)) < 0 ? -E.EFAULT : 0;
}

export const USAGE_SYSCALLS: readonly SyscallSpec[] = [
  ['getrusage', ['int', 'ptr'], getrusage],
  ['sysinfo', ['ptr'], sysinfo],
];
