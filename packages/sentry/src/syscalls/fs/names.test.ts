import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { AT_FDCWD, type Env, O, setup } from './test-helpers.js';

const AT_REMOVEDIR = 0x200;
const AT_EMPTY_PATH = 0x1000;

let env: Env;
afterEach(() => env.cleanup());

function exists(e: Env, p: string): number {
  return e.now('access', e.str(p), 0);
}

describe('*at path resolution', () => {
  it('relative paths start at the dirfd; a file dirfd is ENOTDIR, a bad one EBADF; absolute paths ignore it', () => {
    env = setup({ 'd/inner': 'in', f: '' });
    const d = env.now('open', env.str('/d'), O.RDONLY | O.DIRECTORY, 0);
    const f = env.now('open', env.str('/f'), O.RDONLY, 0);
    const fd = env.now('openat', d, env.str('inner'), O.RDONLY, 0);
    expect(fd).toBeGreaterThanOrEqual(0);
    const b = env.buf(2);
    expect(env.now('read', fd, b, 2)).toBe(2);
    expect(env.text(b, 2)).toBe('in');
    expect(env.now('openat', f, env.str('inner'), O.RDONLY, 0)).toBe(-E.ENOTDIR);
    expect(env.now('openat', 1234, env.str('inner'), O.RDONLY, 0)).toBe(-E.EBADF);
    expect(env.now('openat', -7, env.str('inner'), O.RDONLY, 0)).toBe(-E.EBADF);
    expect(env.now('openat', 1234, env.str('/d/inner'), O.RDONLY, 0)).toBeGreaterThanOrEqual(0);
    expect(env.now('openat', d, env.str(''), O.RDONLY, 0)).toBe(-E.ENOENT);
    expect(env.now('openat', d, env.t.mm.unmapped, O.RDONLY, 0)).toBe(-E.EFAULT);
    expect(env.now('openat', d, env.str(`${'x/'.repeat(2100)}`), O.RDONLY, 0)).toBe(-E.ENAMETOOLONG);
    // The cwd is AT_FDCWD's start.
    expect(env.now('chdir', env.str('/d'))).toBe(0);
    expect(env.now('access', env.str('inner'), 4)).toBe(0);
  });

  it('a path of exactly PATH_MAX bytes without a NUL is ENAMETOOLONG, one byte less is looked up', () => {
    env = setup();
    expect(env.now('access', env.str('/'.repeat(4096)), 0)).toBe(-E.ENAMETOOLONG);
    expect(env.now('access', env.str('/'.repeat(4095)), 0)).toBe(0);
  });
});

describe('open and creat', () => {
  it('creates with the mode less umask, honours O_EXCL and O_CLOEXEC', () => {
    env = setup();
    env.now('umask', 0o027);
    const fd = env.now('open', env.str('/new'), O.WRONLY | O.CREAT | O.EXCL | O.CLOEXEC, 0o777);
    expect(fd).toBe(0);
    expect(env.now('fcntl', fd, 1, 0)).toBe(1);
    const st = env.buf(144);
    env.now('stat', env.str('/new'), st);
    expect(new DataView(env.bytes(st, 144).buffer).getUint32(24, true) & 0o777).toBe(0o750);
    expect(env.now('open', env.str('/new'), O.WRONLY | O.CREAT | O.EXCL, 0)).toBe(-E.EEXIST);
    expect(env.now('creat', env.str('/c'), 0o644)).toBe(1);
    expect(env.now('fcntl', 1, 3, 0) & 3).toBe(O.WRONLY);
    expect(env.now('open', env.str('/missing'), O.RDONLY, 0)).toBe(-E.ENOENT);
    // Writes land in the overlay, never on the host.
    expect(fs.existsSync(path.join(env.dir, 'new'))).toBe(false);
  });

  it('EMFILE before anything is created', () => {
    env = setup();
    env.t.fds.limit = 1;
    expect(env.now('open', env.str('/a'), O.WRONLY | O.CREAT, 0o644)).toBe(0);
    expect(env.now('open', env.str('/b'), O.WRONLY | O.CREAT, 0o644)).toBe(-E.EMFILE);
    env.t.fds.limit = 10;
    expect(exists(env, '/b')).toBe(-E.ENOENT);
  });
});

describe('name operations', () => {
  it('mkdir, mkdirat, rmdir, unlink, unlinkat', () => {
    env = setup({ f: '' });
    expect(env.now('mkdir', env.str('/d'), 0o755)).toBe(0);
    expect(env.now('mkdir', env.str('/d'), 0o755)).toBe(-E.EEXIST);
    const d = env.now('open', env.str('/d'), O.RDONLY | O.DIRECTORY, 0);
    expect(env.now('mkdirat', d, env.str('sub'), 0o700)).toBe(0);
    expect(exists(env, '/d/sub')).toBe(0);
    expect(env.now('rmdir', env.str('/d'))).toBe(-E.ENOTEMPTY);
    expect(env.now('unlinkat', d, env.str('sub'), 0)).toBe(-E.EISDIR);
    expect(env.now('unlinkat', d, env.str('sub'), 1)).toBe(-E.EINVAL);
    expect(env.now('unlinkat', d, env.str('sub'), AT_REMOVEDIR)).toBe(0);
    expect(env.now('rmdir', env.str('/d'))).toBe(0);
    expect(env.now('unlink', env.str('/f'))).toBe(0);
    expect(env.now('unlink', env.str('/f'))).toBe(-E.ENOENT);
    expect(env.now('mkdir', env.t.mm.unmapped, 0)).toBe(-E.EFAULT);
    expect(env.now('rmdir', env.str(''))).toBe(-E.ENOENT);
  });

  it('rename, renameat, renameat2 with RENAME_NOREPLACE', () => {
    env = setup({ a: 'A', b: 'B', 'd/': '' });
    const d = env.now('open', env.str('/d'), O.RDONLY | O.DIRECTORY, 0);
    expect(env.now('renameat2', AT_FDCWD, env.str('a'), d, env.str('a2'), 1)).toBe(0);
    expect(exists(env, '/d/a2')).toBe(0);
    expect(env.now('renameat2', d, env.str('a2'), AT_FDCWD, env.str('/b'), 1)).toBe(-E.EEXIST);
    expect(env.now('renameat2', d, env.str('a2'), AT_FDCWD, env.str('/b'), 8)).toBe(-E.EINVAL);
    expect(env.now('renameat', d, env.str('a2'), AT_FDCWD, env.str('/b'))).toBe(0);
    expect(env.now('rename', env.str('/b'), env.str('/c'))).toBe(0);
    const fd = env.now('open', env.str('/c'), O.RDONLY, 0);
    const buf = env.buf(1);
    env.now('read', fd, buf, 1);
    expect(env.text(buf, 1)).toBe('A');
    expect(env.now('rename', env.str('/c'), env.t.mm.unmapped)).toBe(-E.EFAULT);
    expect(env.now('renameat', 55, env.str('c'), AT_FDCWD, env.str('x'))).toBe(-E.EBADF);
  });

  it('symlink, readlink, readlinkat (also through an O_PATH descriptor), link, linkat', () => {
    env = setup({ f: 'data' });
    expect(env.now('symlink', env.str('f'), env.str('/l'))).toBe(0);
    expect(env.now('symlinkat', env.str('/f'), AT_FDCWD, env.str('/l2'))).toBe(0);
    const b = env.buf(16);
    expect(env.now('readlink', env.str('/l'), b, 16)).toBe(1);
    expect(env.text(b, 1)).toBe('f');
    expect(env.now('readlinkat', AT_FDCWD, env.str('/l2'), b, 1)).toBe(1); // truncated, no NUL
    expect(env.text(b, 1)).toBe('/');
    expect(env.now('readlink', env.str('/l'), b, 0)).toBe(-E.EINVAL);
    expect(env.now('readlink', env.str('/f'), b, 16)).toBe(-E.EINVAL);
    expect(env.now('readlink', env.str('/l'), env.t.mm.unmapped, 16)).toBe(-E.EFAULT);
    const lp = env.now('open', env.str('/l'), O.PATH | O.NOFOLLOW, 0);
    expect(env.now('readlinkat', lp, env.str(''), b, 16)).toBe(1);
    const f = env.now('open', env.str('/f'), O.RDONLY, 0);
    expect(env.now('readlinkat', f, env.str(''), b, 16)).toBe(-E.ENOENT);
    expect(env.now('link', env.str('/f'), env.str('/hard'))).toBe(0);
    expect(env.now('linkat', AT_FDCWD, env.str('/l'), AT_FDCWD, env.str('/hl'), 0)).toBe(0);
    expect(env.now('lstat', env.str('/hl'), env.buf(144))).toBe(0);
    expect(env.now('linkat', f, env.str(''), AT_FDCWD, env.str('/h2'), AT_EMPTY_PATH)).toBe(0);
    expect(env.now('linkat', AT_FDCWD, env.str('/f'), AT_FDCWD, env.str('/h3'), 1)).toBe(-E.EINVAL);
    const st = env.buf(144);
    env.now('stat', env.str('/f'), st);
    expect(new DataView(env.bytes(st, 144).buffer).getBigUint64(16, true)).toBe(3n); // nlink
  });

  it('chmod, fchmod, fchmodat; truncate, ftruncate', () => {
    env = setup({ f: '0123456789' });
    const st = env.buf(144);
    const mode = () => (env.now('stat', env.str('/f'), st), new DataView(env.bytes(st, 144).buffer).getUint32(24, true) & 0o7777);
    const size = () => (env.now('stat', env.str('/f'), st), Number(new DataView(env.bytes(st, 144).buffer).getBigInt64(48, true)));
    expect(env.now('chmod', env.str('/f'), 0o600)).toBe(0);
    expect(mode()).toBe(0o600);
    expect(env.now('fchmodat', AT_FDCWD, env.str('f'), 0o640)).toBe(0);
    expect(mode()).toBe(0o640);
    const fd = env.now('open', env.str('/f'), O.RDWR, 0);
    expect(env.now('fchmod', fd, 0o604)).toBe(0);
    expect(mode()).toBe(0o604);
    expect(env.now('truncate', env.str('/f'), 4)).toBe(0);
    expect(size()).toBe(4);
    expect(env.now('truncate', env.str('/f'), -1)).toBe(-E.EINVAL);
    expect(env.now('ftruncate', fd, 2)).toBe(0);
    expect(size()).toBe(2);
    const ro = env.now('open', env.str('/f'), O.RDONLY, 0);
    expect(env.now('ftruncate', ro, 0)).toBe(-E.EINVAL);
    expect(env.now('ftruncate', fd, -5)).toBe(-E.EINVAL);
    expect(env.now('fchmod', 99, 0)).toBe(-E.EBADF);
    expect(env.now('fsync', fd)).toBe(0);
    expect(env.now('fdatasync', 99)).toBe(-E.EBADF);
  });

  it('access and faccessat2 use real or effective ids', () => {
    env = setup({ secret: '' });
    fs.chmodSync(path.join(env.dir, 'secret'), 0o600);
    env.t.creds.uid = 1000;
    env.t.creds.euid = 1000;
    const owner = fs.statSync(path.join(env.dir, 'secret')).uid;
    const expected = owner === 1000 ? 0 : -E.EACCES;
    expect(env.now('access', env.str('/secret'), 4)).toBe(expected);
    env.t.creds.euid = 0;
    expect(env.now('faccessat2', AT_FDCWD, env.str('/secret'), 4, 0x200)).toBe(0); // AT_EACCESS: effective root
    expect(env.now('faccessat', AT_FDCWD, env.str('/secret'), 4)).toBe(expected);
    expect(env.now('access', env.str('/secret'), 8)).toBe(-E.EINVAL);
    expect(env.now('faccessat2', AT_FDCWD, env.str('/secret'), 0, 1)).toBe(-E.EINVAL);
  });

  it('utimensat sets explicit times, via a path or a descriptor', () => {
    env = setup({ f: '' });
    const ts = env.buf(32);
    const v = env.t.mm.dv(ts, 32);
    v.setBigInt64(0, 1000n, true);
    v.setBigInt64(8, 5n, true);
    v.setBigInt64(16, 2000n, true);
    v.setBigInt64(24, 0x3ffffffen, true); // UTIME_OMIT
    expect(env.now('utimensat', AT_FDCWD, env.str('/f'), ts, 0)).toBe(0);
    const st = env.buf(144);
    env.now('stat', env.str('/f'), st);
    const sv = new DataView(env.bytes(st, 144).buffer);
    expect(sv.getBigInt64(72, true)).toBe(1000n);
    expect(sv.getBigInt64(80, true)).toBe(5n);
    expect(sv.getBigInt64(88, true)).not.toBe(2000n);
    const fd = env.now('open', env.str('/f'), O.RDONLY, 0);
    v.setBigInt64(24, 7n, true);
    expect(env.now('utimensat', fd, 0, ts, 0)).toBe(0);
    env.now('stat', env.str('/f'), st);
    expect(new DataView(env.bytes(st, 144).buffer).getBigInt64(88, true)).toBe(2000n);
    expect(env.now('utimensat', AT_FDCWD, 0, ts, 0)).toBe(-E.EFAULT);
    expect(env.now('utimensat', AT_FDCWD, env.str('/f'), env.t.mm.unmapped, 0)).toBe(-E.EFAULT);
    expect(env.now('utimensat', AT_FDCWD, env.str('/f'), ts, 4)).toBe(-E.EINVAL);
    v.setBigInt64(8, 1_000_000_000n, true);
    expect(env.now('utimensat', AT_FDCWD, env.str('/f'), ts, 0)).toBe(-E.EINVAL);
    expect(env.now('utimensat', AT_FDCWD, env.str('/f'), 0, 0)).toBe(0);
    const tv = env.buf(32, new Uint8Array(32));
    env.t.mm.dv(tv, 32).setBigInt64(8, 1_000_000n, true);
    expect(env.now('futimesat', AT_FDCWD, env.str('/f'), tv)).toBe(-E.EINVAL);
  });
});
