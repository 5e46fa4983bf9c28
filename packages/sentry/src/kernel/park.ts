// Parking a task in a system call that waits (a pipe read, poll, futex,
// nanosleep): a Park settles exactly once, when it is woken (by its waker,
// or by a stream it watches), when its deadline passes (deadline.ts: never
// early), or when the task is interrupted — interruptTask, called for a
// signal the task will act on, or when the sandbox is killed. Like Linux's
// interruptible sleeps, a Park made while such a signal is already pending
// ends at once as interrupted: the caller then returns its restart code
// (../kernel/restart.ts) and the run loop decides between EINTR and a restart.
import type { Task } from './task.js';
import { monotonicNs } from './clock.js';
import { Deadline } from './deadline.js';

export type ParkEnd = 'woken' | 'timeout' | 'interrupted';

/** Anything that can report one change (a stream); the result removes the watcher. */
export interface Watchable {
  watch(onChange: () => void): () => void;
}

const parked = new WeakMap<Task, Set<Park>>();

export class Park {
  readonly task: Task;
  readonly promise: Promise<ParkEnd>;
  readonly #at: bigint | undefined;
  #deadline: Deadline | undefined;
  readonly #unwatch: (() => void)[] = [];
  #resolve!: (end: ParkEnd) => void;
  #settled = false;
  readonly #killable: boolean;

  /**
   * Parks `t` until woken, or until the monotonic time `deadline` (ns) when
   * given. A `killable` wait (vfork's) ignores signals the task will handle:
   * only the task's death interrupts it.
   */
  constructor(t: Task, deadline?: bigint, killable = false) {
    this.#killable = killable;
    this.task = t;
    this.#at = deadline;
    this.promise = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    let set = parked.get(t);
    if (set === undefined) parked.set(t, (set = new Set()));
    set.add(this);
    if (t.exited || (!killable && t.signals.hasDeliverable())) this.#settle('interrupted');
    else if (deadline !== undefined) this.#deadline = new Deadline(deadline, () => this.#settle('timeout'));
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Ends the wait as woken; false when it had already ended. */
  wake(): boolean {
    return this.#settle('woken');
  }

  /** Also ends the wait as woken at the next change of any of `sources`. */
  watch(sources: Iterable<Watchable>): this {
    if (this.#settled) return this;
    for (const s of sources) this.#unwatch.push(s.watch(() => this.wake()));
    return this;
  }

  /** Nanoseconds left before the deadline (0 when past, undefined without one). */
  remaining(): bigint | undefined {
    if (this.#at === undefined) return undefined;
    const left = this.#at - monotonicNs();
    return left > 0n ? left : 0n;
  }

  /** Ends the wait as interrupted (a killable one only when its task is exiting); false when it had already ended. */
  interrupt(): boolean {
    if (this.#killable && !this.task.exited) return false;
    return this.#settle('interrupted');
  }

  #settle(end: ParkEnd): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#deadline?.cancel();
    for (const unwatch of this.#unwatch) unwatch();
    this.#unwatch.length = 0;
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
