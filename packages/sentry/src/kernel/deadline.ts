// A callback at a time on the host monotonic clock, never early: a timer
// brings it to within a millisecond and the event loop's check phase
// (setImmediate) finishes it, so a 100 us deadline costs about 100 us
// rather than a whole timer tick. Parked waits (park.ts) and interval
// timers (itimer.ts) share it.
import { monotonicNs } from './clock.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

export class Deadline {
  /** The monotonic time (ns) at which `fire` runs. */
  readonly at: bigint;
  readonly #fire: () => void;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #done = false;

  constructor(at: bigint, fire: () => void) {
    this.at = at;
    this.#fire = fire;
    this.#check();
  }

  /** Nanoseconds left (0 once past). */
  remaining(): bigint {
    const left = this.at - monotonicNs();
    return left > 0n ? left : 0n;
  }

  /** True until it has fired or been cancelled. */
  get active(): boolean {
    return !this.#done;
  }

  /** Stops it from firing; nothing once it has. */
  cancel(): void {
    this.#done = true;
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }

  #check = (): void => {
    this.#timer = undefined;
    if (this.#done) return;
    const left = this.remaining();
    if (left === 0n) {
      this.#done = true;
      this.#fire();
      return;
    }
    const ms = Number(left / 1_000_000n);
    this.#timer = ms >= 1 ? setTimeout(this.#check, Math.min(ms, MAX_TIMER_MS)) : setImmediate(this.#check);
  };
}
