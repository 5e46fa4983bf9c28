import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { type Env, O, setup } from './test-helpers.js';

let env: Env;
afterEach(() => env.cleanup());

describe('extended attributes', () => {
  it('look the file up and check the name first, then answer as a filesystem without xattrs', () => {
    env = setup({ 'f.txt': 'x' });
    const f = env.str('/f.txt');
    const name = env.str('user.test');
    const buf = env.buf(64);
    expect(env.now('getxattr', f, name, buf, 64)).toBe(-E.EOPNOTSUPP);
    expect(env.now('lgetxattr', f, env.str('security.selinux'), buf, 64)).toBe(-E.EOPNOTSUPP);
    expect(env.now('setxattr', f, name, buf, 1, 0)).toBe(-E.EOPNOTSUPP);
    expect(env.now('removexattr', f, name)).toBe(-E.EOPNOTSUPP);
    expect(env.now('listxattr', f, buf, 64)).toBe(0);
    // The lookup and the name come before "not supported".
    expect(env.now('getxattr', env.str('/missing'), name, buf, 64)).toBe(-E.ENOENT);
    expect(env.now('listxattr', env.str('/missing'), buf, 64)).toBe(-E.ENOENT);
    expect(env.now('getxattr', f, env.str(''), buf, 64)).toBe(-E.ERANGE);
    expect(env.now('getxattr', f, env.str('u'.repeat(256)), buf, 64)).toBe(-E.ERANGE);
    expect(env.now('getxattr', f, 0, buf, 64)).toBe(-E.EFAULT);
    expect(env.now('setxattr', f, name, buf, 1, 4)).toBe(-E.EINVAL);
    expect(env.now('fgetxattr', 99, name, buf, 64)).toBe(-E.EBADF);
    const fd = env.now('openat', -100, f, O.RDONLY, 0);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(env.now('fgetxattr', fd, name, buf, 64)).toBe(-E.EOPNOTSUPP);
    expect(env.now('flistxattr', fd, buf, 64)).toBe(0);
  });
});
