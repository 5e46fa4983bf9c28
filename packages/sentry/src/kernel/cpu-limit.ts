// RLIMIT_CPU, on the CPU time the scheduler counts for a process: past the
// soft limit it gets SIGXCPU, and again each second after (as Linux does),
// and at the hard limit SIGKILL. Checked when the tick preempts a thread, so
// it costs nothing per system call; a process is at most one tick late.
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
