// CPU time limits. RLIMIT_CPU, on the CPU time the scheduler counts for a
// process: past the soft limit it gets SIGXCPU, and again each second after
// (as Linux does), and at the hard limit SIGKILL. The sandbox's own limit
// (SandboxCpuLimit), on the CPU time of all its tasks together. Both are
// checked when the tick preempts a thread, so they cost nothing per system
// call; a process is at most one tick late.
import type { Kernel } from './kernel.js';
import { getRlimitOf, RLIMIT_CPU } from './rlimit.js';
import { SI_KERNEL, SIGKILL } from './signals.js';
import { sendProcessSignal } from './task-signals.js';
import type { ThreadGroup } from './thread-group.js';

const SIGXCPU = 24;
/** When the next SIGXCPU is due (CPU seconds), per process past its soft limit. */
const nextXcpu = new WeakMap<ThreadGroup, number>();

export function checkCpuLimit(g: ThreadGroup): void {
  const lim = getRlimitOf(g, RLIMIT_CPU);
  if (lim.cur === Infinity && lim.max === Infinity) return;
  const c = g.cpuTimes();
  const sec = (c.userNs + c.sysNs) / 1e9;
  if (sec >= lim.max) {
    sendProcessSignal(g, { signo: SIGKILL, code: SI_KERNEL });
    return;
  }
  if (sec < lim.cur || sec < (nextXcpu.get(g) ?? 0)) return;
  nextXcpu.set(g, Math.floor(sec) + 1);
  sendProcessSignal(g, { signo: SIGXCPU, code: SI_KERNEL });
}

/**
 * The whole sandbox's CPU time (every task, ended ones too; Kernel.cpu), as
 * a judge limits it: when it reaches `softNs`, every process gets SIGXCPU
 * (whose default action ends it, as RLIMIT_CPU's soft limit); at `hardNs`
 * the sandbox is killed whole (SIGKILL). Also checked when a task parks.
 */
export class SandboxCpuLimit {
  readonly softNs: number;
  readonly hardNs: number;
  /** The soft limit was reached: the run ended, or is ending, for its CPU time. */
  reached = false;

  constructor(softNs: number, hardNs: number) {
    this.softNs = softNs;
    this.hardNs = Math.max(softNs, hardNs);
  }

  check(k: Kernel): void {
    const used = k.cpu.userNs + k.cpu.sysNs;
    if (used < this.softNs) return;
    if (used >= this.hardNs) {
      this.reached = true;
      k.kill(SIGKILL);
      return;
    }
    if (this.reached) return;
    this.reached = true;
    for (const g of [...k.pids.groups()]) if (g.exitStatus === undefined) sendProcessSignal(g, { signo: SIGXCPU, code: SI_KERNEL });
  }
}
