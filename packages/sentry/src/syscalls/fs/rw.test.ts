import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { AT_FDCWD, type Env, iovecs, O, setup } from './test-helpers.js';

let env: Env;
afterEach(() => env.cleanup());

function openFile(e: Env, p: string, flags = O.RDONLY, mode = 0o644): number {
  const fd = e.now('openat', AT_FDCWD, e.str(p), flags, mode);
  expect(fd).toBeGreaterThanOrEqual(0);
  return fd;
}

describe('read and write', () => {
  it('reads a host file through the overlay and advances the offset', () => {
    env = setup({ 'a.txt': 'hello world' });
    const fd = openFile(env, '/a.txt');
    const b = env.buf(5);
    expect(env.now('read', fd, b, 5)).toBe(5);
    expect(env.text(b, 5)).toBe('hello');
    expect(env.now('read', fd, b, 5)).toBe(5);
    expect(env.text(b, 5)).toBe(' worl');
    expect(env.now('read', fd, b, 5)).toBe(1);
    expect(env.now('read', fd, b, 5)).toBe(0);
  });

  it('writes, seeks and reads back; O_APPEND appends', () => {
    env = setup();
    const fd = openFile(env, '/new', O.RDWR | O.CREAT);
    expect(env.now('write', fd, env.buf(6, 'abcdef'), 6)).toBe(6);
    expect(env.now('lseek', fd, 2, 0)).toBe(2);
    const b = env.buf(10);
    expect(env.now('read', fd, b, 10)).toBe(4);
    expect(env.text(b, 4)).toBe('cdef');
    expect(env.now('lseek', fd, -1, 2)).toBe(5);
    expect(env.now('lseek', fd, -10, 0)).toBe(-E.EINVAL);
    expect(env.now('lseek', fd, 0, 7)).toBe(-E.EINVAL);
    const ap = openFile(env, '/new', O.WRONLY | O.APPEND);
    expect(env.now('write', ap, env.buf(2, 'XY'), 2)).toBe(2);
    expect(env.now('pread64', fd, b, 10, 0)).toBe(8);
    expect(env.text(b, 8)).toBe('abcdefXY');
  });

  it('EBADF for bad, negative, closed and wrong-mode descriptors, before EFAULT', () => {
    env = setup({ 'a.txt': 'x' });
    const b = env.buf(4);
    for (const name of ['read', 'write', 'pread64', 'pwrite64']) {
      expect(env.now(name, -1, b, 1, 0)).toBe(-E.EBADF);
      expect(env.now(name, 77, b, 1, 0)).toBe(-E.EBADF);
      expect(env.now(name, 2 ** 32 + 3, b, 1, 0)).toBe(-E.EBADF);
    }
    const fd = openFile(env, '/a.txt');
    expect(env.now('write', fd, env.t.mm.unmapped, 1)).toBe(-E.EBADF);
    expect(env.now('close', fd)).toBe(0);
    expect(env.now('read', fd, b, 1)).toBe(-E.EBADF);
    expect(env.now('close', fd)).toBe(-E.EBADF);
    expect(env.now('lseek', -5, 0, 0)).toBe(-E.EBADF);
  });

  it('EFAULT for unmapped, kernel-half and NULL buffers; nothing is consumed', () => {
    env = setup({ 'a.txt': 'abcdef' });
    const fd = openFile(env, '/a.txt');
    const bad = env.t.mm.unmapped;
    expect(env.now('read', fd, bad, 3)).toBe(-E.EFAULT);
    expect(env.now('read', fd, 0, 3)).toBe(-E.EFAULT);
    expect(env.now('read', fd, 0xffff_8000_0000_0000n, 3)).toBe(-E.EFAULT);
    expect(env.now('pread64', fd, bad, 3, 0)).toBe(-E.EFAULT);
    const b = env.buf(3);
    expect(env.now('read', fd, b, 3)).toBe(3);
    expect(env.text(b, 3)).toBe('abc');
    const w = openFile(env, '/w', O.WRONLY | O.CREAT);
    expect(env.now('write', w, bad, 3)).toBe(-E.EFAULT);
    expect(env.now('pwrite64', w, bad, 3, 0)).toBe(-E.EFAULT);
  });

  it('a buffer running into unmapped memory gives a short read, and the rest stays unread', () => {
    env = setup({ 'a.txt': 'abcdefgh' });
    const fd = openFile(env, '/a.txt');
    const b = env.buf(4); // followed by a guard page
    expect(env.now('read', fd, b, 8)).toBe(4);
    expect(env.text(b, 4)).toBe('abcd');
    expect(env.now('read', fd, b, 4)).toBe(4);
    expect(env.text(b, 4)).toBe('efgh');
  });

  it('huge counts are capped and never allocated: a 2^60-byte read of a small file returns its size', () => {
    env = setup({ 'a.txt': 'tiny' });
    const fd = openFile(env, '/a.txt');
    const b = env.buf(4);
    expect(env.now('read', fd, b, 2n ** 60n)).toBe(-E.EFAULT); // the range leaves user space
    expect(env.now('read', fd, b, 0x7fff_0000)).toBe(4);
    expect(env.now('read', fd, b, 0)).toBe(0);
  });

  it('pread/pwrite leave the offset alone; negative offsets are EINVAL', () => {
    env = setup({ 'a.txt': '0123456789' });
    const fd = openFile(env, '/a.txt', O.RDWR);
    const b = env.buf(3);
    expect(env.now('pread64', fd, b, 3, 4)).toBe(3);
    expect(env.text(b, 3)).toBe('456');
    expect(env.now('pwrite64', fd, env.buf(2, 'ZZ'), 2, 8)).toBe(2);
    expect(env.now('lseek', fd, 0, 1)).toBe(0);
    expect(env.now('pread64', fd, b, 3, -1)).toBe(-E.EINVAL);
    expect(env.now('pwrite64', fd, b, 3, -1)).toBe(-E.EINVAL);
    expect(env.now('pread64', fd, b, 3, 7)).toBe(3);
    expect(env.text(b, 3)).toBe('7ZZ');
  });

  it('reading a directory is EISDIR', () => {
    env = setup({ 'd/': '' });
    const fd = openFile(env, '/d', O.RDONLY | O.DIRECTORY);
    expect(env.now('read', fd, env.buf(8), 8)).toBe(-E.EISDIR);
  });
});

describe('readv, writev, preadv, pwritev', () => {
  it('scatters and gathers across iovecs that straddle page boundaries', () => {
    env = setup();
    const fd = openFile(env, '/v', O.RDWR | O.CREAT);
    const mem = env.t.mm;
    // Two buffers, each crossing a page boundary inside one mapping.
    const big = env.buf(3 * 4096);
    const a = big + 4096 - 3;
    const b = big + 2 * 4096 - 2;
    mem.write(a, 'ABCDEF');
    mem.write(b, 'ghij');
    const iov = iovecs(env, [
      [a, 6],
      [0, 0],
      [b, 4],
    ]);
    expect(env.now('writev', fd, iov, 3)).toBe(10);
    expect(env.now('lseek', fd, 0, 0)).toBe(0);
    mem.write(a, '......');
    mem.write(b, '....');
    const iov2 = iovecs(env, [
      [b, 4],
      [a, 6],
    ]);
    expect(env.now('readv', fd, iov2, 2)).toBe(10);
    expect(env.text(b, 4)).toBe('ABCD');
    expect(env.text(a, 6)).toBe('EFghij');
    const iov3 = iovecs(env, [
      [a, 2],
      [b, 3],
    ]);
    expect(env.now('preadv', fd, iov3, 2, 5)).toBe(5);
    expect(env.text(a, 2)).toBe('Fg');
    expect(env.text(b, 3)).toBe('hij');
    mem.write(a, 'xy');
    expect(env.now('pwritev', fd, iovecs(env, [[a, 2]]), 1, 0)).toBe(2);
    const out = env.buf(10);
    expect(env.now('pread64', fd, out, 10, 0)).toBe(10);
    expect(env.text(out, 10)).toBe('xyCDEFghij');
  });

  it('checks the iovec count, lengths and array', () => {
    env = setup({ 'a.txt': 'abc' });
    const fd = openFile(env, '/a.txt');
    const b = env.buf(4);
    expect(env.now('readv', fd, iovecs(env, [[b, 4]]), 1025)).toBe(-E.EINVAL);
    expect(env.now('readv', fd, iovecs(env, [[b, 4]]), -1)).toBe(-E.EINVAL);
    expect(env.now('readv', fd, env.t.mm.unmapped, 0)).toBe(0);
    expect(env.now('readv', fd, env.t.mm.unmapped, 1)).toBe(-E.EFAULT);
    expect(env.now('readv', fd, iovecs(env, [[b, -1]]), 1)).toBe(-E.EINVAL);
    expect(env.now('readv', fd, iovecs(env, [[0xffff_ffff_0000, 16]]), 1)).toBe(-E.EFAULT);
    expect(env.now('readv', fd, iovecs(env, [[env.t.mm.unmapped, 4]]), 1)).toBe(-E.EFAULT);
    expect(env.now('preadv', fd, iovecs(env, [[b, 4]]), 1, -1)).toBe(-E.EINVAL);
    expect(env.now('writev', fd, iovecs(env, [[b, 4]]), 1)).toBe(-E.EBADF);
  });
});

describe('sendfile', () => {
  it('copies between files, with and without an offset pointer', () => {
    env = setup({ src: '0123456789' });
    const src = openFile(env, '/src');
    const dst = openFile(env, '/dst', O.RDWR | O.CREAT);
    expect(env.now('sendfile', dst, src, 0, 4)).toBe(4);
    expect(env.now('lseek', src, 0, 1)).toBe(4);
    const off = env.buf(8, new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0]));
    expect(env.now('sendfile', dst, src, off, 100)).toBe(4);
    expect(new DataView(env.bytes(off, 8).buffer).getBigInt64(0, true)).toBe(10n);
    expect(env.now('lseek', src, 0, 1)).toBe(4);
    const b = env.buf(8);
    expect(env.now('pread64', dst, b, 8, 0)).toBe(8);
    expect(env.text(b, 8)).toBe('01236789');
    expect(env.now('sendfile', dst, src, env.t.mm.unmapped, 1)).toBe(-E.EFAULT);
    expect(env.now('sendfile', dst, 99, 0, 1)).toBe(-E.EBADF);
    expect(env.now('sendfile', src, dst, 0, 1)).toBe(-E.EBADF);
  });
});
