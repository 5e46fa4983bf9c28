// Signals between tasks and processes: a process-directed signal (kill,
// sigqueue, timers, SIGCHLD) goes to one of the process's threads that does
// not block it, as Linux's complete_signal(); the job-control signals stop
// and continue a whole process (group stop), and a parent hears of its
// children's ends, stops and continues through SIGCHLD (do_notify_parent).
import { getRlimitOf, RLIMIT_SIGPENDING } from './rlimit.js';
import { defaultAction, NSIG, SIG_DFL, SIG_IGN, type SigInfo, SIGKILL, SIGSTOP, sendSignal } from './signals.js';
import { interruptTask } from './park.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

export const SIGCHLD = 17;
export const SIGCONT = 18;
/** sa_flags that only matter for SIGCHLD. */
export const SA_NOCLDSTOP = 1;
export const SA_NOCLDWAIT = 2;

/** SIGCHLD si_code values. */
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;

/** The stop signals: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU. */
const STOP_SIGNALS = [SIGSTOP, 20, 21, 22];

/**
 * The thread a process-directed `sig` goes to: the first live one that
 * does not block it or waits for it (rt_sigtimedwait), the leader first.
 */
function pickThread(g: ThreadGroup, sig: number): Task | undefined {
  const leader = g.leader;
  if (leader !== undefined && !leader.exited && leader.signals.wakes(sig)) return leader;
  for (const t of g.tasks) if (!t.exited && t.signals.wakes(sig)) return t;
  return undefined;
}

/**
 * Sends `info` to process `g` (kill, sigqueue, a timer, a child's end):
 * SIGKILL ends it; SIGCONT resumes it; an unblocked default-fatal signal
 * ends it at once; an unblocked default-stop signal stops it; an ignored
 * one is discarded; anything else is queued on the process and wakes the
 * thread that will take it. A zombie or dying process discards it.
 * Returns 0 or -EAGAIN (real-time queue full).
 */
export function sendProcessSignal(g: ThreadGroup, info: SigInfo): number {
  const any = g.leader;
  if (any === undefined || g.groupExit !== undefined) return 0;
  const k = any.kernel;
  const sig = info.signo;
  if (sig === SIGKILL) {
    k.exitGroup(g, { signal: SIGKILL });
    return 0;
  }
  if (sig === SIGCONT) continueGroup(g);
  else if (STOP_SIGNALS.includes(sig)) for (const t of g.tasks) t.signals.discard(SIGCONT);
  const target = pickThread(g, sig);
  const s = any.signals;
  // The default actions apply when a thread takes it unblocked (not one that waits for it blocked).
  const unblocked = target !== undefined && !target.signals.isBlocked(sig);
  if (unblocked && s.isIgnored(sig)) return 0;
  if (unblocked && s.actions[sig]!.handler === SIG_DFL) {
    const d = defaultAction(sig);
    if (d === 'stop') {
      stopGroup(g, sig);
      return 0;
    }
    if (d === 'terminate' || d === 'core') {
      k.exitGroup(g, { signal: sig, coreDumped: d === 'core' });
      return 0;
    }
  }
  const r = s.enqueue(info, getRlimitOf(g, RLIMIT_SIGPENDING).cur, 'process');
  if (r === 0 && target !== undefined) interruptTask(target);
  return r;
}

/** Sends `info` to the thread `t` (tkill, tgkill, a fault of its own), as signals.ts sendSignal. */
export function sendThreadSignal(t: Task, info: SigInfo): number {
  return sendSignal(t, info, 'thread');
}

/**
 * Group stop: every thread of `g` stops at its next stop (a parked one when
 * its wait ends) until SIGCONT; the parent hears CLD_STOPPED.
 */
export function stopGroup(g: ThreadGroup, sig: number): void {
  if (g.stopped || g.groupExit !== undefined) return;
  g.stopped = true;
  g.stopSignal = sig;
  g.stateChange = 'stopped';
  // Each thread stops when the scheduler next looks at it (kernel.ts #runSlice).
  for (const t of g.tasks) t.signals.discard(SIGCONT);
  notifyParent(g, CLD_STOPPED, sig);
}

/** SIGCONT: a stopped process runs again; the parent hears CLD_CONTINUED. Pending stop signals are dropped. */
export function continueGroup(g: ThreadGroup): void {
  for (const t of g.tasks) for (const s of STOP_SIGNALS) t.signals.discard(s);
  if (!g.stopped) return;
  g.stopped = false;
  g.stateChange = 'continued';
  for (const t of g.tasks) if (t.state === 'stopped') t.kernel.makeRunnable(t);
  notifyParent(g, CLD_CONTINUED, SIGCONT);
}

/** The SIGCHLD siginfo union: pid, uid, status, then utime and stime in clock ticks. */
function childFields(g: ThreadGroup, status: number): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setInt32(0, g.pid, true);
  v.setUint32(4, g.creds.uid, true);
  v.setInt32(8, status, true);
  const ticks = (ns: number) => BigInt(Math.floor(ns / 10_000_000));
  v.setBigInt64(16, ticks(g.cpu.userNs), true);
  v.setBigInt64(24, ticks(g.cpu.sysNs), true);
  return b;
}

/**
 * Tells `g`'s parent that `g` ended, stopped or continued (`code`, CLD_*;
 * `status` is the exit code or signal): its waiters wake, and it gets
 * g.exitSignal (SIGCHLD for a stop or continue) unless that is ignored, or
 * SA_NOCLDSTOP says not to for a stop or continue.
 */
export function notifyParent(g: ThreadGroup, code: number, status: number): void {
  const parent = g.parent;
  if (parent === null) return;
  parent.notifyWaiters();
  const end = code === CLD_EXITED || code === CLD_KILLED || code === CLD_DUMPED;
  const sig = end ? g.exitSignal : SIGCHLD;
  const p = parent.leader;
  // Legacy clone accepts any exit signal; one past NSIG is not sent (do_notify_parent's valid_signal).
  if (sig === 0 || sig > NSIG || p === undefined) return;
  const action = p.signals.actions[sig]!;
  if (!end && sig === SIGCHLD && (action.flags & SA_NOCLDSTOP) !== 0) return;
  if (action.handler === SIG_IGN) return;
  sendProcessSignal(parent, { signo: sig, code, fields: childFields(g, status) });
}

/**
 * Whether `parent` reaps its children as they end without a wait: it
 * ignores SIGCHLD or set SA_NOCLDWAIT on it (then a child sending a signal
 * other than SIGCHLD is still reaped only by wait, as on Linux).
 */
export function autoReaps(parent: ThreadGroup, child: ThreadGroup): boolean {
  const p = parent.leader;
  if (p === undefined || child.exitSignal !== SIGCHLD) return false;
  const a = p.signals.actions[SIGCHLD]!;
  return a.handler === SIG_IGN || (a.flags & SA_NOCLDWAIT) !== 0;
}
