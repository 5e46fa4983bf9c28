import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { HostCache } from './host-cache.js';
import { HostFs, type HostNode } from './hostfs.js';
import type { Stat } from './stat.js';
import { type Fixture, list, makeFixture, readText } from './test-helpers.js';
import { Vfs } from './vfs.js';

let fx: Fixture;
beforeEach(() => {
  fx = makeFixture();
});
afterEach(() => fx.cleanup());

const host = (rel: string): string => path.join(fx.root, rel);
const node = (n: HostNode | number): HostNode => {
  if (typeof n === 'number') throw new Error(`errno ${n}`);
  return n;
};

describe('HostCache', () => {
  const stat = { ino: 1 } as Stat;

  it('keeps what was found and ENOENT, asks again after any other error', () => {
    const c = new HostCache<object>(100);
    const dir = {};
    let asked = 0;
    const ask = (r: object | number) => () => (asked++, r);
    const child = {};
    expect(c.child(dir, 'a', ask(child))).toBe(child);
    expect(c.child(dir, 'a', ask(-E.EIO))).toBe(child);
    expect(c.child(dir, 'gone', ask(-E.ENOENT))).toBe(-E.ENOENT);
    expect(c.child(dir, 'gone', ask(child))).toBe(-E.ENOENT);
    expect(c.child(dir, 'busy', ask(-E.EMFILE))).toBe(-E.EMFILE);
    expect(c.child(dir, 'busy', ask(child))).toBe(child);
    expect(c.fact(dir, 'stat', () => -E.ENFILE)).toBe(-E.ENFILE);
    expect(c.fact(dir, 'stat', () => stat)).toBe(stat);
    expect(c.fact(dir, 'stat', () => -E.EIO)).toBe(stat);
    expect(asked).toBe(4);
    expect(c.size).toBe(4);
  });

  it('stays within its bound whatever is walked', () => {
    const c = new HostCache<object>(1000);
    const dirs = Array.from({ length: 300 }, () => ({}));
    let most = 0;
    for (let i = 0; i < 200_000; i++) {
      c.child(dirs[i % dirs.length]!, `n${i}`, () => -E.ENOENT);
      most = Math.max(most, c.size);
    }
    expect(most).toBe(1000);
  });

  it('drops the least recently used first', () => {
    const c = new HostCache<object>(10);
    const [a, b, dir] = [{}, {}, {}];
    c.fact(a, 'stat', () => stat);
    c.fact(b, 'stat', () => stat);
    for (let i = 0; i < 7; i++) c.child(dir, `n${i}`, () => -E.ENOENT);
    expect(c.fact(a, 'stat', () => -E.EIO)).toBe(stat); // a is now the most recently used
    c.child(dir, 'n7', () => -E.ENOENT);
    c.child(dir, 'n8', () => -E.ENOENT); // 11 names: b, the oldest, goes
    expect(c.size).toBe(10);
    expect(c.fact(b, 'stat', () => -E.EIO)).toBe(-E.EIO);
    expect(c.fact(a, 'stat', () => -E.EIO)).toBe(stat);
  });

  it('one directory where millions of names are tried stays within the bound too', () => {
    const c = new HostCache<object>(1000);
    const dir = {};
    for (let i = 0; i < 100_000; i++) c.child(dir, `n${i}`, () => -E.ENOENT);
    expect(c.size).toBeLessThanOrEqual(1000);
  });

  it('does not keep a listing longer than an eighth of its bound', () => {
    const c = new HostCache<object>(800);
    const dir = {};
    const long = Array.from({ length: 100 }, (_, i) => ({ name: `f${i}`, ino: i, kind: 0 }));
    expect(c.fact(dir, 'list', () => long)).toBe(long);
    expect(c.fact(dir, 'list', () => -E.EIO)).toBe(-E.EIO);
    const short = long.slice(0, 99);
    expect(c.fact(dir, 'list', () => short)).toBe(short);
    expect(c.fact(dir, 'list', () => -E.EIO)).toBe(short);
  });
});

describe('a read-only host tree is a snapshot taken lazily', () => {
  it('names, stats, targets and listings seen once are answered from memory', () => {
    const vfs = new Vfs({ root: fx.root });
    expect(vfs.stat('/data/new.txt')).toBe(-E.ENOENT);
    expect((vfs.stat('/data/hello.txt') as Stat).size).toBe(12);
    expect(list(vfs, '/data')).toEqual(['empty', 'hello.txt', 'sub']);
    expect(readText(vfs, '/links/dirlink/hello.txt')).toBe('hello lower\n');
    // The host changes underneath: the run keeps seeing what it saw.
    fs.writeFileSync(host('data/new.txt'), 'new');
    fs.appendFileSync(host('data/hello.txt'), 'more\n');
    fs.unlinkSync(host('links/dirlink'));
    fs.symlinkSync('../etc', host('links/dirlink'));
    expect(vfs.stat('/data/new.txt')).toBe(-E.ENOENT);
    expect((vfs.stat('/data/hello.txt') as Stat).size).toBe(12);
    expect(list(vfs, '/data')).toEqual(['empty', 'hello.txt', 'sub']);
    expect(vfs.stat('/links/dirlink/hello.txt')).not.toBe(-E.ENOENT);
    // What was never looked at is read from the host when first needed.
    expect(readText(vfs, '/data/sub/inner.txt')).toBe('inner\n');
  });

  it("a cached listing is the caller's own copy", () => {
    const hfs = new HostFs(fx.root, true);
    const data = node(hfs.root().lookup('data'));
    const first = data.readdir() as { name: string }[];
    first.push({ name: 'mount-point' });
    expect((data.readdir() as { name: string }[]).map((e) => e.name).sort()).toEqual(['empty', 'hello.txt', 'sub']);
  });

  it('file contents are always read from the host', () => {
    const vfs = new Vfs({ root: fx.root });
    expect(readText(vfs, '/data/hello.txt')).toBe('hello lower\n');
    fs.writeFileSync(host('data/hello.txt'), 'changed\n');
    expect(readText(vfs, '/data/hello.txt')).toBe('changed\n');
  });

  it('a cached directory the host moves out of the root opens nothing there', () => {
    const hfs = new HostFs(fx.root, true);
    const sub = node(node(hfs.root().lookup('data')).lookup('sub'));
    const inner = node(sub.lookup('inner.txt'));
    expect(typeof inner.stat()).toBe('object');
    fs.renameSync(host('data/sub'), path.join(fx.outside, 'sub'));
    hfs.close(); // its handle too: it is reopened from the root
    expect(inner.open(0)).toBe(-E.ENOENT);
    expect(sub.lookup('other.txt')).toBe(-E.ENOENT);
  });

  it('hiding applies to what is cached: mounting forgets what was learnt before the rule was set', () => {
    const hfs = new HostFs(fx.root, true);
    expect(typeof hfs.root().lookup('etc')).toBe('object');
    hfs.hide = (_dir, name) => name === 'etc';
    hfs.dev = 7;
    expect(hfs.root().lookup('etc')).toBe(-E.ENOENT);
    expect((hfs.root().stat() as Stat).dev).toBe(7);
  });
});

describe('a writable host tree is not cached', () => {
  it('every change on the host is seen at once', () => {
    const vfs = new Vfs({ root: fx.root, volumes: [`${host('data')}:/vol`] });
    expect(vfs.stat('/vol/new.txt')).toBe(-E.ENOENT);
    expect((vfs.stat('/vol/hello.txt') as Stat).size).toBe(12);
    fs.writeFileSync(host('data/new.txt'), 'new');
    fs.appendFileSync(host('data/hello.txt'), 'more\n');
    expect((vfs.stat('/vol/new.txt') as Stat).size).toBe(3);
    expect((vfs.stat('/vol/hello.txt') as Stat).size).toBe(17);
    expect(list(vfs, '/vol')).toEqual(['empty', 'hello.txt', 'new.txt', 'sub']);
  });
});
