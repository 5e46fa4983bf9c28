// Parking a task in a system call that waits (nanosleep, futex): a Park
// settles exactly once, when it is woken, when its deadline passes, or when
// the task is interrupted (interruptTask: a signal, or the sandbox being
// killed). The deadline is on the host monotonic clock and is never met
// early: a timer brings the wait to within a millisecond, and the event
// loop's check phase (setImmediate) finishes it, so a 100 us sleep lasts
// about 100 us rather than a whole timer tick.
import type { Task } from '../kernel/task.js';
import { monotonicNs } from './clocks.js';

export type ParkEnd = 'woken' | 'timeout' | 'interrupted';

const MAX_TIMER_MS = 2 ** 31 - 1;
const parked = new WeakMap<Task, Set<Park>>();

export class Park {
  readonly task: Task;
  readonly promise: Promise<ParkEnd>;
  readonly #deadline: bigint | undefined;
  #resolve!: (end: ParkEnd) => void;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #settled = false;

  /** Parks `t` until woken, or until the monotonic time `deadline` (ns) when given. */
  constructor(t: Task, deadline?: bigint) {
    this.task = t;
    this.#deadline = deadline;
    this.promise = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    let set = parked.get(t);
    if (set === undefined) parked.set(t, (set = new Set()));
    set.add(this);
    if (deadline !== undefined) this.#check();
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Ends the wait as woken; false when it had already ended. */
  wake(): boolean {
    return this.#settle('woken');
  }

  /** Nanoseconds left before the deadline (0 when past, undefined without one). */
  remaining(): bigint | undefined {
    if (this.#deadline === undefined) return undefined;
    const left = this.#deadline - monotonicNs();
    return left > 0n ? left : 0n;
  }

  /** Ends the wait as interrupted; false when it had already ended. */
  interrupt(): boolean {
    return this.#settle('interrupted');
  }

  #check = (): void => {
    this.#timer = undefined;
    if (this.#settled) return;
    const left = this.remaining()!;
    if (left === 0n) {
      this.#settle('timeout');
      return;
    }
    const ms = Number(left / 1_000_000n);
    this.#timer = ms >= 1 ? setTimeout(this.#check, Math.min(ms, MAX_TIMER_MS)) : setImmediate(this.#check);
  };

  #settle(end: ParkEnd): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = undefined;
    }
    parked.get(this.task)?.delete(this);
    this.#resolve(end);
    return true;
  }
}

/** Interrupts every wait `t` is parked in (they end as 'interrupted'); returns how many there were. */
export function interruptTask(t: Task): number {
  const set = parked.get(t);
  if (set === undefined) return 0;
  let n = 0;
  for (const p of [...set]) if (p.interrupt()) n++;
  return n;
}
