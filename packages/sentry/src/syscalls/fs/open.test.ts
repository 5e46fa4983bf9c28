import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { type Env, O, setup } from './test-helpers.js';

const AT_FDCWD = -100;
let env: Env;
afterEach(() => env?.cleanup());

/** A struct open_how (flags, mode, resolve), padded to `size` bytes with `tail`. */
function how(e: Env, flags: number, mode = 0, resolve = 0, size = 24, tail = 0): number {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint32(0, flags, true);
  v.setUint32(8, mode, true);
  v.setUint32(16, resolve, true);
  b.fill(tail, 24);
  return e.buf(size, b);
}

describe('openat2', () => {
  it('opens like openat with a valid struct open_how', () => {
    env = setup({ f: 'hello' });
    const fd = env.now('openat2', AT_FDCWD, env.str('/f'), how(env, O.RDONLY), 24);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(env.now('openat2', AT_FDCWD, env.str('/new'), how(env, O.WRONLY | O.CREAT, 0o600), 24)).toBeGreaterThanOrEqual(0);
    // A larger struct is fine when the extra bytes are zero.
    expect(env.now('openat2', AT_FDCWD, env.str('/f'), how(env, O.RDONLY, 0, 0, 40), 40)).toBeGreaterThanOrEqual(0);
  });

  it('checks the size, flags, mode and resolve like Linux', () => {
    env = setup({ f: 'hello' });
    expect(env.now('openat2', AT_FDCWD, env.str('/f'), how(env, O.RDONLY), 3)).toBe(-E.EINVAL);
    expect(env.now('openat2', AT_FDCWD, env.str('/f'), how(env, O.RDONLY, 0, 0, 40, 1), 40)).toBe(-E.E2BIG);
    expect(env.now('openat2', AT_FDCWD, env.str('/f'), how(env, O.RDONLY | 0x4000_0000), 24)).toBe(-E.EINVAL);
    expect(env.now('openat2', AT_FDCWD, env.str('/f'), how(env, O.RDONLY, 0o644), 24)).toBe(-E.EINVAL); // mode without O_CREAT
    expect(env.now('openat2', AT_FDCWD, env.str('/f'), how(env, O.RDONLY, 0, 8), 24)).toBe(-E.EINVAL); // RESOLVE_BENEATH
    expect(env.now('openat2', AT_FDCWD, env.str('/f'), env.t.mm.unmapped, 24)).toBe(-E.EFAULT);
  });
});
