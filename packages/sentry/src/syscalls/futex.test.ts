import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { ERESTARTSYS } from '../kernel/restart.js';
import { Task } from '../kernel/task.js';
import { call, type FakeTask, handlerOf, makeTask } from '../testing/fake-task.js';
import { futexKey, futexWaiters } from '../kernel/futex.js';
import { FUTEX_SYSCALLS } from './futex.js';
import { interruptTask } from '../kernel/park.js';

const futex = handlerOf(FUTEX_SYSCALLS, 'futex');
const WAIT = 0;
const WAKE = 1;
const REQUEUE = 3;
const CMP_REQUEUE = 4;
const WAKE_OP = 5;
const WAIT_BITSET = 9;
const WAKE_BITSET = 10;
const PRIVATE = 128;
const REALTIME = 256;

function word(t: FakeTask, v: number): number {
  const p = t.mm.alloc(4);
  t.mm.dv(p, 4).setUint32(0, v, true);
  return p;
}
function timespec(t: FakeTask, ns: bigint): number {
  const p = t.mm.alloc(16);
  t.mm.dv(p, 16).setBigInt64(0, ns / 1_000_000_000n, true);
  t.mm.dv(p, 16).setBigInt64(8, ns % 1_000_000_000n, true);
  return p;
}
/** A second thread of the same process: same memory, its own task. */
function sibling(t: FakeTask): Task {
  return new Task({
    kernel: t.kernel,
    tid: t.kernel.allocateTid(),
    regs: t.regs,
    fpu: t.fpu,
    mm: t.mm,
    fs: t.fs,
    creds: t.creds,
    comm: 'sib',
    exePath: '/sib',
  });
}
const f = (t: Task, ...args: (number | bigint)[]) => call(t, futex, ...args);

describe('FUTEX_WAIT', () => {
  it('EAGAIN when the word differs, EFAULT/EINVAL for bad addresses', () => {
    const t = makeTask();
    const w = word(t, 5);
    expect(f(t, w, WAIT | PRIVATE, 4, 0)).toBe(-E.EAGAIN);
    expect(f(t, w + 1, WAIT | PRIVATE, 5, 0)).toBe(-E.EINVAL);
    expect(f(t, t.mm.unmapped, WAIT | PRIVATE, 5, 0)).toBe(-E.EFAULT);
    expect(f(t, 0, WAIT, 5, 0)).toBe(-E.EFAULT);
    expect(f(t, 0xffff_8000_0000_0000n, WAIT, 5, 0)).toBe(-E.EFAULT);
    expect(f(t, w, WAIT | PRIVATE, 5, 8)).toBe(-E.EFAULT);
    expect(f(t, w, WAIT | PRIVATE, 5, timespec(t, -1n))).toBe(-E.EINVAL);
  });

  it('times out after a relative timeout', async () => {
    const t = makeTask();
    const w = word(t, 5);
    const start = process.hrtime.bigint();
    const r = f(t, w, WAIT | PRIVATE, 5, timespec(t, 20_000_000n));
    expect(r).toBeInstanceOf(Promise);
    expect(futexWaiters(futexKey(t.mm, w, false))).toBe(1);
    expect(await r).toBe(-E.ETIMEDOUT);
    expect(process.hrtime.bigint() - start).toBeGreaterThanOrEqual(20_000_000n);
    expect(futexWaiters(futexKey(t.mm, w, false))).toBe(0);
  });

  it('FUTEX_WAIT_BITSET takes an absolute monotonic or realtime deadline and a non-zero bitset', async () => {
    const t = makeTask();
    const w = word(t, 1);
    const until = process.hrtime.bigint() + 15_000_000n;
    expect(await f(t, w, WAIT_BITSET | PRIVATE, 1, timespec(t, until), 0, 0xffff_ffff)).toBe(-E.ETIMEDOUT);
    expect(process.hrtime.bigint()).toBeGreaterThanOrEqual(until);
    const past = BigInt(Date.now() - 1000) * 1_000_000n;
    expect(f(t, w, WAIT_BITSET | PRIVATE | REALTIME, 1, timespec(t, past), 0, 1)).toBe(-E.ETIMEDOUT);
    expect(f(t, w, WAIT_BITSET | PRIVATE, 1, timespec(t, until), 0, 0)).toBe(-E.EINVAL);
    expect(f(t, w, WAIT | PRIVATE | REALTIME, 1, 0)).toBe(-E.ENOSYS);
  });

  it('an interruption ends an untimed wait with ERESTARTSYS (SA_RESTART restarts it) and a timed one with EINTR', async () => {
    const t = makeTask();
    const w = word(t, 0);
    const r = f(t, w, WAIT | PRIVATE, 0, 0);
    interruptTask(t);
    expect(await r).toBe(-ERESTARTSYS);
    expect(futexWaiters(futexKey(t.mm, w, false))).toBe(0);
    const timed = f(t, w, WAIT | PRIVATE, 0, timespec(t, 10_000_000_000n));
    interruptTask(t);
    expect(await timed).toBe(-E.EINTR);
    expect(futexWaiters(futexKey(t.mm, w, false))).toBe(0);
  });
});

describe('FUTEX_WAKE', () => {
  it('returns 0 without waiters; private keys need no mapping, shared ones do', () => {
    const t = makeTask();
    const w = word(t, 0);
    expect(f(t, w, WAKE | PRIVATE, 1)).toBe(0);
    expect(f(t, t.mm.unmapped, WAKE | PRIVATE, 1)).toBe(0);
    expect(f(t, t.mm.unmapped, WAKE, 1)).toBe(-E.EFAULT);
    expect(f(t, w + 2, WAKE | PRIVATE, 1)).toBe(-E.EINVAL);
    expect(f(t, w, WAKE_BITSET | PRIVATE, 1, 0, 0, 0)).toBe(-E.EINVAL);
    expect(f(t, w, WAKE | REALTIME, 1)).toBe(-E.ENOSYS);
    for (const op of [2, 6, 7, 8, 11, 12, 13, 14, 127]) expect(f(t, w, op | PRIVATE, 1)).toBe(-E.ENOSYS);
  });

  it('wakes waiters of another task in FIFO order, at most n (at least one)', async () => {
    const t = makeTask();
    const w = word(t, 7);
    const a = f(t, w, WAIT | PRIVATE, 7, 0) as Promise<number>;
    const b = f(sibling(t), w, WAIT | PRIVATE, 7, 0) as Promise<number>;
    const c = f(sibling(t), w, WAIT | PRIVATE, 7, 0) as Promise<number>;
    const order: string[] = [];
    void a.then(() => order.push('a'));
    void b.then(() => order.push('b'));
    expect(futexWaiters(futexKey(t.mm, w, false))).toBe(3);
    expect(f(sibling(t), w, WAKE | PRIVATE, 0)).toBe(1);
    expect(await a).toBe(0);
    expect(f(sibling(t), w, WAKE | PRIVATE, 10)).toBe(2);
    expect(await b).toBe(0);
    expect(await c).toBe(0);
    expect(order).toEqual(['a', 'b']);
    expect(futexWaiters(futexKey(t.mm, w, false))).toBe(0);
  });

  it('bitsets select waiters', async () => {
    const t = makeTask();
    const w = word(t, 0);
    const one = f(t, w, WAIT_BITSET | PRIVATE, 0, 0, 0, 1) as Promise<number>;
    const two = f(sibling(t), w, WAIT_BITSET | PRIVATE, 0, 0, 0, 2) as Promise<number>;
    expect(f(t, w, WAKE_BITSET | PRIVATE, 5, 0, 0, 2)).toBe(1);
    expect(await two).toBe(0);
    expect(futexWaiters(futexKey(t.mm, w, false))).toBe(1);
    expect(f(t, w, WAKE | PRIVATE, 5)).toBe(1);
    expect(await one).toBe(0);
  });
});

describe('requeue and wake-op', () => {
  it('FUTEX_CMP_REQUEUE wakes some and moves the rest', async () => {
    const t = makeTask();
    const from = word(t, 3);
    const to = word(t, 0);
    const waits = [0, 1, 2].map(() => f(sibling(t), from, WAIT | PRIVATE, 3, 0) as Promise<number>);
    expect(f(t, from, CMP_REQUEUE | PRIVATE, 1, 1, to, 4)).toBe(-E.EAGAIN);
    expect(f(t, from, CMP_REQUEUE | PRIVATE, -1, 1, to, 3)).toBe(-E.EINVAL);
    expect(f(t, from, CMP_REQUEUE | PRIVATE, 1, 1, to, 3)).toBe(2);
    expect(await waits[0]).toBe(0);
    expect([futexWaiters(futexKey(t.mm, from, false)), futexWaiters(futexKey(t.mm, to, false))]).toEqual([1, 1]);
    expect(f(t, to, WAKE | PRIVATE, 1)).toBe(1);
    expect(await waits[1]).toBe(0);
    // FUTEX_REQUEUE with no wake count wakes none.
    expect(f(t, from, REQUEUE | PRIVATE, 0, 5, to)).toBe(1);
    expect(futexWaiters(futexKey(t.mm, to, false))).toBe(1);
    interruptTask(t); // a different task: nothing of its own is parked
    expect(f(t, to, WAKE | PRIVATE, 1)).toBe(1);
    expect(await waits[2]).toBe(0);
  });

  it('a requeued waiter that times out leaves its new queue', async () => {
    const t = makeTask();
    const from = word(t, 0);
    const to = word(t, 0);
    const r = f(sibling(t), from, WAIT | PRIVATE, 0, timespec(t, 10_000_000n));
    expect(f(t, from, REQUEUE | PRIVATE, 0, 1, to)).toBe(1);
    expect(await r).toBe(-E.ETIMEDOUT);
    expect(futexWaiters(futexKey(t.mm, to, false))).toBe(0);
  });

  it('FUTEX_WAKE_OP applies the operation and wakes by the comparison', async () => {
    const t = makeTask();
    const w1 = word(t, 0);
    const w2 = word(t, 10);
    const a = f(sibling(t), w2, WAIT | PRIVATE, 10, 0) as Promise<number>;
    // op ADD 5, compare old (10) > 3: wakes on w2 too.
    const encoded = (1 << 28) | (4 << 24) | (5 << 12) | 3;
    expect(f(t, w1, WAKE_OP | PRIVATE, 1, 1, w2, encoded)).toBe(1);
    expect(await a).toBe(0);
    expect(t.mm.dv(w2, 4).getUint32(0, true)).toBe(15);
    // OPARG_SHIFT: OR 1 << 4.
    expect(f(t, w1, WAKE_OP | PRIVATE, 1, 1, w2, (0x8 << 28) | (2 << 28) | (4 << 12))).toBe(0);
    expect(t.mm.dv(w2, 4).getUint32(0, true)).toBe(31);
    expect(f(t, w1, WAKE_OP | PRIVATE, 1, 1, w2, 6 << 28)).toBe(-E.ENOSYS);
    // An unknown comparison is found only after the operation was applied, as in Linux.
    expect(f(t, w1, WAKE_OP | PRIVATE, 1, 1, w2, (0 << 28) | (9 << 24) | (1 << 12))).toBe(-E.ENOSYS);
    expect(t.mm.dv(w2, 4).getUint32(0, true)).toBe(1);
    expect(f(t, w1, WAKE_OP | PRIVATE, 1, 1, t.mm.unmapped, 0)).toBe(-E.EFAULT);
    expect(f(t, w1, WAKE_OP | PRIVATE, 1, 1, t.mm.alloc(4, false), 0)).toBe(-E.EFAULT);
  });
});
