import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { O_CREAT, O_NOFOLLOW, O_RDONLY, O_WRONLY } from './constants.js';
import { type Fixture, list, makeFixture, readText, SECRET, snapshot, writeText } from './test-helpers.js';
import { Vfs } from './vfs.js';

let fx: Fixture;
let vfs: Vfs;
beforeEach(() => {
  fx = makeFixture();
  vfs = new Vfs({ root: fx.root });
});
afterEach(() => fx.cleanup());

describe('resolution stays beneath the root', () => {
  it('an absolute symlink resolves inside the root, not on the host', () => {
    expect(readText(vfs, '/links/abs')).toBe('sandbox passwd\n');
  });

  it('".." at the root stays at the root', () => {
    const root = vfs.stat('/');
    const up = vfs.stat('/../../../..');
    expect(typeof root === 'object' && typeof up === 'object' && up.ino === root.ino).toBe(true);
    expect(readText(vfs, '/../../../etc/passwd')).toBe('sandbox passwd\n');
    expect(readText(vfs, '../../outside/secret.txt')).toBe(-E.ENOENT);
  });

  it('climbing symlinks (direct and chained) stop at the root', () => {
    const root = vfs.stat('/') as { ino: number };
    expect((vfs.stat('/links/up') as { ino: number }).ino).toBe(root.ino);
    expect((vfs.stat('/links/c1') as { ino: number }).ino).toBe(root.ino);
    expect(readText(vfs, '/links/c1/etc/passwd')).toBe('sandbox passwd\n');
    expect(readText(vfs, '/links/up/outside/secret.txt')).toBe(-E.ENOENT);
  });

  it('relative and host-absolute escapes give ENOENT', () => {
    expect(readText(vfs, '/links/rel')).toBe(-E.ENOENT);
    expect(readText(vfs, '/links/hostabs')).toBe(-E.ENOENT);
    expect(vfs.stat('/links/hostabs')).toBe(-E.ENOENT);
  });

  it('loops give ELOOP, and O_NOFOLLOW on a symlink gives ELOOP', () => {
    expect(vfs.stat('/links/loop1')).toBe(-E.ELOOP);
    expect(vfs.stat('/links/self/x')).toBe(-E.ELOOP);
    expect(vfs.open('/links/abs', O_RDONLY | O_NOFOLLOW)).toBe(-E.ELOOP);
    expect(typeof vfs.lstat('/links/loop1')).toBe('object');
  });

  it('exactly 40 links resolve; 41 give ELOOP', () => {
    fs.mkdirSync(path.join(fx.root, 'chain'));
    for (let i = 0; i < 41; i++) fs.symlinkSync(i === 0 ? '/etc/passwd' : `l${i - 1}`, path.join(fx.root, 'chain', `l${i}`));
    expect(readText(vfs, '/chain/l39')).toBe('sandbox passwd\n');
    expect(readText(vfs, '/chain/l40')).toBe(-E.ELOOP);
  });

  it('creating through a symlink that points outside lands inside the sandbox only', () => {
    fs.symlinkSync(path.join(fx.outside, 'planted.txt'), path.join(fx.root, 'links', 'plant'));
    const before = snapshot(fx.base);
    // The host-absolute target does not exist beneath the root, and its parent directories neither.
    expect(writeText(vfs, '/links/plant', 'x')).toBe(-E.ENOENT);
    expect(writeText(vfs, '/links/up/new.txt', 'in the overlay')).toBe(0);
    expect(readText(vfs, '/new.txt')).toBe('in the overlay');
    expect(snapshot(fx.base)).toEqual(before);
  });

  it('no path built from hostile pieces ever reads the host secret or lists outside', () => {
    const pieces = [
      '..',
      '.',
      'links',
      'up',
      'rel',
      'c1',
      'c3',
      'hostabs',
      'dirlink',
      'outside',
      'secret.txt',
      'abs',
      '',
      'etc/passwd',
      'data/hello.txt',
    ];
    let seed = 12345;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let opened = 0;
    for (let i = 0; i < 3000; i++) {
      const parts = Array.from({ length: 1 + rnd(8) }, () => pieces[rnd(pieces.length)]);
      const p = (rnd(2) ? '/' : '') + parts.join('/');
      const text = readText(vfs, p || '.');
      if (typeof text === 'string') opened++;
      expect(text).not.toBe(SECRET);
      const names = list(vfs, p || '.');
      if (Array.isArray(names)) expect(names).not.toContain('secret.txt');
    }
    expect(opened).toBeGreaterThan(0);
    expect(vfs.open('/links/rel', O_WRONLY | O_CREAT, 0o644)).toBe(-E.ENOENT);
  });
});

describe('host special files', () => {
  it('a host FIFO is never opened (no blocking, EACCES as on a nodev mount)', () => {
    execFileSync('mkfifo', [path.join(fx.root, 'data', 'fifo')]);
    expect(vfs.open('/data/fifo', O_RDONLY)).toBe(-E.EACCES);
    expect((vfs.stat('/data/fifo') as { mode: number }).mode & 0o170000).toBe(0o010000);
  });
});

describe('path limits', () => {
  it('a 5000-byte path gives ENAMETOOLONG; 4095 bytes is allowed to resolve', () => {
    expect(vfs.stat(`/${'a/'.repeat(2500)}`)).toBe(-E.ENAMETOOLONG);
    expect(vfs.open('/'.repeat(5000), O_RDONLY)).toBe(-E.ENAMETOOLONG);
    const ok = `/${'./'.repeat(2045)}/etc`; // PATH_MAX counts the NUL: 4095 bytes is the longest
    expect(ok.length).toBe(4095);
    expect(vfs.stat(`/${ok}`)).toBe(-E.ENAMETOOLONG);
    expect(typeof vfs.stat(ok)).toBe('object');
  });

  it('a component over 255 bytes gives ENAMETOOLONG, 255 gives ENOENT', () => {
    expect(vfs.stat(`/${'x'.repeat(256)}`)).toBe(-E.ENAMETOOLONG);
    expect(vfs.stat(`/${'x'.repeat(255)}`)).toBe(-E.ENOENT);
  });

  it('raw bytes: non-UTF-8 names round-trip, a NUL ends the path', () => {
    const name = new Uint8Array([0x2f, 0xff, 0xfe, 0x41]); // "/\xff\xfeA"
    const d = vfs.open(name, O_WRONLY | O_CREAT, 0o644);
    expect(typeof d).toBe('object');
    const names = list(vfs, '/') as string[];
    expect(names).toContain('\xff\xfeA');
    expect(readText(vfs, new Uint8Array([0x2f, 0x65, 0x74, 0x63, 0x2f, 0x70, 0x61, 0x73, 0x73, 0x77, 0x64, 0, 0x2f]))).toBe(
      'sandbox passwd\n',
    );
  });
});
