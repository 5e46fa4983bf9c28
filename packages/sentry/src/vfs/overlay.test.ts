import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import {
  O_APPEND,
  O_CREAT,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
} from './constants.js';
import type { Stat } from './stat.js';
import { type Fixture, list, makeFixture, readText, snapshot, writeText } from './test-helpers.js';
import { Vfs } from './vfs.js';

let fx: Fixture;
let vfs: Vfs;
let before: Record<string, string>;
beforeEach(() => {
  fx = makeFixture();
  before = snapshot(fx.base);
  vfs = new Vfs({ root: fx.root });
});
afterEach(() => {
  // Whatever a test did, the host tree is untouched.
  expect(snapshot(fx.base)).toEqual(before);
  fx.cleanup();
});

const st = (p: string): Stat => vfs.stat(p) as Stat;

describe('overlay', () => {
  it('a removed directory kept as a location takes no new entries (ENOENT)', () => {
    expect(vfs.mkdir('/doomed', 0o755)).toBe(0);
    const cwd = vfs.resolve('/doomed');
    if (typeof cwd === 'number') throw new Error('resolve failed');
    expect(vfs.isRemoved(cwd)).toBe(false);
    expect(vfs.rmdir('/doomed')).toBe(0);
    expect(vfs.isRemoved(cwd)).toBe(true);
    expect(vfs.open('f', O_WRONLY | O_CREAT, 0o644, { at: cwd })).toBe(-E.ENOENT);
    expect(vfs.mkdir('sub', 0o755, { at: cwd })).toBe(-E.ENOENT);
    // A new directory of the same name is a different one.
    expect(vfs.mkdir('/doomed', 0o755)).toBe(0);
    const again = vfs.resolve('/doomed');
    expect(typeof again !== 'number' && vfs.isRemoved(again)).toBe(false);
  });

  it('creates, writes, seeks and reads new files in memory', () => {
    const d = vfs.open('/data/new.txt', O_RDWR | O_CREAT, 0o666, { umask: 0o022 });
    if (typeof d === 'number') throw new Error(`open: ${d}`);
    expect(d.write(Buffer.from('hello world'))).toBe(11);
    expect(d.lseek(0, SEEK_CUR)).toBe(11);
    expect(d.lseek(-5, SEEK_END)).toBe(6);
    const buf = new Uint8Array(16);
    expect(d.read(buf)).toBe(5);
    expect(Buffer.from(buf.subarray(0, 5)).toString()).toBe('world');
    expect(d.pwrite(Buffer.from('J'), 1, 0)).toBe(1);
    expect(d.pread(buf, 3, 0)).toBe(3);
    expect(Buffer.from(buf.subarray(0, 3)).toString()).toBe('Jel');
    expect(d.lseek(-1, SEEK_SET)).toBe(-E.EINVAL);
    expect(d.truncate(2)).toBe(0);
    expect(d.stat()).toMatchObject({ size: 2, mode: 0o100644, nlink: 1, uid: 0 });
    d.close();
    expect(readText(vfs, '/data/new.txt')).toBe('Je');
    expect(fs.existsSync(path.join(fx.root, 'data/new.txt'))).toBe(false);
  });

  it('O_APPEND appends, O_TRUNC truncates, pwrite on O_APPEND appends (as Linux)', () => {
    expect(writeText(vfs, '/data/hello.txt', 'A', O_WRONLY | O_APPEND)).toBe(0);
    expect(readText(vfs, '/data/hello.txt')).toBe('hello lower\nA');
    const d = vfs.open('/data/hello.txt', O_WRONLY | O_APPEND);
    if (typeof d === 'number') throw new Error();
    expect(d.pwrite(Buffer.from('B'), 1, 0)).toBe(1);
    d.close();
    expect(readText(vfs, '/data/hello.txt')).toBe('hello lower\nAB');
    expect(writeText(vfs, '/data/hello.txt', 'new')).toBe(0);
    expect(readText(vfs, '/data/hello.txt')).toBe('new');
  });

  it('copies a lower file up on first write, keeping its inode number', () => {
    const ino = st('/data/hello.txt').ino;
    const reader = vfs.open('/data/hello.txt', O_RDONLY);
    expect(writeText(vfs, '/data/hello.txt', 'changed', O_WRONLY)).toBe(0);
    expect(readText(vfs, '/data/hello.txt')).toBe('changedower\n');
    expect(st('/data/hello.txt').ino).toBe(ino);
    expect(st('/data/hello.txt').ino).toBe(st('/data/hello.txt').ino);
    if (typeof reader === 'number') throw new Error();
    reader.close();
  });

  it('chmod and truncate copy up too', () => {
    expect(vfs.chmod('/etc/passwd', 0o600)).toBe(0);
    expect(st('/etc/passwd').mode & 0o7777).toBe(0o600);
    expect(vfs.truncate('/etc/passwd', 3)).toBe(0);
    expect(readText(vfs, '/etc/passwd')).toBe('san');
    expect(
      vfs.utimens('/etc/passwd', [
        { sec: 1000, nsec: 5 },
        { sec: 2000, nsec: 7 },
      ]),
    ).toBe(0);
    expect(st('/etc/passwd')).toMatchObject({ atimeSec: 1000, atimeNsec: 5, mtimeSec: 2000, mtimeNsec: 7 });
  });

  it('unlink of a lower file leaves a whiteout; readdir merges layers', () => {
    expect(writeText(vfs, '/data/upper.txt', 'u')).toBe(0);
    expect(list(vfs, '/data')).toEqual(['empty', 'hello.txt', 'sub', 'upper.txt']);
    expect(vfs.unlink('/data/hello.txt')).toBe(0);
    expect(vfs.stat('/data/hello.txt')).toBe(-E.ENOENT);
    expect(readText(vfs, '/data/hello.txt')).toBe(-E.ENOENT);
    expect(list(vfs, '/data')).toEqual(['empty', 'sub', 'upper.txt']);
    expect(writeText(vfs, '/data/hello.txt', 'again')).toBe(0);
    expect(readText(vfs, '/data/hello.txt')).toBe('again');
  });

  it('rmdir of a lower dir needs it empty; a new dir of the same name is opaque', () => {
    expect(vfs.rmdir('/data/sub')).toBe(-E.ENOTEMPTY);
    expect(vfs.unlink('/data/sub/inner.txt')).toBe(0);
    expect(list(vfs, '/data/sub')).toEqual([]);
    expect(vfs.rmdir('/data/sub')).toBe(0);
    expect(vfs.stat('/data/sub')).toBe(-E.ENOENT);
    expect(vfs.mkdir('/data/sub', 0o755)).toBe(0);
    expect(list(vfs, '/data/sub')).toEqual([]);
    expect(vfs.stat('/data/sub/inner.txt')).toBe(-E.ENOENT);
  });

  it('renames files (copying up lower ones) and upper directories', () => {
    const ino = st('/data/hello.txt').ino;
    expect(vfs.rename('/data/hello.txt', '/etc/moved.txt')).toBe(0);
    expect(vfs.stat('/data/hello.txt')).toBe(-E.ENOENT);
    expect(readText(vfs, '/etc/moved.txt')).toBe('hello lower\n');
    expect(st('/etc/moved.txt').ino).toBe(ino);
    expect(vfs.mkdir('/d1', 0o755)).toBe(0);
    expect(writeText(vfs, '/d1/f', 'x')).toBe(0);
    expect(vfs.rename('/d1', '/d2')).toBe(0);
    expect(readText(vfs, '/d2/f')).toBe('x');
    expect(vfs.rename('/d2', '/d2/inside')).toBe(-E.EINVAL);
    expect(vfs.rename('/data', '/data2')).toBe(-E.EXDEV); // lower directory, as overlayfs
  });

  // mkdir -p t/a/b; cd t/a/b; mv t/a t/c (the cwd's path text is now stale); mv t/c <cwd>/x.
  it.each(['', '/dev/shm'])('refuses to move a directory beneath itself through a stale working directory (%s/t)', (top) => {
    for (const d of ['/t', '/t/a', '/t/a/b']) expect(vfs.mkdir(`${top}${d}`, 0o755)).toBe(0);
    const cwd = vfs.resolve(`${top}/t/a/b`);
    if (typeof cwd === 'number') throw new Error(`resolve: ${cwd}`);
    expect(vfs.rename(`${top}/t/a`, `${top}/t/c`)).toBe(0);
    expect(vfs.rename(`${top}/t/c`, 'x', 0, { newAt: cwd })).toBe(-E.EINVAL);
    expect(vfs.rename(`${top}/t/c/b`, 'x', 0, { newAt: cwd })).toBe(-E.EINVAL);
    // Exchanging a directory with a name beneath it, from either side.
    expect(vfs.mkdir('y', 0o755, { at: cwd })).toBe(0);
    expect(vfs.rename(`${top}/t/c`, 'y', RENAME_EXCHANGE, { newAt: cwd })).toBe(-E.EINVAL);
    expect(vfs.rename('y', `${top}/t/c`, RENAME_EXCHANGE, { at: cwd })).toBe(-E.EINVAL);
    // The tree is intact, and a path whose text looks inside (but is not) is no loop.
    expect(list(vfs, `${top}/t/c/b`)).toEqual(['y']);
    expect(vfs.mkdir(`${top}/t/a`, 0o755)).toBe(0);
    expect(vfs.rename(`${top}/t/a`, 'z', 0, { newAt: cwd })).toBe(0);
    expect(list(vfs, `${top}/t/c/b`)).toEqual(['y', 'z']);
  });

  it('refuses to move a lower directory beneath itself (EINVAL before EXDEV, as Linux checks)', () => {
    expect(vfs.rename('/data', '/data/sub/x')).toBe(-E.EINVAL);
    expect(vfs.mkdir('/data/sub/new', 0o755)).toBe(0); // copies data/ and data/sub/ up
    expect(vfs.rename('/data', '/data/sub/new/x')).toBe(-E.EINVAL);
    expect(vfs.rename('/data/sub', '/data/empty/x')).toBe(-E.EXDEV);
  });

  it('RENAME_NOREPLACE and RENAME_EXCHANGE', () => {
    expect(writeText(vfs, '/a', 'A')).toBe(0);
    expect(writeText(vfs, '/b', 'B')).toBe(0);
    expect(vfs.rename('/a', '/b', RENAME_NOREPLACE)).toBe(-E.EEXIST);
    expect(vfs.rename('/a', '/b', RENAME_EXCHANGE)).toBe(0);
    expect([readText(vfs, '/a'), readText(vfs, '/b')]).toEqual(['B', 'A']);
    expect(vfs.rename('/a', '/nope', RENAME_EXCHANGE)).toBe(-E.ENOENT);
    expect(vfs.rename('/a', '/b', RENAME_EXCHANGE | RENAME_NOREPLACE)).toBe(-E.EINVAL);
    expect(vfs.rename('/a', '/c', RENAME_NOREPLACE)).toBe(0);
  });

  it('symlinks and hard links in memory', () => {
    expect(vfs.symlink('/etc/passwd', '/pw')).toBe(0);
    expect(Buffer.from(vfs.readlink('/pw') as Uint8Array).toString()).toBe('/etc/passwd');
    expect(readText(vfs, '/pw')).toBe('sandbox passwd\n');
    expect(vfs.link('/data/hello.txt', '/hl')).toBe(0);
    expect(st('/hl').nlink).toBe(2);
    expect(st('/hl').ino).toBe(st('/data/hello.txt').ino);
    expect(writeText(vfs, '/hl', 'via link', O_WRONLY | O_TRUNC)).toBe(0);
    expect(readText(vfs, '/data/hello.txt')).toBe('via link');
    expect(vfs.link('/data', '/dl')).toBe(-E.EPERM);
  });

  it('a description keeps an unlinked file readable', () => {
    expect(writeText(vfs, '/tmpfile', 'still here')).toBe(0);
    const d = vfs.open('/tmpfile', O_RDONLY);
    expect(vfs.unlink('/tmpfile')).toBe(0);
    if (typeof d === 'number') throw new Error();
    const buf = new Uint8Array(32);
    expect(Buffer.from(buf.subarray(0, d.read(buf))).toString()).toBe('still here');
    d.close();
  });

  it('huge sizes are sparse (as tmpfs): nothing is allocated until written, then the limit gives ENOSPC', () => {
    const small = new Vfs({ root: fx.root, memoryLimit: 1 << 20 });
    expect(small.truncate('/etc/passwd', 2 ** 40)).toBe(0);
    expect(small.stat('/etc/passwd')).toMatchObject({ size: 2 ** 40, blocks: 8 });
    const d = small.open('/big', O_RDWR | O_CREAT, 0o644);
    if (typeof d === 'number') throw new Error();
    expect(d.pwrite(new Uint8Array([7]), 1, 2 ** 40)).toBe(1);
    const back = new Uint8Array([9, 9]);
    expect(d.pread(back, 2, 2 ** 40 - 1)).toBe(2);
    expect([...back]).toEqual([0, 7]);
    expect(d.write(new Uint8Array(1 << 19))).toBe(1 << 19);
    expect(d.write(new Uint8Array(1 << 20))).toBeLessThan(1 << 19);
    expect(d.write(new Uint8Array(1 << 16))).toBe(-E.ENOSPC);
    const fsInfo = small.statfs('/');
    expect(fsInfo).toMatchObject({ bsize: 4096, blocks: 256, namelen: 255 });
    expect(typeof fsInfo !== 'number' && fsInfo.bfree).toBeLessThan(16); // less than one chunk left
    d.close();
  });

  it('inode and device numbers are stable and distinct per mount', () => {
    expect(st('/etc').ino).toBe(st('/etc').ino);
    expect(st('/etc/passwd').ino).not.toBe(st('/etc').ino);
    expect(st('/dev/null').dev).not.toBe(st('/').dev);
    expect(st('/data/sub').dev).toBe(st('/').dev);
  });
});

describe('without the overlay', () => {
  it('the root is read-only: EROFS, and reads still work', () => {
    const ro = new Vfs({ root: fx.root, overlay: false });
    expect(readText(ro, '/data/hello.txt')).toBe('hello lower\n');
    expect(ro.open('/data/hello.txt', O_WRONLY)).toBe(-E.EROFS);
    expect(ro.open('/data/x', O_WRONLY | O_CREAT, 0o644)).toBe(-E.EROFS);
    expect(ro.mkdir('/data/d', 0o755)).toBe(-E.EROFS);
    expect(ro.mkdir('/data', 0o755)).toBe(-E.EEXIST);
    expect(ro.unlink('/data/hello.txt')).toBe(-E.EROFS);
    expect(ro.rename('/data/hello.txt', '/x')).toBe(-E.EROFS);
    expect(ro.chmod('/data/hello.txt', 0o777)).toBe(-E.EROFS);
    expect(ro.access('/data/hello.txt', 2)).toBe(-E.EROFS);
    expect(ro.statfs('/')).toMatchObject({ flags: expect.any(Number) });
    expect((ro.statfs('/') as { flags: number }).flags & 1).toBe(1);
  });
});
