// timerfd's cost: an armed timer holds a host timer only while someone
// watches it, and none after close; expirations are counted from the clock.
import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { MemoryAccount } from '../mm/account.js';
import { O_NONBLOCK } from '../vfs/index.js';
import { POLLIN } from './readiness.js';
import { CLOCK_MONOTONIC, newTimerFd, TIMERFD_COST, type TimerFd } from './timerfd.js';

const MS = 1_000_000n;

/** Host timers (setTimeout, setImmediate) alive now. */
function hostTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
}

function timer(account = new MemoryAccount(1 << 20)): TimerFd {
  const t = newTimerFd(CLOCK_MONOTONIC, O_NONBLOCK, account);
  if (typeof t === 'number') throw new Error(`newTimerFd: ${t}`);
  return t;
}

function count(t: TimerFd): bigint | number {
  const b = new Uint8Array(8);
  const n = t.read(b);
  return n === 8 ? new DataView(b.buffer).getBigUint64(0, true) : n;
}

describe('timerfd', () => {
  it('counts periods from the clock with no host timer while nobody watches', async () => {
    const t = timer();
    const before = hostTimers();
    t.set(0, 10_000n * MS, 0n);
    expect(count(t)).toBe(-E.EAGAIN);
    t.set(0, 2n * MS, 2n * MS);
    expect(hostTimers()).toBe(before);
    await new Promise((r) => setTimeout(r, 20));
    expect(t.readiness()).toBe(POLLIN);
    expect(count(t)).toBeGreaterThanOrEqual(9n);
    t.close();
  });

  it('a watcher holds one host timer until it is called, forgotten, or the timer closes', async () => {
    const t = timer();
    const before = hostTimers();
    t.set(0, 5n * MS, 0n);
    const woken = new Promise<void>((resolve) => t.watch(resolve));
    expect(hostTimers()).toBe(before + 1);
    await woken;
    expect(t.readiness()).toBe(POLLIN);
    expect(count(t)).toBe(1n);

    t.set(0, 1000n * MS, 0n);
    const forget = t.watch(() => {});
    expect(hostTimers()).toBe(before + 1);
    forget();
    expect(hostTimers()).toBe(before);

    t.watch(() => {});
    expect(hostTimers()).toBe(before + 1);
    t.close();
    expect(hostTimers()).toBe(before);
  });

  it('is charged to the account and refused past it', () => {
    const account = new MemoryAccount(TIMERFD_COST);
    const t = timer(account);
    expect(newTimerFd(CLOCK_MONOTONIC, 0, account)).toBe(-E.ENOMEM);
    t.close();
    t.close();
    expect(account.used).toBe(0);
  });
});
