import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { makedev, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, S_IFCHR } from './constants.js';
import { type Fixture, list, makeFixture, readText, writeText } from './test-helpers.js';
import { SyntheticFs } from './synthetic.js';
import { Vfs } from './vfs.js';

let fx: Fixture;
beforeEach(() => {
  fx = makeFixture();
});
afterEach(() => fx.cleanup());

describe('/dev', () => {
  it('null reads EOF and swallows writes', () => {
    const vfs = new Vfs({ root: fx.root });
    const d = vfs.open('/dev/null', O_RDWR);
    if (typeof d === 'number') throw new Error();
    expect(d.read(new Uint8Array(10))).toBe(0);
    expect(d.write(new Uint8Array(1000))).toBe(1000);
    expect(d.stat()).toMatchObject({ mode: S_IFCHR | 0o666, rdev: makedev(1, 3) });
    expect(makedev(1, 3)).toBe(259);
  });

  it('zero reads zeros, urandom reads random bytes, full refuses writes', () => {
    const vfs = new Vfs({ root: fx.root });
    const z = vfs.open('/dev/zero', O_RDONLY);
    if (typeof z === 'number') throw new Error();
    const buf = new Uint8Array(64).fill(7);
    expect(z.read(buf, 32)).toBe(32);
    expect(buf.subarray(0, 32).every((b) => b === 0)).toBe(true);
    expect(buf[32]).toBe(7);
    const r = vfs.open('/dev/urandom', O_RDONLY);
    if (typeof r === 'number') throw new Error();
    const a = new Uint8Array(32);
    const b = new Uint8Array(32);
    expect(r.read(a)).toBe(32);
    expect(r.read(b)).toBe(32);
    expect(Buffer.compare(a, b)).not.toBe(0);
    expect(writeText(vfs, '/dev/full', 'x', O_WRONLY)).toBe(-E.ENOSPC);
  });

  it('lists its devices, has no tty unless configured, and refuses new names', () => {
    const vfs = new Vfs({ root: fx.root });
    expect(list(vfs, '/dev')).toEqual(['fd', 'full', 'null', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'urandom', 'zero']);
    expect(vfs.open('/dev/tty', O_RDWR)).toBe(-E.ENOENT);
    expect(vfs.open('/dev/newfile', O_WRONLY | O_CREAT, 0o644)).toBe(-E.EPERM);
    expect(vfs.unlink('/dev/null')).toBe(-E.EPERM);
    expect(Buffer.from(vfs.readlink('/dev/stdout') as Uint8Array).toString()).toBe('/proc/self/fd/1');
  });

  it('a configured tty forwards reads and writes and is not seekable', () => {
    const written: string[] = [];
    const vfs = new Vfs({
      root: fx.root,
      dev: { tty: { read: (buf) => (buf.set([0x79]), 1), write: (buf, len) => (written.push(Buffer.from(buf.subarray(0, len)).toString()), len) } },
    });
    const t = vfs.open('/dev/tty', O_RDWR);
    if (typeof t === 'number') throw new Error();
    expect(t.write(Buffer.from('hi'))).toBe(2);
    expect(written).toEqual(['hi']);
    const buf = new Uint8Array(4);
    expect(t.read(buf)).toBe(1);
    expect(buf[0]).toBe(0x79);
    expect(t.pread(buf, 1, 0)).toBe(-E.ESPIPE);
    expect(t.stat()).toMatchObject({ rdev: makedev(5, 0) });
  });

  it('/dev/shm is a writable tmpfs; /dev can be turned off', () => {
    const vfs = new Vfs({ root: fx.root });
    expect(writeText(vfs, '/dev/shm/seg', 'shared')).toBe(0);
    expect(readText(vfs, '/dev/shm/seg')).toBe('shared');
    expect(vfs.statfs('/dev/shm')).toMatchObject({ type: 0x01021994 });
    const none = new Vfs({ root: fx.root, dev: false });
    expect(none.stat('/dev/null')).toBe(-E.ENOENT);
  });

  it('a synthetic filesystem can be mounted where the root has nothing (as /proc will be)', () => {
    const vfs = new Vfs({ root: fx.root });
    const proc = new SyntheticFs(0x9fa0);
    proc.root().addDir('self').addSymlink('exe', '/bin/true');
    vfs.mount('/proc', proc);
    expect(list(vfs, '/')).toContain('proc');
    expect(Buffer.from(vfs.readlink('/proc/self/exe') as Uint8Array).toString()).toBe('/bin/true');
    expect(vfs.stat('/proc/..')).toEqual(vfs.stat('/'));
    expect(() => vfs.mount('/proc', new SyntheticFs())).toThrow();
  });
});
