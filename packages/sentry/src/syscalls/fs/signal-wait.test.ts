// Waits in the file system calls against signals: a signal ends a blocked
// pipe read or write (bytes already moved win over the restart code), poll
// and select, and ppoll/pselect6 wait under their sigmask.
import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { ERESTARTNOHAND, ERESTARTSYS } from '../../kernel/restart.js';
import { SA_RESTORER, SI_KERNEL, sendSignal } from '../../kernel/signals.js';
import { interruptTask } from '../../kernel/park.js';
import { type Env, pipe, setup } from './test-helpers.js';

const SIGUSR1 = 10;
const BIT = 1 << (SIGUSR1 - 1);
const POLLIN = 1;

let env: Env;
afterEach(() => env.cleanup());

/** A SIGUSR1 handler, then the signal: it interrupts whatever the task waits in. */
function signal(e: Env): void {
  e.t.signals.actions[SIGUSR1] = { handler: 0x40_1000, flags: SA_RESTORER, restorer: 0x40_2000, maskLo: 0, maskHi: 0 };
  sendSignal(e.t, { signo: SIGUSR1, code: SI_KERNEL });
}

function sigset(e: Env, lo: number): number {
  const p = e.buf(8);
  e.t.mm.dv(p, 8).setUint32(0, lo, true);
  return p;
}

function timespec(e: Env, sec: bigint, nsec: bigint): number {
  const p = e.buf(16);
  e.t.mm.dv(p, 16).setBigInt64(0, sec, true);
  e.t.mm.dv(p, 16).setBigInt64(8, nsec, true);
  return p;
}

describe('pipe reads and writes', () => {
  it('a blocked read ends with ERESTARTSYS, and the pipe still works', async () => {
    env = setup();
    const [r, w] = pipe(env);
    const buf = env.buf(16);
    const pending = env.sys('read', r, buf, 16);
    expect(pending).toBeInstanceOf(Promise);
    signal(env);
    expect(await pending).toBe(-ERESTARTSYS);
    env.now('write', w, env.buf(2, 'hi'), 2);
    expect(env.now('read', r, buf, 16)).toBe(2);
  });

  it('a blocked write returns the bytes it moved; with none, ERESTARTSYS', async () => {
    env = setup();
    const [, w] = pipe(env);
    const n = 65536 + 100;
    const pending = env.sys('write', w, env.buf(n), n);
    expect(pending).toBeInstanceOf(Promise);
    interruptTask(env.t);
    expect(await pending).toBe(65536);
    const none = env.sys('write', w, env.buf(1), 1);
    interruptTask(env.t);
    expect(await none).toBe(-ERESTARTSYS);
  });

  it('a non-blocking pipe is not affected', () => {
    env = setup();
    const p = env.buf(8);
    env.now('pipe2', p, 0o4000);
    signal(env);
    expect(env.now('read', env.t.mm.dv(p, 8).getInt32(0, true), env.buf(4), 4)).toBe(-E.EAGAIN);
  });
});

describe('poll and select', () => {
  it('poll ends with EINTR; ppoll and select with ERESTARTNOHAND', async () => {
    env = setup();
    const [r] = pipe(env);
    const fds = env.buf(8);
    env.t.mm.dv(fds, 8).setInt32(0, r, true);
    env.t.mm.dv(fds, 8).setInt16(4, POLLIN, true);
    for (const [name, args, want] of [
      ['poll', [fds, 1, -1], -E.EINTR],
      ['ppoll', [fds, 1, 0, 0, 8], -ERESTARTNOHAND],
    ] as const) {
      const pending = env.sys(name, ...args);
      interruptTask(env.t);
      expect(await pending).toBe(want);
    }
    const rs = env.buf(8);
    env.t.mm.dv(rs, 8).setUint32(0, 1 << r, true);
    const tv = timespec(env, 10n, 0n);
    const start = process.hrtime.bigint();
    const pending = env.sys('select', r + 1, rs, 0, 0, tv);
    interruptTask(env.t);
    expect(await pending).toBe(-ERESTARTNOHAND);
    const waitedUs = (process.hrtime.bigint() - start) / 1000n;
    // The set is left as given; the time left is written back for the restart.
    expect(env.t.mm.dv(rs, 8).getUint32(0, true)).toBe(1 << r);
    const left = env.t.mm.dv(tv, 16);
    const leftUs = left.getBigInt64(0, true) * 1_000_000n + left.getBigInt64(8, true);
    expect(leftUs).toBeLessThan(10_000_000n);
    expect(leftUs).toBeGreaterThanOrEqual(10_000_000n - waitedUs - 1n); // no more than the call lasted was used
  });

  it('a descriptor ready when the signal comes wins over the interruption', async () => {
    env = setup();
    const [r, w] = pipe(env);
    const fds = env.buf(8);
    env.t.mm.dv(fds, 8).setInt32(0, r, true);
    env.t.mm.dv(fds, 8).setInt16(4, POLLIN, true);
    const pending = env.sys('poll', fds, 1, -1);
    env.now('write', w, env.buf(1, 'x'), 1);
    interruptTask(env.t);
    expect(await pending).toBe(1);
  });
});

describe('ppoll and pselect6 sigmasks', () => {
  it('ppoll waits under its mask: a signal it unblocks interrupts at once and the mask stays for the handler', async () => {
    env = setup();
    const [r] = pipe(env);
    const fds = env.buf(8);
    env.t.mm.dv(fds, 8).setInt32(0, r, true);
    env.t.mm.dv(fds, 8).setInt16(4, POLLIN, true);
    env.t.signals.setMask(BIT, 0);
    signal(env); // blocked: pending
    const pending = env.sys('ppoll', fds, 1, 0, sigset(env, 0), 8);
    expect(env.t.signals.maskLo).toBe(0);
    expect(await pending).toBe(-ERESTARTNOHAND);
    expect(env.t.signals.savedMask).toEqual({ lo: BIT, hi: 0 });
    env.t.kernel.deliverPending(env.t);
    expect(env.t.signals.savedMask).toBeUndefined();
  });

  it('a ppoll that times out or finds a descriptor puts the mask back at once', async () => {
    env = setup();
    const [r, w] = pipe(env);
    const fds = env.buf(8);
    env.t.mm.dv(fds, 8).setInt32(0, r, true);
    env.t.mm.dv(fds, 8).setInt16(4, POLLIN, true);
    env.t.signals.setMask(BIT, 0);
    expect(await env.sys('ppoll', fds, 1, timespec(env, 0n, 1_000_000n), sigset(env, 0x4000), 8)).toBe(0);
    expect([env.t.signals.maskLo, env.t.signals.savedMask]).toEqual([BIT, undefined]);
    env.now('write', w, env.buf(1, 'x'), 1);
    signal(env); // pending and blocked; the temporary mask would let it through
    expect(env.now('ppoll', fds, 1, 0, sigset(env, 0), 8)).toBe(1);
    expect([env.t.signals.maskLo, env.t.signals.savedMask]).toEqual([BIT, undefined]);
  });

  it('ppoll checks sigsetsize and the set before it applies it', () => {
    env = setup();
    const [r] = pipe(env);
    const fds = env.buf(8);
    env.t.mm.dv(fds, 8).setInt32(0, r, true);
    const zero = timespec(env, 0n, 0n);
    expect(env.now('ppoll', fds, 1, zero, sigset(env, 0x4000), 4)).toBe(-E.EINVAL);
    expect(env.now('ppoll', fds, 1, zero, sigset(env, 0x4000), 16)).toBe(-E.EINVAL);
    expect(env.now('ppoll', fds, 1, zero, env.t.mm.unmapped, 8)).toBe(-E.EFAULT);
    expect(env.now('ppoll', fds, 1, zero, 0, 4)).toBe(0); // no mask: the size is not looked at
    expect(env.t.signals.maskLo).toBe(0);
    // A failure after the mask is applied restores it.
    expect(env.now('ppoll', env.t.mm.unmapped, 1, zero, sigset(env, 0x4000), 8)).toBe(-E.EFAULT);
    expect([env.t.signals.maskLo, env.t.signals.savedMask]).toEqual([0, undefined]);
  });

  it('pselect6 reads { sigset, size } first, then checks them as ppoll does', async () => {
    env = setup();
    const [r] = pipe(env);
    const rs = env.buf(8);
    env.t.mm.dv(rs, 8).setUint32(0, 1 << r, true);
    const pack = (ss: number | bigint, len: bigint): number => {
      const p = env.buf(16);
      env.t.mm.dv(p, 16).setBigUint64(0, BigInt(ss), true);
      env.t.mm.dv(p, 16).setBigUint64(8, len, true);
      return p;
    };
    const bad = timespec(env, -1n, 0n);
    expect(env.now('pselect6', r + 1, rs, 0, 0, bad, env.t.mm.unmapped)).toBe(-E.EFAULT);
    expect(env.now('pselect6', r + 1, rs, 0, 0, bad, pack(0, 0n))).toBe(-E.EINVAL);
    const zero = timespec(env, 0n, 0n);
    expect(env.now('pselect6', r + 1, rs, 0, 0, zero, pack(sigset(env, 0), 4n))).toBe(-E.EINVAL);
    expect(env.now('pselect6', r + 1, rs, 0, 0, zero, pack(0xffff_8000_0000_0000n, 8n))).toBe(-E.EFAULT);
    expect(env.now('pselect6', r + 1, rs, 0, 0, zero, pack(0, 4n))).toBe(0);
    env.t.signals.setMask(BIT, 0);
    signal(env);
    env.t.mm.dv(rs, 8).setUint32(0, 1 << r, true);
    expect(await env.sys('pselect6', r + 1, rs, 0, 0, 0, pack(sigset(env, 0), 8n))).toBe(-ERESTARTNOHAND);
    expect(env.t.signals.savedMask).toEqual({ lo: BIT, hi: 0 });
  });
});
