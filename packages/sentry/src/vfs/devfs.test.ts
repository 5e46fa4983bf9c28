import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { makedev, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_RDONLY, O_RDWR, O_WRONLY, S_IFCHR, S_IFDIR, S_IFLNK } from './constants.js';
import { type FileDescription, PathDescription } from './file.js';
import type { Location } from './location.js';
import { type Filesystem, ReadOnlyNode, type VNode } from './node.js';
import { type Stat, type StatFs, TMPFS_MAGIC } from './stat.js';
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

  it('with terminals, /dev/tty and /dev/ptmx open through them (given their node for fstat), and pts waits for devpts', () => {
    const asked: [string, number][] = [];
    const opener = (name: string) => ({
      open: (flags: number, stat: () => Stat) => {
        asked.push([name, stat().rdev]);
        return name === 'tty' ? -E.ENXIO : new PathDescription(flags, { stat } as unknown as VNode);
      },
    });
    const vfs = new Vfs({ root: fx.root, dev: { terminals: { tty: opener('tty'), ptmx: opener('ptmx') } } });
    expect(list(vfs, '/dev')).toEqual(expect.arrayContaining(['ptmx', 'pts', 'tty']));
    expect(vfs.open('/dev/tty', O_RDWR)).toBe(-E.ENXIO);
    const m = vfs.open('/dev/ptmx', O_RDWR);
    if (typeof m === 'number') throw new Error(`ptmx: ${m}`);
    expect(m.stat()).toMatchObject({ rdev: makedev(5, 2), mode: 0o20666 });
    expect(asked).toEqual([
      ['tty', makedev(5, 0)],
      ['ptmx', makedev(5, 2)],
    ]);
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

/** A stand-in for /proc: self/fd/<n> are magic links whose text names a host path but which jump to `targets[n]`. */
class MagicFs implements Filesystem {
  dev = 0;
  constructor(
    readonly targets: (Location | number)[],
    readonly text: string,
  ) {}
  root(): TestNode {
    return new TestNode(this, S_IFDIR, 'root');
  }
}

class TestNode extends ReadOnlyNode {
  constructor(
    readonly fs: MagicFs,
    readonly kind: number,
    private readonly role: string,
  ) {
    super();
  }
  stat(): Stat {
    return {
      dev: this.fs.dev,
      ino: this.role.length,
      mode: this.kind | 0o777,
      nlink: 1,
      uid: 0,
      gid: 0,
      rdev: 0,
      size: 0,
      blksize: 4096,
      blocks: 0,
      atimeSec: 0,
      atimeNsec: 0,
      mtimeSec: 0,
      mtimeNsec: 0,
      ctimeSec: 0,
      ctimeNsec: 0,
    };
  }
  open(): FileDescription | number {
    return -E.EACCES;
  }
  statfs(): StatFs {
    return {
      type: TMPFS_MAGIC,
      bsize: 4096,
      blocks: 0,
      bfree: 0,
      bavail: 0,
      files: 0,
      ffree: 0,
      fsid: [0, 0],
      namelen: 255,
      frsize: 4096,
      flags: 0,
    };
  }
  override lookup(name: string): TestNode | number {
    if (this.role === 'root' && name === 'self') return new TestNode(this.fs, S_IFDIR, 'self');
    if (this.role === 'self' && name === 'fd') return new TestNode(this.fs, S_IFDIR, 'fd');
    if (this.role === 'fd' && /^[0-9]$/.test(name) && Number(name) < this.fs.targets.length) return new TestNode(this.fs, S_IFLNK, name);
    return -E.ENOENT;
  }
  override readlink(): string {
    return this.fs.text;
  }
  get jump(): (() => Location | number) | undefined {
    return this.kind === S_IFLNK ? () => this.fs.targets[Number(this.role)]! : undefined;
  }
}

describe('/dev links into /proc/self/fd', () => {
  it('fd, stdin, stdout and stderr are symlinks, as on Linux', () => {
    const vfs = new Vfs({ root: fx.root });
    const link = (p: string) => Buffer.from(vfs.readlink(p) as Uint8Array).toString();
    expect(['fd', 'stdin', 'stdout', 'stderr'].map((n) => link(`/dev/${n}`))).toEqual([
      '/proc/self/fd',
      '/proc/self/fd/0',
      '/proc/self/fd/1',
      '/proc/self/fd/2',
    ]);
    expect(vfs.lstat('/dev/stdin')).toMatchObject({ mode: S_IFLNK | 0o777 });
  });

  it('a magic link is followed to its location, never to its text, and counts toward ELOOP', () => {
    const vfs = new Vfs({ root: fx.root });
    const data = vfs.resolve('/data') as Location;
    const passwd = vfs.resolve('/etc/passwd') as Location;
    const targets: (Location | number)[] = [passwd, data, -E.ENOENT];
    vfs.mount('/proc', new MagicFs(targets, `${fx.outside}/secret.txt`));
    targets.push(vfs.resolve('/proc/self/fd') as Location); // fd 3 is /proc/self/fd itself
    // The text names a host path outside the root: resolving it would be ENOENT, the jump reaches the file.
    expect(readText(vfs, '/dev/stdin')).toBe('sandbox passwd\n');
    expect(readText(vfs, '/dev/fd/1/hello.txt')).toBe('hello lower\n');
    expect(readText(vfs, '/dev/fd/1/../etc/passwd')).toBe('sandbox passwd\n');
    expect(readText(vfs, '/dev/fd/1/../../../../etc/passwd')).toBe('sandbox passwd\n');
    expect(vfs.stat('/dev/stderr')).toBe(-E.ENOENT);
    expect(vfs.open('/dev/stdin/x', O_RDONLY)).toBe(-E.ENOTDIR);
    expect(vfs.open('/dev/stdin', O_RDONLY | O_NOFOLLOW)).toBe(-E.ELOOP);
    expect(vfs.open('/proc/self/fd/0', O_RDONLY | O_NOFOLLOW)).toBe(-E.ELOOP);
    // /dev/fd (1) + /proc/self/fd/3 repeated: 40 links resolve, the 41st is ELOOP.
    expect(typeof vfs.open(`/dev/fd${'/3'.repeat(39)}`, O_RDONLY | O_DIRECTORY)).toBe('object');
    expect(vfs.open(`/dev/fd${'/3'.repeat(40)}`, O_RDONLY | O_DIRECTORY)).toBe(-E.ELOOP);
  });
});
