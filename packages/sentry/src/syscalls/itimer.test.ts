import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { SA_RESTORER, SI_KERNEL } from '../kernel/signals.js';
import { call, type FakeTask, handlerOf, makeTask } from '../testing/fake-task.js';
import { cancelItimers } from '../kernel/itimer.js';
import { ITIMER_PROF, ITIMER_REAL, ITIMER_SYSCALLS, ITIMER_VIRTUAL } from './itimer.js';
import { Park } from '../kernel/park.js';

const SIGALRM = 14;
const sys = (t: FakeTask, name: string, ...args: (number | bigint)[]): number => {
  const r = call(t, handlerOf(ITIMER_SYSCALLS, name), ...args);
  if (typeof r !== 'number') throw new Error(`${name} waited`);
  return r;
};

/** A struct itimerval { interval, value } of (sec, usec) pairs. */
function itimerval(t: FakeTask, iSec: bigint, iUsec: bigint, vSec: bigint, vUsec: bigint): number {
  const p = t.mm.alloc(32);
  const v = t.mm.dv(p, 32);
  [iSec, iUsec, vSec, vUsec].forEach((x, i) => v.setBigInt64(i * 8, x, true));
  return p;
}
const read = (t: FakeTask, p: number): bigint[] => [0, 8, 16, 24].map((o) => t.mm.dv(p + o, 8).getBigInt64(0, true));
const usecOf = (r: bigint[], i: number): bigint => r[i]! * 1_000_000n + r[i + 1]!;

const tasks: FakeTask[] = [];
function task(): FakeTask {
  const t = makeTask();
  // A handler, so SIGALRM is queued rather than fatal.
  t.signals.actions[SIGALRM] = { handler: 0x40_1000, flags: SA_RESTORER, restorer: 0x40_2000, maskLo: 0, maskHi: 0 };
  tasks.push(t);
  return t;
}
afterEach(() => {
  for (const t of tasks.splice(0)) cancelItimers(t.group);
});

describe('setitimer and getitimer', () => {
  it('arm ITIMER_REAL, read back the time left and the interval, and return the old setting', () => {
    const t = task();
    const old = t.mm.alloc(32);
    const armed = process.hrtime.bigint();
    expect(sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 1n, 500_000n, 30n, 0n), old)).toBe(0);
    expect(read(t, old)).toEqual([0n, 0n, 0n, 0n]);
    const cur = t.mm.alloc(32);
    expect(sys(t, 'getitimer', ITIMER_REAL, cur)).toBe(0);
    const r = read(t, cur);
    expect(usecOf(r, 0)).toBe(1_500_000n);
    expect(usecOf(r, 2)).toBeLessThanOrEqual(30_000_000n);
    expect(usecOf(r, 2)).toBeGreaterThanOrEqual(30_000_000n - (process.hrtime.bigint() - armed) / 1000n - 1n); // less only by the time since
    // Disarming (a zero value) returns what was set; the interval goes with it.
    expect(sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 5n, 0n, 0n, 0n), old)).toBe(0);
    expect(usecOf(read(t, old), 0)).toBe(1_500_000n);
    expect(sys(t, 'getitimer', ITIMER_REAL, cur)).toBe(0);
    expect(read(t, cur)).toEqual([0n, 0n, 0n, 0n]);
  });

  it('checks the value, then `which`, and writes the old value last', () => {
    const t = task();
    const cur = t.mm.alloc(32);
    expect(sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 0n, 1_000_000n, 1n, 0n), 0)).toBe(-E.EINVAL);
    expect(sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 0n, 0n, -1n, 0n), 0)).toBe(-E.EINVAL);
    expect(sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 0n, -1n, 1n, 0n), 0)).toBe(-E.EINVAL);
    expect(sys(t, 'setitimer', ITIMER_REAL, t.mm.unmapped, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'setitimer', 3, t.mm.unmapped, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'setitimer', 3, itimerval(t, 0n, 0n, 1n, 0n), 0)).toBe(-E.EINVAL);
    expect(sys(t, 'getitimer', 3, cur)).toBe(-E.EINVAL);
    expect(sys(t, 'getitimer', ITIMER_REAL, t.mm.unmapped)).toBe(-E.EFAULT);
    expect(sys(t, 'getitimer', ITIMER_REAL, -1)).toBe(-E.EFAULT);
    // The timer is set even when the old value cannot be written.
    expect(sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 0n, 0n, 10n, 0n), t.mm.unmapped)).toBe(-E.EFAULT);
    expect(sys(t, 'getitimer', ITIMER_REAL, cur)).toBe(0);
    expect(read(t, cur)[2]! * 1_000_000n + read(t, cur)[3]!).toBeGreaterThan(0n); // armed: some of its 10 s left
    // NULL new value disarms, as Linux still accepts.
    expect(sys(t, 'setitimer', ITIMER_REAL, 0, 0)).toBe(0);
    expect(sys(t, 'getitimer', ITIMER_REAL, cur)).toBe(0);
    expect(read(t, cur)).toEqual([0n, 0n, 0n, 0n]);
  });

  it('reports the CPU-time timers as disarmed and refuses to arm them, with a warning', () => {
    const warnings: string[] = [];
    const t = makeTask({ warnings });
    const cur = t.mm.alloc(32);
    for (const which of [ITIMER_VIRTUAL, ITIMER_PROF]) {
      expect(sys(t, 'getitimer', which, cur)).toBe(0);
      expect(read(t, cur)).toEqual([0n, 0n, 0n, 0n]);
      expect(sys(t, 'setitimer', which, itimerval(t, 0n, 0n, 0n, 0n), cur)).toBe(0);
      expect(sys(t, 'setitimer', which, itimerval(t, 0n, 0n, 1n, 0n), cur)).toBe(-E.EINVAL);
    }
    expect(warnings).toHaveLength(2);
  });
});

describe('expiry', () => {
  it('sends SIGALRM from the kernel, once without an interval', async () => {
    const t = task();
    const before = process.hrtime.bigint();
    expect(sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 0n, 0n, 0n, 20_000n), 0)).toBe(0);
    expect(await new Park(t).promise).toBe('interrupted');
    expect(process.hrtime.bigint() - before).toBeGreaterThanOrEqual(20_000_000n);
    expect(t.signals.dequeue()).toEqual({ signo: SIGALRM, code: SI_KERNEL });
    const cur = t.mm.alloc(32);
    sys(t, 'getitimer', ITIMER_REAL, cur);
    expect(read(t, cur)).toEqual([0n, 0n, 0n, 0n]);
  });

  it('rearms itself with its interval', async () => {
    const t = task();
    expect(sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 0n, 5_000n, 0n, 5_000n), 0)).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(await new Park(t).promise).toBe('interrupted');
      expect(t.signals.dequeue()?.signo).toBe(SIGALRM);
    }
    const cur = t.mm.alloc(32);
    sys(t, 'getitimer', ITIMER_REAL, cur);
    const r = read(t, cur);
    expect(usecOf(r, 0)).toBe(5_000n);
    expect(usecOf(r, 2)).toBeGreaterThan(0n);
    expect(usecOf(r, 2)).toBeLessThanOrEqual(5_000n);
  });

  it('a default SIGALRM ends the task', async () => {
    const t = makeTask();
    tasks.push(t);
    sys(t, 'alarm', 0);
    sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 0n, 0n, 0n, 1_000n), 0);
    expect(await new Park(t).promise).toBe('interrupted');
    expect(t.exitStatus).toEqual({ signal: SIGALRM, coreDumped: false });
  });
});

describe('alarm', () => {
  it('returns the seconds left, rounded to nearest and never 0 for an armed timer', () => {
    const t = task();
    expect(sys(t, 'alarm', 100)).toBe(0);
    expect(sys(t, 'alarm', 0)).toBe(100);
    sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 0n, 0n, 2n, 600_000n), 0);
    expect(sys(t, 'alarm', 5)).toBe(3);
    sys(t, 'setitimer', ITIMER_REAL, itimerval(t, 0n, 0n, 0n, 1_000n), 0);
    expect(sys(t, 'alarm', 0)).toBe(1);
    expect(sys(t, 'alarm', 0)).toBe(0);
  });
});
