import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { O_DIRECTORY, O_RDONLY, SEEK_SET } from './constants.js';
import { decodeDirents64 } from './dirent.js';
import type { Stat } from './stat.js';
import { type Fixture, makeFixture, writeText } from './test-helpers.js';
import { Vfs } from './vfs.js';

let fx: Fixture;
let vfs: Vfs;
beforeEach(() => {
  fx = makeFixture();
  vfs = new Vfs({ root: fx.root });
});
afterEach(() => fx.cleanup());

describe('getdents64', () => {
  it('writes the linux_dirent64 byte layout', () => {
    const d = vfs.open('/data/empty', O_RDONLY | O_DIRECTORY);
    if (typeof d === 'number') throw new Error();
    const buf = new Uint8Array(256).fill(0xaa);
    expect(d.getdents64(buf)).toBe(48); // "." and "..": 19-byte header + name + NUL, rounded up to 24
    const v = new DataView(buf.buffer);
    const self = vfs.stat('/data/empty') as Stat;
    const parent = vfs.stat('/data') as Stat;
    expect(v.getBigUint64(0, true)).toBe(BigInt(self.ino)); // d_ino
    expect(v.getBigInt64(8, true)).toBe(1n); // d_off: where the next read resumes
    expect(v.getUint16(16, true)).toBe(24); // d_reclen
    expect(buf[18]).toBe(4); // d_type DT_DIR
    expect([...buf.subarray(19, 24)]).toEqual([0x2e, 0, 0, 0, 0]); // ".", NUL, zero padding
    expect(v.getBigUint64(24, true)).toBe(BigInt(parent.ino));
    expect(v.getBigInt64(32, true)).toBe(2n);
    expect([...buf.subarray(24 + 19, 48)]).toEqual([0x2e, 0x2e, 0, 0, 0]);
    expect(buf[48]).toBe(0xaa); // nothing written past the returned length
    expect(d.getdents64(buf)).toBe(0);
  });

  it('resumes across small buffers, rewinds with lseek, and types entries', () => {
    for (let i = 0; i < 40; i++) expect(writeText(vfs, `/data/file-with-a-longish-name-${i}`, 'x')).toBe(0);
    const d = vfs.open('/data', O_RDONLY | O_DIRECTORY);
    if (typeof d === 'number') throw new Error();
    expect(d.getdents64(new Uint8Array(20))).toBe(-E.EINVAL); // not even one record fits
    const seen: ReturnType<typeof decodeDirents64> = [];
    const buf = new Uint8Array(100);
    for (let n = d.getdents64(buf); n > 0; n = d.getdents64(buf)) {
      expect(n % 8).toBe(0);
      seen.push(...decodeDirents64(buf, n));
    }
    const names = seen.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(2 + 3 + 40);
    expect(seen.map((e) => e.off)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.find((e) => e.name === 'hello.txt')?.type).toBe(8); // DT_REG
    expect(seen.find((e) => e.name === 'sub')?.type).toBe(4);
    expect(seen.find((e) => e.name === 'hello.txt')?.ino).toBe((vfs.stat('/data/hello.txt') as Stat).ino);
    // Resume from a d_off taken from the middle.
    expect(d.lseek(seen[10]!.off, SEEK_SET)).toBe(11);
    const again = decodeDirents64(buf, d.getdents64(buf));
    expect(again[0]!.name).toBe(seen[11]!.name);
    expect(d.lseek(0, SEEK_SET)).toBe(0);
    expect(decodeDirents64(buf, d.getdents64(buf))[0]!.name).toBe('.');
  });

  it('lists symlink types from the host tree', () => {
    const d = vfs.open('/links', O_RDONLY | O_DIRECTORY);
    if (typeof d === 'number') throw new Error();
    const buf = new Uint8Array(4096);
    const entries = decodeDirents64(buf, d.getdents64(buf));
    expect(entries.find((e) => e.name === 'abs')?.type).toBe(10); // DT_LNK
  });
});
