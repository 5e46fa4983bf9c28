import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY, S_IFDIR, S_IFREG } from './constants.js';
import type { FileDescription } from './file.js';
import { HostFs, hostMode, type HostNode } from './hostfs.js';
import type { Location } from './location.js';
import { type Fixture, makeFixture, readText, SECRET, snapshot, writeText } from './test-helpers.js';
import { Vfs } from './vfs.js';

let fx: Fixture;
/** A writable volume at /vol, beside the sandbox root. */
let vol: string;
beforeEach(() => {
  fx = makeFixture();
  vol = path.join(fx.base, 'vol');
  fs.mkdirSync(vol);
});
afterEach(() => fx.cleanup());

const hostMode8 = (p: string): string => (fs.lstatSync(p).mode & 0o7777).toString(8);
const node = (n: HostNode | number): HostNode => {
  if (typeof n === 'number') throw new Error(`errno ${n}`);
  return n;
};

describe('set-user-ID and set-group-ID bits never reach the host', () => {
  it('create, mkdir and chmod strip them; the sticky bit stays on directories only', () => {
    const vfs = new Vfs({ root: fx.root, volumes: [`${vol}:/vol`] });
    const f = vfs.open('/vol/suid', O_WRONLY | O_CREAT, 0o6755, { umask: 0 });
    expect(typeof f).toBe('object');
    (f as FileDescription).close();
    expect(hostMode8(path.join(vol, 'suid'))).toBe('755');
    expect(vfs.mkdir('/vol/sgid', 0o3777, { umask: 0 })).toBe(0);
    expect(hostMode8(path.join(vol, 'sgid'))).toBe('1777');
    fs.writeFileSync(path.join(vol, 'plain'), '');
    expect(vfs.chmod('/vol/plain', 0o7755)).toBe(0);
    expect(hostMode8(path.join(vol, 'plain'))).toBe('755');
    expect(vfs.chmod('/vol/sgid', 0o6755)).toBe(0);
    expect(hostMode8(path.join(vol, 'sgid'))).toBe('755');
    expect(vfs.stat('/vol/plain')).toMatchObject({ mode: S_IFREG | 0o755 });
  });

  it('a directory made in a set-group-ID host directory does not inherit the bit', () => {
    fs.chmodSync(vol, 0o2775);
    const vfs = new Vfs({ root: fx.root, volumes: [`${vol}:/vol`] });
    expect(vfs.mkdir('/vol/d', 0o755, { umask: 0 })).toBe(0);
    expect(hostMode8(path.join(vol, 'd'))).toBe('755');
  });

  it('hostMode', () => {
    expect(hostMode(S_IFREG, 0o7777)).toBe(0o777);
    expect(hostMode(S_IFDIR, 0o7777)).toBe(0o1777);
  });
});

describe('host descriptors a sandbox may hold', () => {
  it('beyond the budget opens give ENFILE and create nothing; closing gives them back', () => {
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(vol, `f${i}`), `${i}`);
    const vfs = new Vfs({ root: fx.root, volumes: [`${vol}:/vol`], hostFds: 4 });
    // The root's host files and the volume's share the budget.
    const held = ['/etc/passwd', '/vol/f0', '/vol/f1', '/vol/f2'].map((p) => vfs.open(p, O_RDONLY));
    expect(held.map((d) => typeof d)).toEqual(['object', 'object', 'object', 'object']);
    expect(vfs.open('/vol/f3', O_RDONLY)).toBe(-E.ENFILE);
    expect(vfs.open('/data/hello.txt', O_RDONLY)).toBe(-E.ENFILE);
    expect(vfs.open('/vol/new', O_WRONLY | O_CREAT, 0o644)).toBe(-E.ENFILE);
    expect(fs.existsSync(path.join(vol, 'new'))).toBe(false);
    // Directories, in-memory files and metadata calls need no host descriptor.
    expect(typeof vfs.open('/vol', O_RDONLY | O_DIRECTORY)).toBe('object');
    expect(writeText(vfs, '/tmp.txt', 'overlay')).toBe(0);
    expect(typeof vfs.stat('/vol/f3')).toBe('object');
    const d = held[1] as FileDescription;
    d.close();
    d.close(); // closing twice gives back one descriptor only
    const again = vfs.open('/vol/f3', O_RDONLY);
    expect(typeof again).toBe('object');
    expect(vfs.open('/vol/f0', O_RDONLY)).toBe(-E.ENFILE);
    (again as FileDescription).close();
    expect(readText(vfs, '/vol/f3')).toBe('3');
  });
});

describe('the host changing the tree underneath', () => {
  it('a directory replaced by a symlink to the host, with its handle evicted, is ENOENT — never followed', () => {
    fs.mkdirSync(path.join(vol, 'a', 'b'), { recursive: true });
    const hfs = new HostFs(vol, false, undefined, 2);
    const b = node(node(hfs.root().lookup('a')).lookup('b'));
    expect(typeof b.stat()).toBe('object');
    // The host moves a/ away and plants a/ -> outside (with b/secret.txt there).
    fs.renameSync(path.join(vol, 'a'), path.join(fx.base, 'moved'));
    fs.mkdirSync(path.join(fx.outside, 'b'));
    fs.writeFileSync(path.join(fx.outside, 'b', 'secret.txt'), SECRET);
    fs.symlinkSync(fx.outside, path.join(vol, 'a'));
    hfs.close();
    const before = snapshot(fx.outside);
    expect(b.stat()).toBe(-E.ENOENT);
    expect(b.lookup('secret.txt')).toBe(-E.ENOENT);
    expect(b.readdir()).toBe(-E.ENOENT);
    expect(b.create('x', 0o644, O_WRONLY, { uid: 0, gid: 0 })).toBe(-E.ENOENT);
    expect(b.mkdir('x', 0o755, { uid: 0, gid: 0 })).toBe(-E.ENOENT);
    expect(snapshot(fx.outside)).toEqual(before);
  });

  it('a kept directory the host moves out of the root is ENOENT, even with its handle cached', () => {
    fs.mkdirSync(path.join(vol, 'a'));
    fs.writeFileSync(path.join(vol, 'a', 'f'), 'in a');
    const hfs = new HostFs(vol, false);
    const a = node(hfs.root().lookup('a'));
    expect(a.readdir()).toMatchObject([{ name: 'f' }]);
    fs.renameSync(path.join(vol, 'a'), path.join(fx.outside, 'a'));
    expect(a.readdir()).toBe(-E.ENOENT);
    expect(a.create('x', 0o644, O_WRONLY, { uid: 0, gid: 0 })).toBe(-E.ENOENT);
    expect(fs.existsSync(path.join(fx.outside, 'a', 'x'))).toBe(false);
  });

  it('a kept file whose name the host points at a host file is ENOENT', () => {
    fs.writeFileSync(path.join(vol, 'f'), 'mine');
    const vfs = new Vfs({ root: fx.root, volumes: [`${vol}:/vol`] });
    const f = vfs.resolve('/vol/f') as Location;
    fs.unlinkSync(path.join(vol, 'f'));
    fs.symlinkSync(path.join(fx.outside, 'secret.txt'), path.join(vol, 'f'));
    expect(f.node.stat()).toBe(-E.ENOENT);
    expect(f.node.open(O_RDONLY)).toBe(-E.ENOENT);
    expect(f.node.setattr({ mode: 0o777 })).toBe(-E.ENOENT);
    expect(fs.statSync(path.join(fx.outside, 'secret.txt')).mode & 0o777).not.toBe(0o777);
  });
});

describe('directory handles', () => {
  it('are bounded, survive close(), and follow renames made through the filesystem', () => {
    let p = vol;
    for (let i = 0; i < 50; i++) fs.mkdirSync((p = path.join(p, `d${i}`)));
    fs.writeFileSync(path.join(p, 'leaf'), 'deep');
    const hfs = new HostFs(vol, false, undefined, 8);
    let n = hfs.root();
    for (let i = 0; i < 50; i++) n = node(n.lookup(`d${i}`));
    expect(n.readdir()).toMatchObject([{ name: 'leaf' }]);
    expect(hfs.dirHandles).toBeLessThanOrEqual(9);
    hfs.close();
    expect(hfs.dirHandles).toBe(0);
    expect(n.readdir()).toMatchObject([{ name: 'leaf' }]);
    // Rename d0 (an ancestor) and d49's parent; the deep node still reaches its directory after the cache is gone.
    const d0 = node(hfs.root().lookup('d0'));
    expect(hfs.root().rename('d0', hfs.root(), 'e0', 0)).toBe(0);
    expect(d0.name).toBe('e0');
    hfs.close();
    expect(n.readdir()).toMatchObject([{ name: 'leaf' }]);
    expect(fs.existsSync(path.join(vol, 'e0'))).toBe(true);
  });

  it('the same inode is one node while alive', () => {
    fs.mkdirSync(path.join(vol, 'a'));
    const hfs = new HostFs(vol, false);
    expect(hfs.root().lookup('a')).toBe(hfs.root().lookup('a'));
  });

  it('names that are not one component are refused before reaching the host', () => {
    const hfs = new HostFs(vol, false);
    for (const bad of ['', '.', '..', 'a/b', '../outside']) {
      expect(hfs.root().lookup(bad)).toBe(-E.EINVAL);
      expect(hfs.root().mkdir(bad, 0o755, { uid: 0, gid: 0 })).toBe(-E.EINVAL);
    }
  });
});
