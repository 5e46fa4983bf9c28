// Job control on a controlling terminal (Linux's tty_jobctrl.c): a process
// of a background process group that reads its terminal gets SIGTTIN, and
// one that writes it (with TOSTOP) or changes its settings gets SIGTTOU,
// sent to its whole group, and the call restarts once the group is
// continued. A process that ignores or blocks the signal reads EIO and
// writes or changes settings freely; an orphaned group (nobody left to
// continue it) gets EIO instead of being stopped.
import { E } from '../../errno.js';
import type { Kernel } from '../../kernel/kernel.js';
import { ERESTARTSYS } from '../../kernel/restart.js';
import { SI_KERNEL } from '../../kernel/signals.js';
import { sendProcessSignal } from '../../kernel/task-signals.js';
import type { Task } from '../../kernel/task.js';
import type { ThreadGroup } from '../../kernel/thread-group.js';
import { SIGTTIN } from './pty.js';

/** Sends `sig` from the kernel (SI_KERNEL) to process `g` unless it has ended. */
export function signalProcess(g: ThreadGroup, sig: number): void {
  if (g.exitStatus === undefined) sendProcessSignal(g, { signo: sig, code: SI_KERNEL });
}

/** Sends `sig` from the kernel to every live process of group `pgrp` (kill_pgrp). */
export function signalProcessGroup(k: Kernel, pgrp: number, sig: number): void {
  if (pgrp <= 0) return;
  for (const g of [...k.pids.processGroup(pgrp)]) signalProcess(g, sig);
}

/**
 * Whether process group `pgid` is orphaned: no member has a parent in
 * another group of the same session (POSIX; Linux's will_become_orphaned_pgrp).
 */
export function isOrphanedGroup(k: Kernel, pgid: number): boolean {
  for (const g of k.pids.processGroup(pgid)) {
    if (g.exitStatus !== undefined) continue;
    const p = g.parent;
    if (p !== null && p.pgid !== pgid && p.sid === g.sid) return false;
  }
  return true;
}

/**
 * __tty_check_change for task `t` on its controlling terminal whose
 * foreground group is `fg`: 0 when `t` may go on, -EIO, or -ERESTARTSYS
 * after sending `sig` to `t`'s group.
 */
export function checkForeground(t: Task, fg: number, sig: number): number {
  if (fg === 0 || t.pgid === fg) return 0;
  if (t.signals.isBlocked(sig) || t.signals.isIgnored(sig)) return sig === SIGTTIN ? -E.EIO : 0;
  if (isOrphanedGroup(t.kernel, t.pgid)) return -E.EIO;
  signalProcessGroup(t.kernel, t.pgid, sig);
  return -ERESTARTSYS;
}
