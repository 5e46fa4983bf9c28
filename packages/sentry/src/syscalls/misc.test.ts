import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { call, type FakeTask, handlerOf, makeTask } from '../testing/fake-task.js';
import { GETRANDOM_MAX, MISC_SYSCALLS, PR_GET_NAME, PR_SET_NAME } from './misc.js';

const sys = (t: FakeTask, name: string, ...args: (number | bigint)[]): number => {
  const r = call(t, handlerOf(MISC_SYSCALLS, name), ...args);
  if (typeof r !== 'number') throw new Error(`${name} returned a promise`);
  return r;
};

describe('getrandom', () => {
  it('fills the buffer with random bytes', () => {
    const t = makeTask();
    const p = t.mm.alloc(256);
    expect(sys(t, 'getrandom', p, 256, 0)).toBe(256);
    const a = t.mm.read(p, 256);
    expect(sys(t, 'getrandom', p, 256, 1)).toBe(256);
    expect(t.mm.read(p, 256)).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(100);
  });

  it('checks flags; a zero length needs no buffer', () => {
    const t = makeTask();
    const p = t.mm.alloc(16);
    for (const flags of [0, 1, 2, 3, 4, 5]) expect(sys(t, 'getrandom', p, 16, flags)).toBe(16);
    expect(sys(t, 'getrandom', p, 16, 6)).toBe(-E.EINVAL);
    expect(sys(t, 'getrandom', p, 16, 8)).toBe(-E.EINVAL);
    expect(sys(t, 'getrandom', 8, 0, 0)).toBe(0);
    expect(sys(t, 'getrandom', 8, 1, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'getrandom', -1n, 1, 0)).toBe(-E.EFAULT);
  });

  it('stops at the first unwritable page, as Linux does', () => {
    const t = makeTask();
    const p = t.mm.alloc(96); // 96 bytes before the guard page
    expect(sys(t, 'getrandom', p, 200, 0)).toBe(96);
    const q = t.mm.alloc(70_000); // crosses a chunk boundary
    expect(sys(t, 'getrandom', q, 80_000, 0)).toBe(70_000);
  });

  it('caps one call without allocating the requested size', () => {
    const t = makeTask();
    const p = t.mm.alloc(16);
    // 2^60 bytes asked: the answer is the bytes before the fault, not an allocation failure.
    expect(sys(t, 'getrandom', p, 2n ** 60n, 0)).toBe(16);
    expect(GETRANDOM_MAX).toBeLessThanOrEqual(1 << 30);
  });
});

describe('prctl', () => {
  it('sets and gets the task name (15 bytes kept)', () => {
    const t = makeTask();
    const name = t.mm.alloc(32);
    t.mm.write(name, 'a-very-long-thread-name\0');
    expect(sys(t, 'prctl', PR_SET_NAME, name)).toBe(0);
    expect(t.comm).toBe('a-very-long-thr');
    const out = t.mm.alloc(16);
    expect(sys(t, 'prctl', PR_GET_NAME, out)).toBe(0);
    expect(new TextDecoder().decode(t.mm.read(out, 16))).toBe('a-very-long-thr\0');
  });

  it('reads a name of exactly 15 bytes before a fault, but not 14', () => {
    const t = makeTask();
    const p15 = t.mm.alloc(15);
    t.mm.write(p15, 'abcdefghijklmno');
    expect(sys(t, 'prctl', PR_SET_NAME, p15)).toBe(0);
    expect(t.comm).toBe('abcdefghijklmno');
    const p14 = t.mm.alloc(14);
    t.mm.write(p14, 'abcdefghijklmn');
    expect(sys(t, 'prctl', PR_SET_NAME, p14)).toBe(-E.EFAULT);
    expect(sys(t, 'prctl', PR_SET_NAME, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'prctl', PR_GET_NAME, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'prctl', PR_GET_NAME, t.mm.alloc(15))).toBe(-E.EFAULT);
  });

  it('answers the start-up queries as Linux does', () => {
    const t = makeTask();
    expect(sys(t, 'prctl', 3)).toBe(1); // PR_GET_DUMPABLE
    expect(sys(t, 'prctl', 4, 2)).toBe(-E.EINVAL);
    expect(sys(t, 'prctl', 4, 0)).toBe(0);
    expect(sys(t, 'prctl', 3)).toBe(0);
    expect(sys(t, 'prctl', 1, 65)).toBe(-E.EINVAL);
    expect(sys(t, 'prctl', 1, 9)).toBe(0);
    const p = t.mm.alloc(4);
    expect(sys(t, 'prctl', 2, p)).toBe(0);
    expect(t.mm.dv(p, 4).getUint32(0, true)).toBe(9);
    expect(sys(t, 'prctl', 2, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'prctl', 38, 0)).toBe(-E.EINVAL);
    expect(sys(t, 'prctl', 39, 1)).toBe(-E.EINVAL);
    expect(sys(t, 'prctl', 39)).toBe(0);
    expect(sys(t, 'prctl', 38, 1)).toBe(0);
    expect(sys(t, 'prctl', 39)).toBe(1);
    expect(sys(t, 'prctl', 23, 40)).toBe(1);
    expect(sys(t, 'prctl', 23, 41)).toBe(-E.EINVAL);
    expect(sys(t, 'prctl', 0x53564d41, 0, 0, 0, 0)).toBe(-E.EINVAL); // PR_SET_VMA
    expect(sys(t, 'prctl', 9999)).toBe(-E.EINVAL);
  });
});
