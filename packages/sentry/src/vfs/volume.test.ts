import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { O_CREAT, O_RDONLY, O_WRONLY } from './constants.js';
import { type Fixture, list, makeFixture, readText, SECRET, snapshot, writeText } from './test-helpers.js';
import { Vfs } from './vfs.js';
import { parseVolume } from './volume.js';

let fx: Fixture;
let vol: string;
let vfs: Vfs;
beforeEach(() => {
  fx = makeFixture();
  vol = path.join(fx.base, 'vol');
  fs.mkdirSync(vol);
  fs.writeFileSync(path.join(vol, 'existing.txt'), 'on disk');
  fs.symlinkSync('../outside/secret.txt', path.join(vol, 'climb'));
  fs.symlinkSync(path.join(fx.outside, 'secret.txt'), path.join(vol, 'hostabs'));
  fs.symlinkSync(fx.outside, path.join(vol, 'outdir'));
  vfs = new Vfs({ root: fx.root, volumes: [`${vol}:/work`, `${vol}:/mnt/ro:ro`] });
});
afterEach(() => fx.cleanup());

describe('volumes', () => {
  it('parses HOST:GUEST[:ro] and rejects malformed specs', () => {
    expect(parseVolume('/a:/b')).toEqual({ host: '/a', guest: '/b', mode: 'rw' });
    expect(parseVolume('/a:/b:ro')).toEqual({ host: '/a', guest: '/b', mode: 'ro' });
    expect(parseVolume('/a:/b:overlay')).toEqual({ host: '/a', guest: '/b', mode: 'overlay' });
    expect(() => parseVolume('/a')).toThrow();
    expect(() => parseVolume('/a:b')).toThrow();
    expect(() => parseVolume('/a:/b/../c')).toThrow();
    expect(() => parseVolume('/a:/b:rx')).toThrow();
  });

  it('writes are real: on the host as soon as the file is closed', () => {
    expect(writeText(vfs, '/work/out.txt', 'durable')).toBe(0);
    expect(fs.readFileSync(path.join(vol, 'out.txt'), 'utf8')).toBe('durable');
    expect(vfs.mkdir('/work/dir', 0o750)).toBe(0);
    expect(fs.statSync(path.join(vol, 'dir')).mode & 0o777).toBe(0o750);
    expect(vfs.rename('/work/out.txt', '/work/dir/moved.txt')).toBe(0);
    expect(fs.readFileSync(path.join(vol, 'dir/moved.txt'), 'utf8')).toBe('durable');
    expect(vfs.symlink('/anywhere', '/work/sl')).toBe(0);
    expect(fs.readlinkSync(path.join(vol, 'sl'))).toBe('/anywhere');
    expect(vfs.unlink('/work/existing.txt')).toBe(0);
    expect(fs.existsSync(path.join(vol, 'existing.txt'))).toBe(false);
    expect(readText(vfs, '/mnt/ro/dir/moved.txt')).toBe('durable');
    expect(list(vfs, '/work')).toEqual(['climb', 'dir', 'hostabs', 'outdir', 'sl']);
  });

  it('created files get exactly the requested mode, whatever the host umask', () => {
    const d = vfs.open('/work/m', O_WRONLY | O_CREAT, 0o777, { umask: 0o027 });
    expect(typeof d).toBe('object');
    expect(fs.statSync(path.join(vol, 'm')).mode & 0o777).toBe(0o750);
  });

  it('is confined: symlinks in the volume resolve in the sandbox, not on the host', () => {
    const before = snapshot(fx.outside);
    expect(readText(vfs, '/work/climb')).toBe(-E.ENOENT);
    expect(readText(vfs, '/work/hostabs')).toBe(-E.ENOENT);
    expect(list(vfs, '/work/outdir')).toBe(-E.ENOENT);
    expect(writeText(vfs, '/work/outdir/planted', SECRET)).toBe(-E.ENOENT);
    expect(writeText(vfs, '/work/hostabs', 'overwrite')).toBe(-E.ENOENT);
    expect(vfs.rename('/work/existing.txt', '/work/outdir/x')).toBe(-E.ENOENT);
    expect(snapshot(fx.outside)).toEqual(before);
    // ".." from the volume root is the guest's /mnt, not the host's parent directory.
    expect(readText(vfs, '/work/../etc/passwd')).toBe('sandbox passwd\n');
    expect(readText(vfs, '/work/../outside/secret.txt')).toBe(-E.ENOENT);
  });

  it('read-only volumes give EROFS; mount points are busy; other mounts are EXDEV', () => {
    expect(readText(vfs, '/mnt/ro/existing.txt')).toBe('on disk');
    expect(vfs.open('/mnt/ro/existing.txt', O_WRONLY)).toBe(-E.EROFS);
    expect(vfs.open('/mnt/ro/n', O_WRONLY | O_CREAT, 0o644)).toBe(-E.EROFS);
    expect(vfs.unlink('/mnt/ro/existing.txt')).toBe(-E.EROFS);
    expect(vfs.rmdir('/work')).toBe(-E.EBUSY);
    expect(vfs.rename('/work', '/work2')).toBe(-E.EBUSY);
    expect(vfs.rename('/mnt', '/mnt2')).toBe(-E.EBUSY);
    expect(vfs.rename('/work/existing.txt', '/existing.txt')).toBe(-E.EXDEV);
    expect(vfs.link('/work/existing.txt', '/existing.txt')).toBe(-E.EXDEV);
    expect(list(vfs, '/')).toContain('work'); // mount point absent from the lower root is still listed
    expect(list(vfs, '/mnt')).toEqual(['ro']);
    expect(vfs.open('/work/existing.txt', O_RDONLY)).toMatchObject({ flags: O_RDONLY });
  });

  it('overlay volumes show the host directory and keep every change in memory', () => {
    const before = snapshot(vol);
    const ov = new Vfs({ root: fx.root, volumes: [`${vol}:/proj:overlay`] });
    expect(readText(ov, '/proj/existing.txt')).toBe('on disk');
    expect(writeText(ov, '/proj/existing.txt', 'changed')).toBe(0);
    expect(writeText(ov, '/proj/new.txt', 'new')).toBe(0);
    expect(ov.chmod('/proj/new.txt', 0o4755)).toBe(0); // memory, not the host: set-user-ID is kept
    expect((ov.stat('/proj/new.txt') as { mode: number }).mode & 0o7777).toBe(0o4755);
    expect(ov.unlink('/proj/climb')).toBe(0);
    expect(readText(ov, '/proj/existing.txt')).toBe('changed');
    expect(snapshot(vol)).toEqual(before);
    ov.close();
  });
});
