import { describe, expect, it } from 'vitest';
import { CHUNK_HOST_BYTES, PageMap } from './pagemap.js';

const PAGE = 4096;
const TOP = 0x7fff_ffff_f000;

function pairs(m: PageMap, start: number, end: number): number[][] {
  const out: number[][] = [];
  m.forEach(start, end, (va, f) => out.push([va, f]));
  return out;
}

describe('PageMap', () => {
  it('keeps a frame per page, near zero and at the top of user space', () => {
    const m = new PageMap();
    expect(m.get(0)).toBe(-1);
    m.set(0, 0x10_0000);
    m.set(TOP, 0xffff_f000); // the last frame of a 4 GiB guest
    m.set(0x40_0000, 0x20_0000);
    m.set(0x40_0000, 0x30_0000); // replaced, not added
    expect([m.get(0), m.get(TOP), m.get(0x40_0000), m.get(0x40_1000), m.size]).toEqual([0x10_0000, 0xffff_f000, 0x30_0000, -1, 3]);
    m.deleteRange(0x40_0000, 0x40_1000);
    m.deleteRange(0x40_0000, 0x40_1000); // twice is nothing
    m.deleteRange(0x9000, 0xa000); // never there
    expect([m.get(0x40_0000), m.size, m.hostBytes]).toEqual([-1, 2, 2 * CHUNK_HOST_BYTES]);
  });

  it('walks a range in address order, across chunks, costing what it holds over a huge sparse range', () => {
    const m = new PageMap();
    const vas = [0x7fff_f000_0000, 0x1000, 0x3f000, 0x40000, 0x5555_0000_0000];
    vas.forEach((va, i) => m.set(va, (i + 1) * PAGE));
    expect(pairs(m, 0, TOP + PAGE).map(([va]) => va)).toEqual([...vas].sort((a, b) => a - b));
    expect(pairs(m, 0x3f000, 0x41000)).toEqual([
      [0x3f000, 3 * PAGE],
      [0x40000, 4 * PAGE],
    ]);
    expect(pairs(m, 0x2000, 0x3f000)).toEqual([]);
    expect([m.count(0, TOP + PAGE), m.count(0x1000, 0x40000), m.count(0x40000, 0x40000)]).toEqual([5, 2, 0]);
  });

  it('counts a full chunk without walking it, and a partial one page by page', () => {
    const m = new PageMap();
    for (let p = 0; p < 200; p++) m.set(0x100_0000 + p * PAGE, (p + 1) * PAGE);
    expect(m.count(0x100_0000, 0x100_0000 + 200 * PAGE)).toBe(200);
    expect(m.count(0x100_0000 + 10 * PAGE, 0x100_0000 + 150 * PAGE)).toBe(140);
  });

  it('gives runs of contiguous frames across chunk boundaries, and lets the caller delete them as it goes', () => {
    const m = new PageMap();
    const base = 0x100_0000 - 2 * PAGE; // straddles a chunk boundary
    for (let p = 0; p < 6; p++) m.set(base + p * PAGE, 0x50_0000 + p * PAGE);
    m.set(base + 6 * PAGE, 0x90_0000); // contiguous address, not frame
    const runs: number[][] = [];
    m.forEachRun(0, TOP + PAGE, (va, len, frame) => {
      runs.push([va, len, frame]);
      m.deleteRange(va, va + len);
    });
    expect(runs).toEqual([
      [base, 6 * PAGE, 0x50_0000],
      [base + 6 * PAGE, PAGE, 0x90_0000],
    ]);
    expect([m.size, m.hostBytes]).toEqual([0, 0]);
  });

  it('deleteRange drops whole chunks at once and clears the part of others it covers', () => {
    const m = new PageMap();
    for (let p = 0; p < 300; p++) m.set(0x100_0000 + p * PAGE, (p + 1) * PAGE);
    m.deleteRange(0x100_0000 + 10 * PAGE, 0x100_0000 + 290 * PAGE);
    expect(m.size).toBe(20);
    expect(pairs(m, 0, TOP + PAGE).map(([va]) => (va! - 0x100_0000) / PAGE)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => i),
      ...Array.from({ length: 10 }, (_, i) => 290 + i),
    ]);
    expect(m.hostBytes).toBe(2 * CHUNK_HOST_BYTES); // the first and the fifth chunk keep pages
    m.deleteRange(0, TOP + PAGE);
    expect([m.size, m.hostBytes, m.get(0x100_0000)]).toEqual([0, 0, -1]);
  });

  it('forEachEntry visits every page once', () => {
    const m = new PageMap();
    for (let p = 0; p < 100; p += 3) m.set(p * 0x10_0000, (p + 1) * PAGE);
    const seen = new Map<number, number>();
    m.forEachEntry((va, f) => seen.set(va, f));
    expect(seen.size).toBe(m.size);
    for (const [va, f] of seen) expect(m.get(va)).toBe(f);
  });
});
