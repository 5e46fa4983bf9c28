// Signals from outside the sandbox: the embedder's (Sandbox.kill and
// Sandbox.signal, `tsv run` forwarding its own signals) or a container
// engine's `kill` (tsv-oci). Every process but the sandbox's init takes one
// as from any sender (si_code SI_USER, si_pid 0). The init takes it by one
// of two rules, chosen for the whole sandbox:
//   - 'process' (the default of Sandbox and `tsv run`): as any process; the
//     first process is the caller's program, and a signal it does not
//     handle has its default action, as when the program runs natively;
//   - 'namespace-init' (tsv-oci): as Linux's init of a child pid namespace
//     takes a signal from an ancestor namespace (SIGNAL_UNKILLABLE,
//     sig_task_ignored with `force`): SIGKILL and SIGSTOP always; any other
//     signal only when init handles it or blocks it, else it is discarded
//     (a `sh` as pid 1 ignores SIGTERM, as under runc).
import type { Kernel } from './kernel.js';
import { SI_USER, SIG_DFL, SIGKILL, SIGSTOP } from './signals.js';
import { sendProcessSignal } from './task-signals.js';
import type { ThreadGroup } from './thread-group.js';

/** How the sandbox's init takes a signal from outside (see the top of this file). */
export type InitSignalRule = 'process' | 'namespace-init';

/**
 * Sends `sig` (1..64) from outside the sandbox to its init, or with `all`
 * to every live process (init by `rule`). Returns false when no process was
 * alive to take it.
 */
export function signalFromHost(k: Kernel, sig: number, rule: InitSignalRule, all = false): boolean {
  const init = k.init;
  const targets: ThreadGroup[] = all ? [...k.pids.groups()] : init !== undefined ? [init] : [];
  let reached = false;
  for (const g of targets) {
    const leader = g.leader;
    if (leader === undefined || g.groupExit !== undefined || g.exitStatus !== undefined) continue;
    reached = true;
    if (g === init && rule === 'namespace-init' && sig !== SIGKILL && sig !== SIGSTOP) {
      const s = leader.signals;
      if (s.actions[sig]!.handler === SIG_DFL && !s.isBlocked(sig)) continue;
    }
    sendProcessSignal(g, { signo: sig, code: SI_USER, pid: 0, uid: 0 });
  }
  return reached;
}
