import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E, errnoName, hostErrno } from '../errno.js';
import { O_CREAT, O_DIRECTORY, O_EXCL, O_PATH, O_RDONLY, O_RDWR, O_TMPFILE, O_WRONLY, R_OK, W_OK, X_OK } from './constants.js';
import { type Fixture, makeFixture, readText, writeText } from './test-helpers.js';
import { Vfs } from './vfs.js';

let fx: Fixture;
let vfs: Vfs;
beforeEach(() => {
  fx = makeFixture();
  vfs = new Vfs({ root: fx.root });
});
afterEach(() => fx.cleanup());

describe('errno values', () => {
  it('are the Linux x86-64 numbers, and host exceptions map to them', () => {
    expect([E.ENOENT, E.EACCES, E.EEXIST, E.ENOTDIR, E.EISDIR, E.EINVAL, E.EROFS]).toEqual([2, 13, 17, 20, 21, 22, 30]);
    expect([E.ENAMETOOLONG, E.ENOTEMPTY, E.ELOOP, E.EOPNOTSUPP, E.EXDEV, E.EPERM]).toEqual([36, 39, 40, 95, 18, 1]);
    expect(hostErrno(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(-2);
    expect(hostErrno(Object.assign(new Error('x'), { code: 'ENOTSUP' }))).toBe(-95);
    expect(hostErrno(new TypeError('not a system error'))).toBe(-E.EIO);
    expect(errnoName(-40)).toBe('ELOOP');
  });

  it('ENOENT, ENOTDIR, EISDIR, EEXIST, ENOTEMPTY, ELOOP', () => {
    expect(vfs.stat('/nope')).toBe(-E.ENOENT);
    expect(vfs.stat('/nope/deeper')).toBe(-E.ENOENT);
    expect(vfs.stat('')).toBe(-E.ENOENT);
    expect(vfs.stat('/etc/passwd/x')).toBe(-E.ENOTDIR);
    expect(vfs.stat('/etc/passwd/')).toBe(-E.ENOTDIR);
    expect(vfs.open('/etc/passwd', O_RDONLY | O_DIRECTORY)).toBe(-E.ENOTDIR);
    expect(vfs.open('/etc', O_WRONLY)).toBe(-E.EISDIR);
    expect(vfs.open('/etc', O_RDONLY | O_CREAT, 0o644)).toBe(-E.EISDIR);
    expect(vfs.open('/newdir/', O_WRONLY | O_CREAT, 0o644)).toBe(-E.EISDIR);
    expect(vfs.unlink('/etc')).toBe(-E.EISDIR);
    expect(vfs.unlink('/etc/passwd/')).toBe(-E.ENOTDIR);
    expect(vfs.rmdir('/etc/passwd')).toBe(-E.ENOTDIR);
    expect(vfs.rmdir('/links/dirlink/')).toBe(-E.ENOTDIR); // never follows to remove the target
    expect(vfs.mkdir('/etc', 0o755)).toBe(-E.EEXIST);
    expect(vfs.mkdir('/links/dangling', 0o755)).toBe(-E.EEXIST);
    expect(vfs.open('/etc/passwd', O_WRONLY | O_CREAT | O_EXCL, 0o644)).toBe(-E.EEXIST);
    expect(vfs.open('/links/dangling', O_WRONLY | O_CREAT | O_EXCL, 0o644)).toBe(-E.EEXIST);
    expect(vfs.symlink('x', '/etc/passwd')).toBe(-E.EEXIST);
    expect(vfs.rmdir('/data')).toBe(-E.ENOTEMPTY);
    expect(vfs.rmdir('/data/..')).toBe(-E.ENOTEMPTY);
    expect(vfs.rmdir('/data/empty/.')).toBe(-E.EINVAL);
    expect(vfs.rmdir('/')).toBe(-E.EBUSY);
    expect(vfs.rename('/data', '/etc')).toBe(-E.EXDEV);
    expect(vfs.rename('/etc/passwd', '/data')).toBe(-E.EISDIR);
    expect(vfs.stat('/links/loop2/x')).toBe(-E.ELOOP);
    expect(vfs.readlink('/etc/passwd')).toBe(-E.EINVAL);
    expect(vfs.open('/', O_RDWR | O_TMPFILE)).toBe(-E.EOPNOTSUPP); // a directory: unsupported
    expect(vfs.open('/x', O_RDWR | O_TMPFILE)).toBe(-E.ENOENT);
    expect(vfs.open('/etc/passwd', O_RDWR | O_TMPFILE)).toBe(-E.ENOTDIR);
    // Access mode 3: allowed as in Linux, but the description can neither read nor write.
    const both = vfs.open('/etc/passwd', 3);
    expect(typeof both).not.toBe('number');
    if (typeof both !== 'number') {
      expect(both.read(new Uint8Array(4))).toBe(-E.EBADF);
      expect(both.write(new Uint8Array(4))).toBe(-E.EBADF);
    }
    expect(vfs.truncate('/etc', 0)).toBe(-E.EISDIR);
    expect(vfs.truncate('/etc/passwd', -1)).toBe(-E.EINVAL);
    expect(vfs.rename('/etc/passwd', '/x', 8)).toBe(-E.EINVAL);
  });

  it('O_CREAT through a dangling symlink creates its target', () => {
    expect(writeText(vfs, '/links/dangling', 'made')).toBe(0);
    expect(readText(vfs, '/links/nowhere')).toBe('made');
  });

  it('descriptions check their access mode', () => {
    const r = vfs.open('/etc/passwd', O_RDONLY);
    const p = vfs.open('/etc/passwd', O_PATH);
    if (typeof r === 'number' || typeof p === 'number') throw new Error();
    expect(r.write(new Uint8Array(1))).toBe(-E.EBADF);
    expect(r.truncate(0)).toBe(-E.EINVAL);
    expect(r.getdents64(new Uint8Array(100))).toBe(-E.ENOTDIR);
    expect(p.read(new Uint8Array(1))).toBe(-E.EBADF);
    expect(p.stat()).toMatchObject({ size: 15 });
    r.close();
    expect(r.read(new Uint8Array(1))).toBe(-E.EBADF);
    const d = vfs.open('/etc', O_RDONLY);
    if (typeof d === 'number') throw new Error();
    expect(d.read(new Uint8Array(1))).toBe(-E.EISDIR);
  });
});

describe('permissions for an unprivileged sandbox user', () => {
  const user = { uid: 1000, gid: 1000 };

  it('EACCES for mode bits, search permission, and writing into root-owned directories', () => {
    expect(writeText(vfs, '/private', 'root only')).toBe(0);
    expect(vfs.chmod('/private', 0o600)).toBe(0);
    expect(vfs.mkdir('/locked', 0o700)).toBe(0);
    expect(writeText(vfs, '/locked/f', 'x')).toBe(0);
    expect(vfs.open('/private', O_RDONLY, 0, { cred: user })).toBe(-E.EACCES);
    expect(vfs.access('/private', R_OK, { cred: user })).toBe(-E.EACCES);
    expect(vfs.access('/etc/passwd', R_OK, { cred: user })).toBe(0);
    expect(vfs.access('/etc/passwd', W_OK, { cred: user })).toBe(-E.EACCES);
    expect(vfs.access('/etc/passwd', X_OK)).toBe(-E.EACCES); // even root needs an x bit on files
    expect(vfs.stat('/locked/f', { cred: user })).toBe(-E.EACCES);
    expect(vfs.open('/etc/new', O_WRONLY | O_CREAT, 0o644, { cred: user })).toBe(-E.EACCES);
    expect(vfs.unlink('/etc/passwd', { cred: user })).toBe(-E.EACCES);
    expect(vfs.mkdir('/etc/d', 0o755, { cred: user })).toBe(-E.EACCES);
  });

  it("EPERM for chmod of others' files, sticky directories and utimens with explicit times", () => {
    expect(vfs.mkdir('/tmp', 0o1777, { umask: 0 })).toBe(0);
    expect(writeText(vfs, '/tmp/roots', 'r')).toBe(0);
    expect(vfs.chmod('/tmp/roots', 0o666)).toBe(0);
    expect(vfs.chmod('/tmp/roots', 0o777, { cred: user })).toBe(-E.EPERM);
    expect(vfs.unlink('/tmp/roots', { cred: user })).toBe(-E.EPERM);
    expect(
      vfs.utimens(
        '/tmp/roots',
        [
          { sec: 1, nsec: 0 },
          { sec: 1, nsec: 0 },
        ],
        { cred: user },
      ),
    ).toBe(-E.EPERM);
    expect(vfs.utimens('/tmp/roots', null, { cred: user })).toBe(0); // "now" with write permission
    const d = vfs.open('/tmp/mine', O_WRONLY | O_CREAT, 0o600, { cred: user });
    expect(typeof d).toBe('object');
    expect(vfs.stat('/tmp/mine')).toMatchObject({ uid: 1000, gid: 1000, mode: 0o100600 });
    expect(vfs.chmod('/tmp/mine', 0o644, { cred: user })).toBe(0);
    expect(vfs.unlink('/tmp/mine', { cred: user })).toBe(0);
  });

  it('a file created read-only can still be written through the creating open', () => {
    expect(vfs.mkdir('/home', 0o777, { umask: 0 })).toBe(0);
    const e = vfs.open('/home/ro-file', O_WRONLY | O_CREAT, 0o444, { cred: user });
    if (typeof e === 'number') throw new Error(`${e}`);
    expect(e.write(Buffer.from('ok'))).toBe(2);
    e.close();
    expect(vfs.open('/home/ro-file', O_WRONLY, 0, { cred: user })).toBe(-E.EACCES);
    expect(readText(vfs, '/home/ro-file')).toBe('ok');
  });
});
