// ITIMER_REAL, the process's interval timer on the monotonic clock: it
// sends SIGALRM to the process (from the kernel: SI_KERNEL, as Linux's
// SEND_SIG_PRIV) when it expires and rearms itself with its interval,
// skipping the periods that passed while a signal was still pending, as
// hrtimer_forward() does. One per process; it survives execve and is
// cancelled when the process ends (nothing then keeps the event loop alive).
import { monotonicNs } from './clock.js';
import { Deadline } from './deadline.js';
import { SI_KERNEL } from './signals.js';
import { sendProcessSignal } from './task-signals.js';
import type { ThreadGroup } from './thread-group.js';

const SIGALRM = 14;
/** An armed timer reads at least this much (Linux's itimer_get_remtime). */
const MIN_LEFT_NS = 1000n;

interface Itimer {
  expiry: Deadline | undefined;
  interval: bigint;
}

/** Time left and interval (ns). */
export interface ItimerValue {
  value: bigint;
  interval: bigint;
}

const timers = new WeakMap<ThreadGroup, Itimer>();

/** Time left and interval of the process's ITIMER_REAL. */
export function readRealTimer(g: ThreadGroup): ItimerValue {
  const it = timers.get(g);
  if (it?.expiry?.active !== true) return { value: 0n, interval: it?.interval ?? 0n };
  const left = it.expiry.remaining();
  return { value: left > 0n ? left : MIN_LEFT_NS, interval: it.interval };
}

function expire(g: ThreadGroup, it: Itimer, at: bigint): void {
  sendProcessSignal(g, { signo: SIGALRM, code: SI_KERNEL });
  if (it.interval === 0n || g.exitStatus !== undefined) {
    it.expiry = undefined;
    return;
  }
  const now = monotonicNs();
  const next = now < at + it.interval ? at + it.interval : at + ((now - at) / it.interval + 1n) * it.interval;
  it.expiry = new Deadline(next, () => expire(g, it, next));
}

/** Arms ITIMER_REAL to expire in `value` ns (0: disarms), then every `interval` ns; returns the previous setting. */
export function setRealTimer(g: ThreadGroup, value: bigint, interval: bigint): ItimerValue {
  const old = readRealTimer(g);
  let it = timers.get(g);
  if (it === undefined) timers.set(g, (it = { expiry: undefined, interval: 0n }));
  it.expiry?.cancel();
  it.expiry = undefined;
  it.interval = value === 0n ? 0n : interval;
  if (value !== 0n) {
    const at = monotonicNs() + value;
    const timer = it;
    it.expiry = new Deadline(at, () => expire(g, timer, at));
  }
  return old;
}

/** Disarms the process's timers (it ended). */
export function cancelItimers(g: ThreadGroup): void {
  timers.get(g)?.expiry?.cancel();
  timers.delete(g);
}
