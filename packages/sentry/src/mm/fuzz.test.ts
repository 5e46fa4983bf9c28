// Hostile input: thousands of random (often nonsensical) calls must never
// throw, and after each one the VMAs, the address space and the accounting
// must agree with each other.
import { describe, expect, it } from 'vitest';
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MREMAP_DONTUNMAP,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  PROT_EXEC,
  PROT_GROWSDOWN,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from './constants.js';
import type { FakeAddressSpace, FakePhysicalMemory } from './fake.js';
import type { MemoryManager } from './mm.js';
import { mapProt } from './pager.js';
import { memFile, newMm, pattern, rwOpen, TestInode } from './test-helpers.js';
import { U64 } from './usercopy.js';

const PAGE = 0x1000;
const REGION = 0x100_0000; // most addresses land in [REGION, 5 * REGION)

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const HOSTILE = [-1, -4096, 0, 1, 0.5, Number.NaN, Infinity, 2 ** 47, 2 ** 47 - PAGE, 2 ** 53, 2 ** 64, 0xffff_8000_0000_0000, 2 ** 31];

/**
 * What the memory manager's own check (checkMemory, on after every call
 * here) cannot know: each page is mapped with exactly its VMA's protection
 * (or write-protected while a clean shared file page), and the allocator's
 * count of frames in use agrees with the account.
 */
function audit(mm: MemoryManager, as: FakeAddressSpace, mem: FakePhysicalMemory): string | null {
  const bad = mm.checkInvariants();
  if (bad !== null) return bad;
  for (const [vpn, pte] of as.ptes) {
    const va = vpn * PAGE;
    const v = mm.vmaAt(va)!;
    if (pte.prot !== v.prot && pte.prot !== mapProt(v)) return `page 0x${va.toString(16)} mapped with ${pte.prot}, VMA has ${v.prot}`;
  }
  if (mem.used - PAGE !== mm.memoryUsed) return `frames in use ${mem.used - PAGE} != charged ${mm.memoryUsed}`;
  if (mm.memoryUsed > mm.account.limit) return 'over the limit';
  return null;
}

function run(seed: number, steps: number): void {
  const r = rng(seed);
  const { mm, as, mem } = newMm({ memoryLimit: 24 << 20 }, 32 << 20);
  mm.setBrk(REGION - 64 * PAGE);
  const file = memFile(pattern(10 * PAGE + 123));
  // A writable file, opened twice: shared mappings of it write back and share frames.
  const inode = new TestInode(pattern(10 * PAGE + 123));
  const opens = [rwOpen(inode), rwOpen(inode)];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number) => Math.floor(r() * n);
  const addr = () => (r() < 0.1 ? pick(HOSTILE) : REGION + int((4 * REGION) / PAGE) * PAGE + (r() < 0.05 ? int(PAGE) : 0));
  const len = () => (r() < 0.1 ? pick(HOSTILE) : r() < 0.2 ? int(4 << 20) : (1 + int(64)) * PAGE - (r() < 0.1 ? int(PAGE) : 0));
  const prot = () => (r() < 0.05 ? pick(HOSTILE) : int(8) | (r() < 0.05 ? PROT_GROWSDOWN : 0));
  const mflags = () => {
    if (r() < 0.05) return pick(HOSTILE);
    let f = pick([MAP_PRIVATE, MAP_PRIVATE, MAP_SHARED, 0, 3]);
    if (r() < 0.7) f |= MAP_ANONYMOUS;
    if (r() < 0.3) f |= MAP_FIXED;
    if (r() < 0.1) f |= MAP_FIXED_NOREPLACE;
    if (r() < 0.1) f |= MAP_POPULATE;
    if (r() < 0.1) f |= MAP_NORESERVE;
    if (r() < 0.05) f |= MAP_GROWSDOWN;
    return f;
  };
  const buf = new Uint8Array(3 * PAGE);
  const u64 = new U64();
  let mapped = 0;
  let maxVmas = 0;
  let maxResident = 0;
  for (let step = 0; step < steps; step++) {
    const op = int(15);
    const what = `seed ${seed} step ${step} op ${op}`;
    switch (op) {
      case 0:
      case 1:
        if (mm.mmap(addr(), len(), prot(), mflags(), pick([file, undefined, ...opens]), r() < 0.9 ? int(12) * PAGE : pick(HOSTILE)) > 0)
          mapped++;
        break;
      case 2:
        mm.munmap(addr(), len());
        break;
      case 3:
        mm.mprotect(addr(), len(), prot());
        break;
      case 4:
        mm.mremap(
          addr(),
          len(),
          len(),
          pick([0, MREMAP_MAYMOVE, MREMAP_MAYMOVE | MREMAP_FIXED, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 7, 8]),
          addr(),
        );
        break;
      case 5:
        mm.madvise(addr(), len(), pick([0, 3, 4, 8, 9, 22, 23, 100, 1234]));
        break;
      case 6:
        mm.brk(r() < 0.8 ? REGION - 64 * PAGE + int(256) * PAGE : addr());
        break;
      case 7: {
        const n = int(buf.length + 1);
        const a = addr();
        expect(mm.copyOut(a, buf, n) === 0 || mm.copyOut(a, buf, n) < 0, what).toBe(true);
        break;
      }
      case 8:
        mm.copyIn(addr(), buf, r() < 0.9 ? int(buf.length + 1) : pick(HOSTILE));
        break;
      case 9:
        mm.readCString(addr(), pick([1, 10, 4096, 0, -1]));
        break;
      case 10:
        mm.handleFault(addr(), pick([1, 2, 4]));
        break;
      case 11:
        mm.readU64(addr(), u64);
        mm.writeU32(addr(), 7);
        mm.readIovecs(addr(), pick([0, 1, 3, 1025, -1]));
        break;
      case 12: {
        // a store somewhere mapped, so that every kind of VMA gets dirty pages
        const v = mm.vmas.length > 0 ? mm.vmas[int(mm.vmas.length)]! : undefined;
        if (v !== undefined) mm.writeU32(v.start + int((v.end - v.start) / PAGE) * PAGE + int(PAGE - 4), step);
        break;
      }
      case 13:
        if (mm.mmap(addr(), len(), PROT_READ | PROT_WRITE, MAP_SHARED | (r() < 0.3 ? MAP_FIXED : 0), pick(opens), int(12) * PAGE) > 0)
          mapped++;
        break;
      default:
        mm.msync(addr(), len(), int(8));
        mm.mlock(addr(), len());
        break;
    }
    const bad = audit(mm, as, mem);
    expect(bad, what).toBeNull();
    maxVmas = Math.max(maxVmas, mm.vmas.length);
    maxResident = Math.max(maxResident, as.ptes.size);
  }
  // The run exercised something: mappings succeeded, pages were touched.
  expect(mapped).toBeGreaterThan(steps / 20);
  expect(maxVmas).toBeGreaterThan(10);
  expect(maxResident).toBeGreaterThan(100);
  mm.release();
  expect(mem.used).toBe(PAGE);
  expect(mm.memoryUsed).toBe(0);
  expect(mm.pageCache.size).toBe(0);
  expect(opens.map((o) => o.holds)).toEqual([0, 0]);
  expect(inode.data.length).toBe(10 * PAGE + 123); // write-back never extends the file
  expect(inode.writes).toBeGreaterThan(0);
}

describe('hostile input', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`random calls keep everything consistent (seed ${seed})`, () => run(seed, 1500));
  }

  it('the audit notices a stray mapping', () => {
    const { mm, as, mem } = newMm();
    expect(audit(mm, as, mem)).toBeNull();
    as.map(0x10_0000, PAGE, mem.allocate(1), PROT_READ);
    expect(audit(mm, as, mem)).toMatch(/maps frame 0x[0-9a-f]+ but the process holds no page there/);
  });

  it('unmapping a huge sparse reservation is cheap', () => {
    const { mm } = newMm();
    const a = mm.mmap(0, 2 ** 40, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
    expect(a).toBeGreaterThan(0);
    expect(mm.mprotect(a + 2 ** 39, 1 << 20, PROT_READ | PROT_WRITE | PROT_EXEC)).toBe(0);
    expect(mm.writeU32(a + 2 ** 39, 1)).toBe(0);
    const t = performance.now();
    expect(mm.mprotect(a, 2 ** 40, PROT_READ)).toBe(0);
    expect(mm.munmap(a, 2 ** 40)).toBe(0);
    // A few ms here. A walk of the range's 2^28 pages would take minutes: the
    // bound is that gap (the work is not proportional to the range), not a speed target.
    expect(performance.now() - t).toBeLessThan(5000);
    expect(mm.memoryUsed).toBe(0);
  });
});
