// Signals from outside the sandbox: an operator's or a container engine's
// `kill` (tsv-oci kill, Sandbox.signal). They come from an ancestor pid
// namespace, so the sandbox's init takes them as Linux's init of a child
// namespace does (SIGNAL_UNKILLABLE, sig_task_ignored with `force`):
// SIGKILL and SIGSTOP always; any other signal only when init handles it
// or blocks it, else it is discarded (a `sh` as pid 1 ignores SIGTERM, as
// under runc). Every other process takes it as from any sender.
import type { Kernel } from './kernel.js';
import { SI_USER, SIG_DFL, SIGKILL, SIGSTOP } from './signals.js';
import { sendProcessSignal } from './task-signals.js';
import type { ThreadGroup } from './thread-group.js';

/**
 * Sends `sig` (1..64) from outside the sandbox to its init, or with `all`
 * to every live process (init by the rule above). Returns false when no
 * process was alive to take it.
 */
export function signalFromHost(k: Kernel, sig: number, all = false): boolean {
  const init = k.init;
  const targets: ThreadGroup[] = all ? [...k.pids.groups()] : init !== undefined ? [init] : [];
  let reached = false;
  for (const g of targets) {
    const leader = g.leader;
    if (leader === undefined || g.groupExit !== undefined || g.exitStatus !== undefined) continue;
    reached = true;
    if (g === init && sig !== SIGKILL && sig !== SIGSTOP) {
      const s = leader.signals;
      if (s.actions[sig]!.handler === SIG_DFL && !s.isBlocked(sig)) continue;
    }
    sendProcessSignal(g, { signo: sig, code: SI_USER, pid: 0, uid: 0 });
  }
  return reached;
}
