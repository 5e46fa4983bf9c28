// Pending signals, as Linux's struct sigpending: a set of signal numbers
// and the queued siginfo of each. A standard signal (1-31) is pending at
// most once and later sends are dropped; a real-time signal (SIGRTMIN..
// SIGRTMAX, 32-64) queues one instance per send, taken oldest first. A
// pending signal with nothing queued lost its siginfo to RLIMIT_SIGPENDING.
// A task has two of these, its own and its process's (signals.ts).
import type { SigInfo } from './signals.js';

/** The first real-time signal as the kernel counts (glibc keeps 32 and 33 for itself). */
export const SIGRTMIN = 32;
/** si_code of kill(), and of a siginfo that was lost. */
export const SI_USER = 0;
/** Delivered before any other pending signal, as Linux's SYNCHRONOUS_MASK: SEGV, BUS, ILL, TRAP, FPE, SYS. */
const SYNCHRONOUS_LO = [11, 7, 4, 5, 8, 31].reduce((m, s) => m | (1 << (s - 1)), 0) >>> 0;

/** Signal `sig`'s bit in the low word of a 64-bit set (0 when it is in the high one). */
export function bitLo(sig: number): number {
  return sig <= 32 ? (1 << (sig - 1)) >>> 0 : 0;
}

/** Signal `sig`'s bit in the high word of a 64-bit set. */
export function bitHi(sig: number): number {
  return sig > 32 ? (1 << (sig - 33)) >>> 0 : 0;
}

/** The lowest signal in a 64-bit set given as halves, 0 for none. */
function lowest(lo: number, hi: number): number {
  if (lo !== 0) return 32 - Math.clz32(lo & -lo);
  if (hi !== 0) return 64 - Math.clz32(hi & -hi);
  return 0;
}

export class PendingSet {
  /** The pending signals (bit sig-1). */
  lo = 0;
  hi = 0;
  readonly #queues = new Map<number, SigInfo[]>();
  #queued = 0;

  /** Queued siginfos: what counts against RLIMIT_SIGPENDING. */
  get queued(): number {
    return this.#queued;
  }

  has(sig: number): boolean {
    return ((this.lo & bitLo(sig)) | (this.hi & bitHi(sig))) !== 0;
  }

  /**
   * Makes `info.signo` pending; its siginfo is queued when `keepInfo`.
   * False (nothing changes) for a standard signal already pending.
   */
  add(info: SigInfo, keepInfo: boolean): boolean {
    const sig = info.signo;
    if (sig < SIGRTMIN && this.has(sig)) return false;
    if (keepInfo) {
      let q = this.#queues.get(sig);
      if (q === undefined) this.#queues.set(sig, (q = []));
      q.push(info);
      this.#queued++;
    }
    this.#mark(sig, true);
    return true;
  }

  /** Forgets every pending instance of `sig`. */
  discard(sig: number): void {
    this.#mark(sig, false);
    this.#queued -= this.#queues.get(sig)?.length ?? 0;
    this.#queues.delete(sig);
  }

  /**
   * Takes the next signal among those pending and not in `notLo/notHi`:
   * synchronous signals first, then the lowest number, as Linux's
   * next_signal(); the oldest instance of it, the signal staying pending
   * while more are queued. A lost siginfo reads as SI_USER with no sender,
   * as Linux's collect_signal() makes it.
   */
  take(notLo: number, notHi: number): SigInfo | undefined {
    const lo = (this.lo & ~notLo) >>> 0;
    const hi = (this.hi & ~notHi) >>> 0;
    const sync = (lo & SYNCHRONOUS_LO) >>> 0;
    const sig = sync !== 0 ? lowest(sync, 0) : lowest(lo, hi);
    if (sig === 0) return undefined;
    const q = this.#queues.get(sig);
    const info = q?.shift();
    if (info !== undefined) this.#queued--;
    if (q === undefined || q.length === 0) {
      this.#queues.delete(sig);
      this.#mark(sig, false);
    }
    return info ?? { signo: sig, code: SI_USER };
  }

  #mark(sig: number, on: boolean): void {
    if (on) {
      this.lo = (this.lo | bitLo(sig)) >>> 0;
      this.hi = (this.hi | bitHi(sig)) >>> 0;
    } else {
      this.lo = (this.lo & ~bitLo(sig)) >>> 0;
      this.hi = (this.hi & ~bitHi(sig)) >>> 0;
    }
  }
}
