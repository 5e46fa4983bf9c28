import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { InputStream } from '../../kernel/stdio.js';
import { AT_FDCWD, type Env, O, pipe, setup } from './test-helpers.js';

const POLLIN = 1;
const POLLOUT = 4;
const POLLERR = 8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;

let env: Env;
afterEach(() => env.cleanup());

/** A pollfd array in memory; revents() reads them back. */
function pollfds(e: Env, list: [number, number][]) {
  const addr = e.buf(list.length * 8);
  const v = e.t.mm.dv(addr, list.length * 8);
  list.forEach(([fd, events], i) => {
    v.setInt32(i * 8, fd, true);
    v.setInt16(i * 8 + 4, events, true);
    v.setInt16(i * 8 + 6, 0x5555, true);
  });
  return { addr, revents: () => list.map((_, i) => v.getUint16(i * 8 + 6, true)) };
}

describe('poll', () => {
  it('reports readiness of files, pipes, closed ends and bad descriptors at once with timeout 0', () => {
    env = setup({ f: 'x' });
    const file = env.now('openat', AT_FDCWD, env.str('/f'), O.RDONLY, 0);
    const [r, w] = pipe(env);
    const [r2, w2] = pipe(env);
    env.now('close', r2);
    const [r3, w3] = pipe(env);
    env.now('close', w3);
    const p = pollfds(env, [
      [file, POLLIN | POLLOUT],
      [r, POLLIN],
      [w, POLLOUT],
      [w2, POLLOUT],
      [r3, POLLIN],
      [99, POLLIN],
      [-1, POLLIN],
      [file, 0],
    ]);
    expect(env.now('poll', p.addr, 8, 0)).toBe(5);
    expect(p.revents()).toEqual([POLLIN | POLLOUT, 0, POLLOUT, POLLOUT | POLLERR, POLLHUP, POLLNVAL, 0, 0]);
    env.now('write', w, env.buf(1, 'x'), 1);
    expect(env.now('poll', p.addr, 2, 0)).toBe(2);
    expect(p.revents()[1]).toBe(POLLIN);
    // A read end whose writer left: POLLHUP, with POLLIN while data remains (as on Linux).
    env.now('close', w);
    expect(env.now('poll', p.addr, 2, 0)).toBe(2);
    expect(p.revents()[1]).toBe(POLLIN | POLLHUP);
  });

  it('waits for a stream to become ready', async () => {
    env = setup();
    const [r, w] = pipe(env);
    const p = pollfds(env, [[r, POLLIN]]);
    const pending = env.sys('poll', p.addr, 1, -1);
    expect(pending).toBeInstanceOf(Promise);
    setTimeout(() => env.now('write', w, env.buf(1, 'x'), 1), 5);
    expect(await pending).toBe(1);
    expect(p.revents()).toEqual([POLLIN]);
  });

  it('times out with 0 and clears revents', async () => {
    env = setup();
    const [r] = pipe(env);
    const p = pollfds(env, [[r, POLLIN]]);
    const t0 = performance.now();
    expect(await env.sys('poll', p.addr, 1, 30)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    expect(p.revents()).toEqual([0]);
  });

  it('wakes for standard input that arrives later', async () => {
    env = setup();
    const stdin = new InputStream();
    env.t.fds.add(stdin);
    const p = pollfds(env, [[0, POLLIN]]);
    const pending = env.sys('poll', p.addr, 1, 1000);
    setTimeout(() => stdin.push(new Uint8Array([65])), 5);
    expect(await pending).toBe(1);
  });

  it('EFAULT for an unmapped array, EINVAL for too many descriptors', () => {
    env = setup();
    expect(env.now('poll', env.t.mm.unmapped, 1, 0)).toBe(-E.EFAULT);
    expect(env.now('poll', 0, 0, 0)).toBe(0);
    expect(env.now('poll', env.buf(8), 100_000, 0)).toBe(-E.EINVAL);
  });

  it('ppoll takes a timespec, checks it and the sigset size, and writes back the time left', async () => {
    env = setup();
    const [r, w] = pipe(env);
    const p = pollfds(env, [[r, POLLIN]]);
    const ts = env.buf(16);
    const tv = env.t.mm.dv(ts, 16);
    tv.setBigInt64(0, 0n, true);
    tv.setBigInt64(8, 2_000_000_000n, true);
    expect(env.now('ppoll', p.addr, 1, ts, 0, 8)).toBe(-E.EINVAL);
    tv.setBigInt64(8, 0n, true);
    tv.setBigInt64(0, -1n, true);
    expect(env.now('ppoll', p.addr, 1, ts, 0, 8)).toBe(-E.EINVAL);
    tv.setBigInt64(0, 5n, true);
    expect(env.now('ppoll', p.addr, 1, ts, env.buf(8), 4)).toBe(-E.EINVAL);
    expect(env.now('ppoll', p.addr, 1, env.t.mm.unmapped, 0, 8)).toBe(-E.EFAULT);
    env.now('write', w, env.buf(1, 'x'), 1);
    const start = process.hrtime.bigint();
    expect(await env.sys('ppoll', p.addr, 1, ts, env.buf(8), 8)).toBe(1);
    const took = process.hrtime.bigint() - start;
    // The time left, measured from the call's start as Linux does: under 5 s by no more than the call lasted.
    const left = tv.getBigInt64(0, true) * 1_000_000_000n + tv.getBigInt64(8, true);
    expect(left).toBeLessThan(5_000_000_000n);
    expect(left).toBeGreaterThanOrEqual(5_000_000_000n - took);
  });
});

describe('select and pselect6', () => {
  function fdset(e: Env, fds: number[]): number {
    const a = e.buf(128);
    const b = new Uint8Array(128);
    for (const fd of fds) b[fd >> 3]! |= 1 << (fd & 7);
    e.t.mm.write(a, b);
    return a;
  }
  const members = (e: Env, a: number) => {
    const b = e.bytes(a, 128);
    const out: number[] = [];
    for (let fd = 0; fd < 1024; fd++) if (b[fd >> 3]! & (1 << (fd & 7))) out.push(fd);
    return out;
  };

  it('select reports readable and writable sets', () => {
    env = setup({ f: '' });
    const [r, w] = pipe(env);
    const file = env.now('openat', AT_FDCWD, env.str('/f'), O.RDONLY, 0);
    const rs = fdset(env, [r, file]);
    const ws = fdset(env, [w]);
    const tv = env.buf(16, new Uint8Array(16));
    expect(env.now('select', 64, rs, ws, 0, tv)).toBe(2);
    expect(members(env, rs)).toEqual([file]);
    expect(members(env, ws)).toEqual([w]);
    expect(env.now('select', 64, fdset(env, [50]), 0, 0, tv)).toBe(-E.EBADF);
    expect(env.now('select', -1, 0, 0, 0, tv)).toBe(-E.EINVAL);
    expect(env.now('select', 64, env.t.mm.unmapped, 0, 0, tv)).toBe(-E.EFAULT);
  });

  it('pselect6 waits for data', async () => {
    env = setup();
    const [r, w] = pipe(env);
    const rs = fdset(env, [r]);
    const pending = env.sys('pselect6', r + 1, rs, 0, 0, 0, 0);
    expect(pending).toBeInstanceOf(Promise);
    setTimeout(() => env.now('write', w, env.buf(1, 'x'), 1), 5);
    expect(await pending).toBe(1);
    expect(members(env, rs)).toEqual([r]);
  });
});
