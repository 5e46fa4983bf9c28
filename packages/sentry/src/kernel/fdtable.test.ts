import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import type { FileDescription } from '../vfs/index.js';
import { FdBitmap } from './fd-bitmap.js';
import { FdTable } from './fdtable.js';

/** A description with nothing to close. */
function file(): FileDescription {
  return { writer: null, events: null, close: () => 0 } as unknown as FileDescription;
}

/** The lowest free descriptor >= min as the rule says it: the first gap, by walking. */
function modelLowest(used: Set<number>, min: number): number {
  let fd = min;
  while (used.has(fd)) fd++;
  return fd;
}

describe('FdBitmap', () => {
  it('finds the lowest free integer at or above any start, across word and word-of-words boundaries', () => {
    const b = new FdBitmap();
    for (let i = 0; i < 32 * 32 * 3 + 5; i++) b.add(i);
    expect(b.lowestFree(0)).toBe(3077);
    b.delete(31);
    b.delete(32 * 32 + 7);
    expect([b.lowestFree(0), b.lowestFree(32), b.lowestFree(32 * 32 + 8), b.lowestFree(5000)]).toEqual([31, 1031, 3077, 5000]);
    b.add(31);
    b.add(32 * 32 + 7);
    expect([b.has(31), b.has(1031), b.has(99_999)]).toEqual([true, true, false]);
    expect(b.lowestFree(0)).toBe(3077);
  });

  it('agrees with a walk over random adds and deletes', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const b = new FdBitmap();
    const used = new Set<number>();
    for (let step = 0; step < 20_000; step++) {
      // Mostly dense near 0 (as descriptors are), now and then far out.
      const fd = rand(10) === 0 ? rand(70_000) : rand(3000);
      if (rand(3) === 0) {
        b.delete(fd);
        used.delete(fd);
      } else {
        b.add(fd);
        used.add(fd);
      }
      const from = rand(4) === 0 ? rand(70_000) : 0;
      expect(b.lowestFree(from)).toBe(modelLowest(used, from));
    }
  });
});

describe('FdTable', () => {
  it('takes the lowest free descriptor, at or above F_DUPFD-style minimums, up to the limit', () => {
    const t = new FdTable();
    t.limit = 70;
    for (let i = 0; i < 10; i++) expect(t.add(file())).toBe(i);
    expect(t.close(3)).toBe(0);
    expect(t.close(7)).toBe(0);
    expect(t.lowestFree()).toBe(3);
    expect(t.add(file(), false, 5)).toBe(7);
    expect(t.add(file())).toBe(3);
    expect(t.add(file())).toBe(10);
    expect(t.put(64, file())).toBe(64); // dup2 past the rest
    expect(t.add(file(), true, 64)).toBe(65);
    expect(t.cloexec(65)).toBe(true);
    expect(t.add(file(), false, 70)).toBe(-E.EINVAL);
    for (let fd = 11; fd < 64; fd++) expect(t.add(file())).toBe(fd);
    expect(t.add(file())).toBe(66);
    expect(t.add(file(), false, 69)).toBe(69);
    expect(t.add(file())).toBe(67);
    expect(t.add(file())).toBe(68);
    expect([t.lowestFree(), t.add(file())]).toEqual([-E.EMFILE, -E.EMFILE]);
    expect(t.close(20)).toBe(0);
    expect(t.add(file(), false, 21)).toBe(-E.EMFILE);
    expect(t.add(file())).toBe(20);
  });

  it('a lowered limit makes the descriptors above it unreachable for new files, while those open stay', () => {
    const t = new FdTable();
    for (let i = 0; i < 10; i++) t.add(file());
    t.limit = 5;
    expect(t.add(file())).toBe(-E.EMFILE);
    expect(t.close(2)).toBe(0);
    expect(t.add(file())).toBe(2);
    expect(t.get(9)).toBeDefined();
  });

  it('65 536 descriptors: with every other one closed, reopening fills the gaps lowest first, then EMFILE', () => {
    const t = new FdTable();
    t.limit = 1 << 16;
    for (let i = 0; i < 1 << 16; i++) t.add(file());
    for (let fd = (1 << 16) - 1; fd >= 0; fd -= 2) t.close(fd);
    for (let fd = 1; fd < 1 << 16; fd += 2) expect(t.add(file())).toBe(fd);
    expect(t.add(file())).toBe(-E.EMFILE);
  });
});
