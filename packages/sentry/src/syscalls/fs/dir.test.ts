import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { decodeDirents64 } from '../../vfs/index.js';
import { type Env, O, setup } from './test-helpers.js';

let env: Env;
afterEach(() => env.cleanup());

describe('getdents64', () => {
  it('lists a directory through the syscall in small batches, resuming where it stopped', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`d/file-${i}`] = '';
    env = setup(files);
    const fd = env.now('open', env.str('/d'), O.RDONLY | O.DIRECTORY, 0);
    const b = env.buf(200);
    const names: string[] = [];
    for (;;) {
      const n = env.now('getdents64', fd, b, 200);
      expect(n).toBeGreaterThanOrEqual(0);
      if (n === 0) break;
      names.push(...decodeDirents64(env.bytes(b, n), n).map((e) => e.name));
    }
    expect(names.filter((n) => !n.startsWith('.')).sort()).toEqual(
      Object.keys(files)
        .map((f) => f.slice(2))
        .sort(),
    );
    expect(names).toContain('..');
    // Rewinding lists again.
    expect(env.now('lseek', fd, 0, 0)).toBe(0);
    expect(env.now('getdents64', fd, b, 200)).toBeGreaterThan(0);
  });

  it('EINVAL for a buffer too small for one entry, EFAULT keeps the entries, ENOTDIR and EBADF', () => {
    env = setup({ 'd/x': '', f: '' });
    const fd = env.now('open', env.str('/d'), O.RDONLY | O.DIRECTORY, 0);
    expect(env.now('getdents64', fd, env.buf(8), 8)).toBe(-E.EINVAL);
    expect(env.now('getdents64', fd, env.t.mm.unmapped, 4096)).toBe(-E.EFAULT);
    const b = env.buf(4096);
    const n = env.now('getdents64', fd, b, 4096);
    expect(
      decodeDirents64(env.bytes(b, n), n)
        .map((e) => e.name)
        .sort(),
    ).toEqual(['.', '..', 'x']);
    const f = env.now('open', env.str('/f'), O.RDONLY, 0);
    expect(env.now('getdents64', f, b, 4096)).toBe(-E.ENOTDIR);
    expect(env.now('getdents64', 77, b, 4096)).toBe(-E.EBADF);
    // A count far beyond the mapping: the host buffer stays bounded, and the few entries fit in what is mapped.
    expect(env.now('lseek', fd, 0, 0)).toBe(0);
    expect(env.now('getdents64', fd, b, 0xffff_ffff)).toBe(n);
  });
});

describe('getcwd, chdir, fchdir', () => {
  it('tracks the working directory', () => {
    env = setup({ 'a/b/': '', f: '' });
    const b = env.buf(64);
    expect(env.now('getcwd', b, 64)).toBe(2);
    expect(env.text(b, 2)).toBe('/\0');
    expect(env.now('chdir', env.str('a/b'))).toBe(0);
    expect(env.now('getcwd', b, 64)).toBe(5);
    expect(env.text(b, 5)).toBe('/a/b\0');
    expect(env.now('getcwd', b, 4)).toBe(-E.ERANGE);
    expect(env.now('getcwd', env.t.mm.unmapped, 64)).toBe(-E.EFAULT);
    expect(env.now('chdir', env.str('..'))).toBe(0);
    expect(env.now('getcwd', b, 64)).toBe(3);
    expect(env.now('chdir', env.str('/f'))).toBe(-E.ENOTDIR);
    expect(env.now('chdir', env.str('/nope'))).toBe(-E.ENOENT);
    const root = env.now('open', env.str('/'), O.RDONLY | O.DIRECTORY, 0);
    expect(env.now('fchdir', root)).toBe(0);
    expect(env.now('getcwd', b, 64)).toBe(2);
    const f = env.now('open', env.str('/f'), O.RDONLY, 0);
    expect(env.now('fchdir', f)).toBe(-E.ENOTDIR);
    expect(env.now('fchdir', 50)).toBe(-E.EBADF);
  });

  it('chdir needs search permission', () => {
    env = setup({ 'locked/': '' });
    expect(env.now('chmod', env.str('/locked'), 0o700)).toBe(0);
    env.t.creds.euid = 1000;
    expect(env.now('chdir', env.str('/locked'))).toBe(-E.EACCES);
  });

  it('umask returns the old mask and keeps 9 bits', () => {
    env = setup();
    expect(env.now('umask', 0o7777777)).toBe(0o022);
    expect(env.now('umask', 0o022)).toBe(0o777);
  });
});
