import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { call, type FakeTask, handlerOf, makeTask } from '../testing/fake-task.js';
import { interruptTask } from '../kernel/park.js';
import { TIME_SYSCALLS } from './time.js';

const h = (n: string) => handlerOf(TIME_SYSCALLS, n);
const sys = (t: FakeTask, name: string, ...args: (number | bigint)[]) => call(t, h(name), ...args);
const timespec = (t: FakeTask, sec: bigint, nsec: bigint): number => {
  const p = t.mm.alloc(16);
  t.mm.dv(p, 16).setBigInt64(0, sec, true);
  t.mm.dv(p, 16).setBigInt64(8, nsec, true);
  return p;
};
const readTs = (t: FakeTask, p: number): bigint =>
  t.mm.dv(p, 16).getBigInt64(0, true) * 1_000_000_000n + t.mm.dv(p, 16).getBigInt64(8, true);

describe('clock_gettime', () => {
  it('reads realtime close to Date.now and monotonic close to hrtime', () => {
    const t = makeTask();
    const p = t.mm.alloc(16);
    const before = Date.now();
    expect(sys(t, 'clock_gettime', 0, p)).toBe(0);
    const after = Date.now();
    // The wall clock, between two host readings give or take how far the offset
    // taken once at start (kernel/clock.ts) has drifted from Date.now: a preemption
    // while it was taken, or the host's clock slewing since. A second is far more
    // than either, and far less than any other clock would be off.
    expect(Number(readTs(t, p) / 1_000_000n)).toBeGreaterThanOrEqual(before - 1000);
    expect(Number(readTs(t, p) / 1_000_000n)).toBeLessThanOrEqual(after + 1000);
    expect(sys(t, 'clock_gettime', 1, p)).toBe(0);
    const a = readTs(t, p);
    expect(sys(t, 'clock_gettime', 1, p)).toBe(0);
    const b = readTs(t, p);
    expect(b).toBeGreaterThan(a); // ns resolution: two reads differ
    expect(Number(b - process.hrtime.bigint())).toBeLessThan(0);
    expect(sys(t, 'clock_gettime', 6, p)).toBe(0);
    expect(readTs(t, p) % 4_000_000n).toBe(0n);
    expect(readTs(t, p)).toBeLessThanOrEqual(process.hrtime.bigint());
    expect(t.mm.dv(p, 16).getBigInt64(8, true)).toBeLessThan(1_000_000_000n);
  });

  it('accepts every Linux clock, its own CPU clocks, and rejects others', () => {
    const t = makeTask();
    const p = t.mm.alloc(16);
    for (const id of [0, 1, 2, 3, 4, 5, 6, 7, 11]) expect(sys(t, 'clock_gettime', id, p)).toBe(0);
    for (const id of [8, 9, 10, 12, 100, (-1 << 3) | 7]) expect(sys(t, 'clock_gettime', id, p)).toBe(-E.EINVAL);
    // clock_getcpuclockid(0) and of its own pid; another pid; type 3 does not exist.
    expect(sys(t, 'clock_gettime', (~0 << 3) | 2, p)).toBe(0);
    expect(sys(t, 'clock_gettime', (~t.pid << 3) | 2, p)).toBe(0);
    expect(sys(t, 'clock_gettime', (~t.tid << 3) | 6, p)).toBe(0);
    expect(sys(t, 'clock_gettime', (~(t.pid + 1) << 3) | 2, p)).toBe(-E.EINVAL);
    expect(sys(t, 'clock_gettime', (~t.pid << 3) | 3, p)).toBe(-E.EINVAL);
  });

  it('faults on bad pointers', () => {
    const t = makeTask();
    for (const bad of [0, t.mm.unmapped, t.mm.alloc(8), t.mm.alloc(16, false), -1n, 1n << 63n]) {
      expect(sys(t, 'clock_gettime', 0, bad)).toBe(-E.EFAULT);
    }
  });
});

describe('clock_getres, gettimeofday, time, times', () => {
  it('clock_getres: 1 ns, 4 ms for coarse clocks, NULL allowed', () => {
    const t = makeTask();
    const p = t.mm.alloc(16);
    expect(sys(t, 'clock_getres', 1, p)).toBe(0);
    expect(readTs(t, p)).toBe(1n);
    expect(sys(t, 'clock_getres', 5, p)).toBe(0);
    expect(readTs(t, p)).toBe(4_000_000n);
    expect(sys(t, 'clock_getres', 1, 0)).toBe(0);
    expect(sys(t, 'clock_getres', 99, 0)).toBe(-E.EINVAL);
    expect(sys(t, 'clock_getres', 1, t.mm.unmapped)).toBe(-E.EFAULT);
  });

  it('gettimeofday: tv in microseconds, tz zeroed, either may be NULL', () => {
    const t = makeTask();
    const tv = t.mm.alloc(16);
    const tz = t.mm.alloc(8);
    t.mm.write(tz, new Uint8Array(8).fill(7));
    expect(sys(t, 'gettimeofday', tv, tz)).toBe(0);
    const dv = t.mm.dv(tv, 16);
    expect(dv.getBigInt64(8, true)).toBeLessThan(1_000_000n);
    expect(Math.abs(Number(dv.getBigInt64(0, true)) - Date.now() / 1000)).toBeLessThan(2);
    expect([...t.mm.read(tz, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(sys(t, 'gettimeofday', 0, 0)).toBe(0);
    expect(sys(t, 'gettimeofday', t.mm.unmapped, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'gettimeofday', 0, tz + 4)).toBe(-E.EFAULT);
  });

  it('time returns and optionally stores seconds', () => {
    const t = makeTask();
    const p = t.mm.alloc(8);
    const r = sys(t, 'time', p) as number;
    expect(Math.abs(r - Date.now() / 1000)).toBeLessThan(2);
    expect(Number(t.mm.dv(p, 8).getBigInt64(0, true))).toBe(r);
    expect(sys(t, 'time', 0)).toBeGreaterThan(1_600_000_000);
    expect(sys(t, 'time', p + 1)).toBe(-E.EFAULT);
  });

  it('times: NULL is fine, a bad buffer faults', () => {
    const t = makeTask();
    expect(sys(t, 'times', 0)).toBeGreaterThan(0);
    expect(sys(t, 'times', 8)).toBe(-E.EFAULT);
  });
});

describe('nanosleep', () => {
  it('sleeps at least the requested time and leaves rem alone', async () => {
    const t = makeTask();
    const req = timespec(t, 0n, 30_000_000n);
    const rem = timespec(t, 9n, 9n);
    const start = process.hrtime.bigint();
    const r = sys(t, 'nanosleep', req, rem);
    expect(r).toBeInstanceOf(Promise);
    expect(await r).toBe(0);
    const took = process.hrtime.bigint() - start;
    expect(took).toBeGreaterThanOrEqual(30_000_000n); // never early; how late depends on the host's load
    expect(readTs(t, rem)).toBe(9_000_000_009n);
  });

  it('sub-millisecond sleeps are not rounded up to a timer tick', async () => {
    const t = makeTask();
    const req = timespec(t, 0n, 200_000n);
    // A sleep that waited for a timer tick takes a millisecond or more every
    // time; one the host merely descheduled does so now and then. So the
    // fastest of a few sleeps must be under a millisecond, and each is never early.
    let fastest = BigInt(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 10 && fastest >= 1_000_000n; i++) {
      const start = process.hrtime.bigint();
      expect(await sys(t, 'nanosleep', req, 0)).toBe(0);
      const took = process.hrtime.bigint() - start;
      expect(took).toBeGreaterThanOrEqual(200_000n);
      if (took < fastest) fastest = took;
    }
    expect(fastest).toBeLessThan(1_000_000n);
  });

  it('validates the request', () => {
    const t = makeTask();
    expect(sys(t, 'nanosleep', 0, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'nanosleep', t.mm.alloc(8), 0)).toBe(-E.EFAULT);
    expect(sys(t, 'nanosleep', timespec(t, 0n, 1_000_000_000n), 0)).toBe(-E.EINVAL);
    expect(sys(t, 'nanosleep', timespec(t, 0n, -1n), 0)).toBe(-E.EINVAL);
    expect(sys(t, 'nanosleep', timespec(t, -1n, 0n), 0)).toBe(-E.EINVAL);
  });

  it('an interruption returns EINTR and the time left in rem', async () => {
    const t = makeTask();
    const rem = t.mm.alloc(16);
    const start = process.hrtime.bigint();
    const r = sys(t, 'nanosleep', timespec(t, 10n, 0n), rem);
    setTimeout(() => interruptTask(t), 20);
    expect(await r).toBe(-E.EINTR);
    const slept = process.hrtime.bigint() - start;
    // What is left is what was asked less what was slept, and the sleep lasted no longer than the call.
    const left = readTs(t, rem);
    expect(left).toBeGreaterThanOrEqual(10_000_000_000n - slept);
    expect(left).toBeLessThan(10_000_000_000n);
  });
});

describe('clock_nanosleep', () => {
  it('relative and absolute sleeps', async () => {
    const t = makeTask();
    const start = process.hrtime.bigint();
    expect(await sys(t, 'clock_nanosleep', 1, 0, timespec(t, 0n, 20_000_000n), 0)).toBe(0);
    expect(process.hrtime.bigint() - start).toBeGreaterThanOrEqual(20_000_000n);
    const until = process.hrtime.bigint() + 25_000_000n;
    const abs = timespec(t, until / 1_000_000_000n, until % 1_000_000_000n);
    expect(await sys(t, 'clock_nanosleep', 1, 1, abs, 0)).toBe(0);
    expect(process.hrtime.bigint()).toBeGreaterThanOrEqual(until);
    // A deadline in the past returns at once, without a promise.
    expect(sys(t, 'clock_nanosleep', 0, 1, timespec(t, 1n, 0n), 0)).toBe(0);
  });

  it('rejects clocks it cannot sleep on, as Linux does', () => {
    const t = makeTask();
    const ts = timespec(t, 0n, 1000n);
    for (const id of [4, 5, 6, 3, 8, 9]) expect(sys(t, 'clock_nanosleep', id, 0, ts, 0)).toBe(-E.EOPNOTSUPP);
    for (const id of [100, 10, -8]) expect(sys(t, 'clock_nanosleep', id, 0, ts, 0)).toBe(-E.EINVAL);
    expect(sys(t, 'clock_nanosleep', 1, 0, 8, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'clock_nanosleep', 1, 0, timespec(t, 0n, 1_000_000_000n), 0)).toBe(-E.EINVAL);
  });
});
