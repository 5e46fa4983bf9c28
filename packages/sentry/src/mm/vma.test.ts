import { describe, expect, it } from 'vitest';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_READ, PROT_WRITE } from './constants.js';
import { newMm } from './test-helpers.js';
import { type Vma, VmaList } from './vma.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const K = 0x1000;

function anon(start: number, end: number, prot = RW): Vma {
  return { start, end, prot, flags: 0, file: null, offset: 0, shm: null, name: '' };
}

function ranges(vmas: readonly Vma[]): string[] {
  return vmas.map((v) => `${v.start.toString(16)}-${v.end.toString(16)}:${v.prot}`);
}

describe('VmaList', () => {
  it('keeps VMAs sorted and merges compatible neighbours on insert', () => {
    const l = new VmaList();
    l.insert(anon(0x30 * K, 0x40 * K));
    l.insert(anon(0x10 * K, 0x20 * K));
    l.insert(anon(0x20 * K, 0x30 * K));
    expect(ranges(l.all)).toEqual(['10000-40000:3']);
    l.insert(anon(0x40 * K, 0x50 * K, PROT_READ));
    expect(ranges(l.all)).toEqual(['10000-40000:3', '40000-50000:1']);
    expect(l.total).toBe(0x40 * K);
    expect(l.check(K, 2 ** 47)).toBeNull();
  });

  it('splits, isolates and removes ranges', () => {
    const l = new VmaList();
    l.insert(anon(0x10 * K, 0x40 * K));
    expect(l.remove(0x18 * K, 0x20 * K).map((v) => [v.start, v.end])).toEqual([[0x18 * K, 0x20 * K]]);
    expect(ranges(l.all)).toEqual(['10000-18000:3', '20000-40000:3']);
    expect(l.find(0x17fff)?.start).toBe(0x10 * K);
    expect(l.find(0x18000)).toBeUndefined();
    expect(l.covers(0x20 * K, 0x40 * K)).toBe(true);
    expect(l.covers(0x10 * K, 0x20 * K)).toBe(false);
    expect(l.total).toBe(0x28 * K);
  });

  it('split file VMAs keep their offsets', () => {
    const l = new VmaList();
    const file = { pread: () => 0 };
    l.insert({ ...anon(0x10 * K, 0x20 * K), file, offset: 0x5000 });
    l.split(0x14 * K);
    expect(l.all.map((v) => v.offset)).toEqual([0x5000, 0x9000]);
  });
});

describe('VMAs through the system calls', () => {
  it('munmap in the middle splits; mapping the hole again merges', () => {
    const { mm } = newMm();
    const a = mm.mmap(0, 16 * K, RW, ANON);
    expect(mm.munmap(a + 4 * K, 4 * K)).toBe(0);
    expect(mm.vmas.length).toBe(2);
    expect(mm.mmap(a + 4 * K, 4 * K, RW, ANON | MAP_FIXED)).toBe(a + 4 * K);
    expect(mm.vmas.length).toBe(1);
    expect(mm.checkInvariants()).toBeNull();
  });

  it('mprotect splits a VMA in three and merges back', () => {
    const { mm } = newMm();
    const a = mm.mmap(0, 16 * K, RW, ANON);
    expect(mm.mprotect(a + 4 * K, 8 * K, PROT_READ)).toBe(0);
    expect(ranges(mm.vmas)).toEqual([
      `${a.toString(16)}-${(a + 4 * K).toString(16)}:3`,
      `${(a + 4 * K).toString(16)}-${(a + 12 * K).toString(16)}:1`,
      `${(a + 12 * K).toString(16)}-${(a + 16 * K).toString(16)}:3`,
    ]);
    expect(mm.mprotect(a, 16 * K, RW)).toBe(0);
    expect(mm.vmas.length).toBe(1);
    expect(mm.checkInvariants()).toBeNull();
  });
});
