// Waiting for readiness (../fd/readiness.ts), shared by poll, select and
// epoll_wait: look; when nothing is ready, park the task watching the
// objects until one of them changes, the timeout passes or a signal
// interrupts, and look again. A wake that finds nothing (another waiter
// took the event) parks again.
import type { Pollable } from '../fd/readiness.js';
import { monotonicNs } from './clock.js';
import { Park } from './park.js';
import { ERESTARTNOHAND } from './restart.js';
import type { Task } from './task.js';

/**
 * A wait's timeout: `ns` as given (undefined: none, wait forever; 0: look
 * once) and the monotonic `deadline` computed when the call began.
 */
export interface Timeout {
  readonly ns: bigint | undefined;
  readonly deadline: bigint | undefined;
}

/** A timeout of `ns` nanoseconds from now (undefined: none). */
export function timeoutAfter(ns: bigint | undefined): Timeout {
  return { ns, deadline: ns === undefined ? undefined : monotonicNs() + ns };
}

/** Nanoseconds left before the timeout's deadline (0 once past, undefined without one). */
export function timeLeft(timeout: Timeout): bigint | undefined {
  if (timeout.deadline === undefined) return undefined;
  const left = timeout.deadline - monotonicNs();
  return left > 0n ? left : 0n;
}

/**
 * Runs `scan` (how many things are ready, or a negative errno) until it
 * finds something, the timeout passes (a zero timeout looks once) or a
 * signal interrupts the wait: then -ERESTARTNOHAND, unless the scan after
 * the wake finds something, as Linux's do_poll and ep_poll look before they
 * check for signals. `sources` are the objects whose changes may make the
 * scan find something.
 */
export function waitReady(t: Task, scan: () => number, sources: readonly Pollable[], timeout: Timeout): number | Promise<number> {
  const first = scan();
  if (first !== 0 || timeout.ns === 0n) return first;
  return (async () => {
    for (;;) {
      const end = await new Park(t, timeout.deadline).watch(sources).promise;
      // Other tasks ran meanwhile: readiness that depends on the caller (a signalfd) must see this one.
      t.kernel.current = t;
      const r = scan();
      if (r !== 0 || end === 'timeout') return r;
      if (end === 'interrupted') return -ERESTARTNOHAND;
    }
  })();
}
