// timerfd: a timer read through a descriptor (Linux fs/timerfd.c).
//
// The timer is kept as the monotonic time of its next expiry and an
// interval; expirations are counted lazily, when someone looks (read,
// poll, gettime), from the clock: `ticks` is how many periods ended since
// the last read. No host timer exists while nobody waits: a Deadline
// (../kernel/deadline.ts) is armed only while a watcher (a parked reader,
// poll, epoll) is registered and the next expiry is known, and it goes with
// the last watcher and with close. CLOCK_REALTIME is the monotonic clock
// plus a fixed offset (../kernel/clock.ts: it never jumps), so an absolute
// realtime expiry becomes a monotonic one once, at settime, and
// TFD_TIMER_CANCEL_ON_SET is accepted but never fires.
//
// read needs 8 bytes (EINVAL below), returns the expiration count as a u64
// and resets it; with none it would block (EAGAIN, stream.ts protocol).
// Readiness: POLLIN while the count is not 0 (Linux's timerfd_poll).
//
// Memory: each timerfd is charged TIMERFD_COST to the sandbox's account.
import { E } from '../errno.js';
import { monotonicNs, realtimeNs } from '../kernel/clock.js';
import { Deadline } from '../kernel/deadline.js';
import type { MemoryAccount } from '../mm/account.js';
import { O_RDWR } from '../vfs/index.js';
import { AnonStream } from './anon.js';
import { POLLIN, Watchers } from './readiness.js';

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8;
export const CLOCK_BOOTTIME_ALARM = 9;
export const TFD_TIMER_ABSTIME = 1;
export const TFD_TIMER_CANCEL_ON_SET = 2;
/** Host bytes charged per timerfd: its state, description and table slot. */
export const TIMERFD_COST = 512;
const SIZE = 8;
const U64_MAX = (1n << 64n) - 1n;

/** The clocks timerfd_create takes (others: EINVAL). */
export function isTimerfdClock(clockid: number): boolean {
  return [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM].includes(clockid);
}

/** Nanoseconds to add to a monotonic time to read `clockid`. */
function clockOffset(clockid: number): bigint {
  return clockid === CLOCK_REALTIME || clockid === CLOCK_REALTIME_ALARM ? realtimeNs() - monotonicNs() : 0n;
}

/** A timer setting in ns: time to the next expiry (0: disarmed) and the period (0: one-shot). */
export interface TimerSpec {
  value: bigint;
  interval: bigint;
}

export class TimerFd extends AnonStream {
  readonly anonName = '[timerfd]';
  readonly clockid: number;
  /** Monotonic ns of the next expiry not yet counted; undefined: disarmed. */
  #next: bigint | undefined;
  #interval = 0n;
  #ticks = 0n;
  #settimeFlags = 0;
  readonly #watchers = new Watchers();
  #host: Deadline | undefined;
  readonly #account: MemoryAccount | null;

  constructor(clockid: number, flags: number, account: MemoryAccount | null) {
    super(O_RDWR | flags);
    this.clockid = clockid;
    this.#account = account;
  }

  /** Counts the periods that ended by now. */
  #expire(): void {
    const next = this.#next;
    if (next === undefined) return;
    const now = monotonicNs();
    if (now < next) return;
    const n = this.#interval === 0n ? 1n : (now - next) / this.#interval + 1n;
    const sum = this.#ticks + n;
    this.#ticks = sum > U64_MAX ? U64_MAX : sum;
    this.#next = this.#interval === 0n ? undefined : next + n * this.#interval;
  }

  /** The setting now, as timerfd_gettime reports it. */
  get(): TimerSpec {
    this.#expire();
    const next = this.#next;
    return { value: next === undefined ? 0n : next - monotonicNs(), interval: this.#interval };
  }

  /**
   * timerfd_settime: arms the timer to expire after `value` ns (at the
   * clock's time `value` with TFD_TIMER_ABSTIME; a past time expires at
   * once) and every `interval` ns after, or disarms it (`value` 0); the
   * count starts again from 0. Returns the previous setting.
   */
  set(flags: number, value: bigint, interval: bigint): TimerSpec {
    const old = this.get();
    this.#ticks = 0n;
    this.#settimeFlags = flags;
    this.#interval = interval;
    const now = monotonicNs();
    if (value === 0n) this.#next = undefined;
    else this.#next = flags & TFD_TIMER_ABSTIME ? value - clockOffset(this.clockid) : now + value;
    this.#cancelHost();
    this.#armHost();
    return old;
  }

  protected override readAt(buf: Uint8Array, len: number): number {
    if (len < SIZE) return -E.EINVAL;
    this.#expire();
    if (this.#ticks === 0n) return -E.EAGAIN;
    new DataView(buf.buffer, buf.byteOffset, SIZE).setBigUint64(0, this.#ticks, true);
    this.#ticks = 0n;
    this.#armHost();
    return SIZE;
  }

  override readiness(): number {
    this.#expire();
    return this.#ticks > 0n ? POLLIN : 0;
  }

  /** A watcher holds a host timer for the next expiry; the last one to go takes it away. */
  override watch(onChange: () => void): () => void {
    const forget = this.#watchers.add(onChange);
    this.#armHost();
    return () => {
      forget();
      if (this.#watchers.size === 0) this.#cancelHost();
    };
  }

  /** While watched and not ready, a host timer for the next expiry (a ready timer changes only when read). */
  #armHost(): void {
    if (this.closed || this.#host?.active === true || this.#watchers.size === 0) return;
    this.#expire();
    const at = this.#next;
    if (at === undefined || this.#ticks > 0n) return;
    this.#host = new Deadline(at, () => {
      this.#host = undefined;
      this.#watchers.notify();
      this.#armHost();
    });
  }

  #cancelHost(): void {
    this.#host?.cancel();
    this.#host = undefined;
  }

  /** The lines Linux's timerfd_show adds to /proc/<pid>/fdinfo. */
  fdinfo(): string {
    const { value, interval } = this.get();
    const ts = (ns: bigint) => `(${ns / 1_000_000_000n}, ${ns % 1_000_000_000n})`;
    return (
      `clockid: ${this.clockid}\nticks: ${this.#ticks}\nsettime flags: 0${this.#settimeFlags.toString(8)}\n` +
      `it_value: ${ts(value)}\nit_interval: ${ts(interval)}\n`
    );
  }

  protected override release(): void {
    this.#cancelHost();
    this.#account?.uncharge(TIMERFD_COST);
  }
}

/** A new disarmed timerfd on `clockid`; -ENOMEM when `account` cannot take TIMERFD_COST more. */
export function newTimerFd(clockid: number, flags: number, account?: MemoryAccount): TimerFd | number {
  if (account && !account.charge(TIMERFD_COST)) return -E.ENOMEM;
  return new TimerFd(clockid, flags, account ?? null);
}
