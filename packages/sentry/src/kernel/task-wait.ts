// Waiting for children, as Linux's do_wait: which children a wait selects
// (a pid, a process group, any; clone children by __WCLONE/__WALL), which
// state changes it reports (an end, a stop, a continue), reaping, and
// parking until one happens.
import { E } from '../errno.js';
import { Park } from './park.js';
import { ERESTARTSYS } from './restart.js';
import { reap, waitStatus } from './task-exit.js';
import { CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCHLD, SIGCONT } from './task-signals.js';
import type { Task } from './task.js';
import type { CpuTimes, ThreadGroup } from './thread-group.js';

export const WNOHANG = 1;
export const WUNTRACED = 2;
export const WSTOPPED = 2;
export const WEXITED = 4;
export const WCONTINUED = 8;
export const WNOWAIT = 0x0100_0000;
export const __WNOTHREAD = 0x2000_0000;
export const __WALL = 0x4000_0000;
export const __WCLONE = 0x8000_0000;

/** Which children a wait is for: by pid, by process group, any, or the one process a pidfd names. */
export type WaitTarget =
  | { kind: 'pid'; pid: number }
  | { kind: 'pgid'; pgid: number }
  | { kind: 'any' }
  | { kind: 'process'; process: ThreadGroup };

/** What a wait reports about one child. */
export interface WaitResult {
  pid: number;
  uid: number;
  /** CLD_* */
  code: number;
  /** The wait4 status word. */
  status: number;
  /** waitid's si_status: the exit code or the signal. */
  siStatus: number;
  /** The child's CPU time and its reaped children's (what getrusage would say for it). */
  cpu: CpuTimes;
  maxRssKb: number;
}

function selects(c: ThreadGroup, target: WaitTarget, options: number): boolean {
  if (target.kind === 'pid' && c.pid !== target.pid) return false;
  if (target.kind === 'pgid' && c.pgid !== target.pgid) return false;
  if (target.kind === 'process' && c !== target.process) return false;
  if ((options & __WALL) !== 0) return true;
  // A "clone" child is one that does not send SIGCHLD: __WCLONE asks for those only.
  return (c.exitSignal !== SIGCHLD) === ((options & __WCLONE) !== 0);
}

function resultOf(c: ThreadGroup, code: number, status: number, siStatus: number): WaitResult {
  return {
    pid: c.pid,
    uid: c.creds.uid,
    code,
    status,
    siStatus,
    cpu: { userNs: c.cpu.userNs + c.childCpu.userNs, sysNs: c.cpu.sysNs + c.childCpu.sysNs },
    maxRssKb: Math.max(c.maxRssKb, c.childMaxRssKb),
  };
}

/** The report for `c` if it has one that `options` asks for (consumed unless WNOWAIT). */
function report(t: Task, c: ThreadGroup, options: number): WaitResult | undefined {
  const keep = (options & WNOWAIT) !== 0;
  if (c.zombie && (options & WEXITED) !== 0) {
    const s = c.exitStatus!;
    const code = s.signal === undefined ? CLD_EXITED : s.coreDumped === true ? CLD_DUMPED : CLD_KILLED;
    const r = resultOf(c, code, waitStatus(s), s.signal ?? s.code ?? 0);
    if (!keep) reap(t.kernel, c);
    return r;
  }
  if (c.exitStatus !== undefined) return undefined;
  if (c.stateChange === 'stopped' && c.stopped && (options & WSTOPPED) !== 0) {
    if (!keep) c.stateChange = undefined;
    return resultOf(c, CLD_STOPPED, ((c.stopSignal & 0xff) << 8) | 0x7f, c.stopSignal);
  }
  if (c.stateChange === 'continued' && (options & WCONTINUED) !== 0) {
    if (!keep) c.stateChange = undefined;
    return resultOf(c, CLD_CONTINUED, 0xffff, SIGCONT);
  }
  return undefined;
}

/**
 * One look at `t`'s process's children: a report, 'none' when no child
 * matches at all (ECHILD), or 'later' when some may still report.
 */
export function tryWait(t: Task, target: WaitTarget, options: number): WaitResult | 'none' | 'later' {
  let any = false;
  for (const c of t.group.children) {
    if (!selects(c, target, options)) continue;
    any = true;
    const r = report(t, c, options);
    if (r !== undefined) return r;
  }
  return any ? 'later' : 'none';
}

/**
 * wait4/waitid's wait: a report, 0 with WNOHANG when nothing is ready,
 * -ECHILD when no child matches, -ERESTARTSYS when a signal interrupts it.
 */
export function waitForChild(t: Task, target: WaitTarget, options: number): WaitResult | number | Promise<WaitResult | number> {
  const r = tryWait(t, target, options);
  if (r === 'none') return -E.ECHILD;
  if (r !== 'later') return r;
  if ((options & WNOHANG) !== 0) return 0;
  return (async () => {
    for (;;) {
      const park = new Park(t);
      const wake = (): void => {
        park.wake();
      };
      t.group.childWaiters.add(wake);
      const end = await park.promise;
      t.group.childWaiters.delete(wake);
      const again = tryWait(t, target, options);
      if (again === 'none') return -E.ECHILD;
      if (again !== 'later') return again;
      if (end === 'interrupted') return -ERESTARTSYS;
    }
  })();
}
