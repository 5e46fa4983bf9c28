// The system-wide files of /proc: stat, cpuinfo, meminfo, loadavg, uptime,
// from the sandbox's own kernel (its processes, its one vCPU, its memory
// budget), never the host's. Counters the Sentry does not keep (interrupts,
// context switches, load averages) are left out, or 0 where the format
// needs a value.
import * as os from 'node:os';
import type { Kernel } from '../kernel/kernel.js';
import type { CpuTimes } from '../kernel/thread-group.js';
import { BASELINE_CPU, cpuFlags } from './cpu-flags.js';
import { TICKS_PER_SEC } from './task-text.js';

/** What meminfo reads of the sandbox's memory account. */
export interface MemoryBudget {
  readonly limit: number;
  readonly used: number;
}

/**
 * CPU time of every process since boot: the processes not yet reaped and,
 * through their childCpu, every one reaped before them.
 */
function busy(k: Kernel): CpuTimes {
  let userNs = 0;
  let sysNs = 0;
  for (const g of k.pids.groups()) {
    const own = g.cpuTimes();
    userNs += own.userNs + g.childCpu.userNs;
    sysNs += own.sysNs + g.childCpu.sysNs;
  }
  return { userNs, sysNs };
}

function uptimeSeconds(k: Kernel): number {
  return (performance.now() - k.bootTime) / 1000;
}

function running(k: Kernel): number {
  let n = 0;
  for (const t of k.pids.tasks()) if (t.state === 'runnable') n++;
  return n;
}

/** /proc/stat: one CPU (the sandbox's vCPU), its time in ticks; the boot time; tasks running now. */
export function systemStatText(k: Kernel): string {
  const up = uptimeSeconds(k);
  const b = busy(k);
  const user = Math.floor((b.userNs / 1e9) * TICKS_PER_SEC);
  const system = Math.floor((b.sysNs / 1e9) * TICKS_PER_SEC);
  const idle = Math.max(0, Math.floor(up * TICKS_PER_SEC) - user - system);
  const cpu = `${user} 0 ${system} ${idle} 0 0 0 0 0 0`;
  return `cpu  ${cpu}\ncpu0 ${cpu}\nbtime ${Math.floor(Date.now() / 1000 - up)}\nprocs_running ${running(k)}\nprocs_blocked 0\n`;
}

/** /proc/uptime: seconds since the sandbox booted, and the vCPU's idle seconds in that time. */
export function uptimeText(k: Kernel): string {
  const up = uptimeSeconds(k);
  const b = busy(k);
  const idle = Math.max(0, up - (b.userNs + b.sysNs) / 1e9);
  return `${up.toFixed(2)} ${idle.toFixed(2)}\n`;
}

/** /proc/loadavg: no averages are kept (0.00), then runnable/all threads and the last pid handed out. */
export function loadavgText(k: Kernel): string {
  return `0.00 0.00 0.00 ${running(k)}/${k.pids.liveTasks} ${k.pids.last}\n`;
}

/** Guest memory: the sandbox's budget (its memory limit within the platform's memory), not the host's. */
export function meminfoText(k: Kernel, budget: MemoryBudget | null): string {
  const mem = k.platform.memory;
  const total = Math.floor(Math.min(mem.capacity, budget?.limit ?? Infinity) / 1024);
  const free = Math.max(0, total - Math.floor((budget?.used ?? mem.used) / 1024));
  const line = (name: string, kb: number) => `${`${name}:`.padEnd(16)}${String(kb).padStart(8)} kB\n`;
  return (
    line('MemTotal', total) +
    line('MemFree', free) +
    line('MemAvailable', free) +
    line('Buffers', 0) +
    line('Cached', 0) +
    line('SwapTotal', 0) +
    line('SwapFree', 0)
  );
}

/**
 * One processor: the sandbox runs on one vCPU. The model is the host's;
 * the flags are what the task's own CPUID shows and its XSAVE state lets it
 * use (cpu-flags.ts).
 */
export function cpuinfoText(k: Kernel): string {
  const cpu = os.cpus()[0];
  return [
    'processor\t: 0',
    `model name\t: ${cpu?.model ?? 'unknown'}`,
    `cpu MHz\t\t: ${(cpu?.speed ?? 0).toFixed(3)}`,
    'physical id\t: 0',
    'siblings\t: 1',
    'core id\t\t: 0',
    'cpu cores\t: 1',
    'apicid\t\t: 0',
    'fpu\t\t: yes',
    'fpu_exception\t: yes',
    'wp\t\t: yes',
    `flags\t\t: ${cpuFlags(k.platform.guestCpu?.() ?? BASELINE_CPU).join(' ')}`,
    'clflush size\t: 64',
    'cache_alignment\t: 64',
    '',
    '',
  ].join('\n');
}
