import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE } from '@tsv/platform';
import { describe, expect, it } from 'vitest';
import {
  HUGE_PAGE_SIZE,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_GROWSDOWN,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from './constants.js';
import { FAULT_ACCERR, FAULT_MAPERR, FAULT_OK, FAULT_OOM, FAULT_SIGBUS } from './pager.js';
import { memFile, newMm, pattern } from './test-helpers.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const PAGE = 0x1000;
const MiB = 1 << 20;

describe('handleFault', () => {
  it('maps a 64 KiB window of fresh zero pages with one map call', () => {
    const { mm, as } = newMm();
    const a = mm.mmap(0x1000_0000, 1 * MiB, RW, ANON);
    expect(as.pagesMapped).toBe(0); // too big to populate eagerly
    expect(mm.handleFault(a + 0x2_3456, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(as.mapCalls).toBe(1);
    expect(as.pagesMapped).toBe(16);
    expect(as.translate(a + 0x2_0000, PROT_WRITE)).toBeGreaterThan(0);
    expect(as.translate(a + 0x2_f000, PROT_WRITE)).toBeGreaterThan(0);
    expect(as.translate(a + 0x3_0000, PROT_READ)).toBe(-1);
    expect(mm.stats).toMatchObject({ faults: 1, pagesMapped: 16, hugePages: 0 });
    expect(mm.memoryUsed).toBe(16 * PAGE);
  });

  it('slides the window inside the VMA at its edges', () => {
    const { mm, as } = newMm();
    const a = mm.mmap(0x1000_0000 + 3 * PAGE, 1 * MiB, RW, ANON | MAP_FIXED);
    expect(mm.handleFault(a, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(as.pagesMapped).toBe(16);
    expect(as.translate(a + 15 * PAGE, PROT_READ)).toBeGreaterThan(0);
    expect(mm.handleFault(a + 1 * MiB - 1, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(as.pagesMapped).toBe(32);
    expect(as.translate(a + 1 * MiB - 16 * PAGE, PROT_READ)).toBeGreaterThan(0);
    expect(as.mapCalls).toBe(2);
  });

  it('clips the window to the VMA and fills only missing pages', () => {
    const { mm, as } = newMm({ tunables: { eagerBytes: 0 } });
    const a = mm.mmap(0x1000_0000, 5 * PAGE, RW, ANON);
    expect(mm.handleFault(a + 2 * PAGE, ACCESS_READ)).toBe(FAULT_OK);
    expect(as.pagesMapped).toBe(5);
    mm.munmap(a + PAGE, PAGE);
    mm.mmap(a + PAGE, PAGE, RW, ANON | MAP_FIXED);
    as.pagesMapped = 0;
    expect(mm.handleFault(a + PAGE, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(as.pagesMapped).toBe(1);
  });

  it('grows the window of anonymous memory filled upwards with the resident run below it, up to streamBytes', () => {
    const { mm, as } = newMm({ tunables: { hugePages: false, streamBytes: 256 * 1024 } });
    const a = mm.mmap(0x1000_0000, 4 * MiB, RW, ANON);
    const windows: number[] = [];
    for (let at = a; at < a + 1 * MiB; ) {
      const before = as.pagesMapped;
      expect(mm.handleFault(at, ACCESS_WRITE)).toBe(FAULT_OK);
      windows.push(as.pagesMapped - before);
      at += (as.pagesMapped - before) * PAGE;
    }
    expect(windows).toEqual([16, 16, 32, 64, 64, 64]);
    // A fault with nothing resident just below it (a gap, or the far end) takes the plain window.
    expect(mm.handleFault(a + 3 * MiB, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(as.translate(a + 3 * MiB + 16 * PAGE, PROT_READ)).toBe(-1);
    // Grows-down mappings (stacks) and files are not streamed.
    const s = mm.mmap(0x2000_0000, 1 * MiB, RW, ANON | MAP_GROWSDOWN);
    expect(mm.handleFault(s + 64 * 1024, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(mm.handleFault(s + 128 * 1024, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(as.translate(s + 192 * 1024, PROT_READ)).toBe(-1);
  });

  it('a window never grows past the limit: near it, one page', () => {
    const { mm, as } = newMm({ memoryLimit: 36 * PAGE, tunables: { hugePages: false } });
    const a = mm.mmap(0x1000_0000, 40 * PAGE, RW, ANON | MAP_NORESERVE);
    expect(a).toBe(0x1000_0000);
    expect(mm.handleFault(a, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(mm.handleFault(a + 16 * PAGE, ACCESS_WRITE)).toBe(FAULT_OK);
    const before = as.pagesMapped;
    expect(mm.handleFault(a + 32 * PAGE, ACCESS_WRITE)).toBe(FAULT_OK); // the grown window (to the end, 8 pages) would not fit
    expect(as.pagesMapped - before).toBe(1);
  });

  it('uses one 2 MiB page for a fault in a fully covered aligned block', () => {
    const { mm, as, mem } = newMm();
    const a = mm.mmap(0, 8 * MiB, RW, ANON);
    expect(a % HUGE_PAGE_SIZE).toBe(0); // large anonymous mappings are 2 MiB aligned
    expect(mm.handleFault(a + 3 * MiB + 5, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(as.hugeMaps).toBe(1);
    expect(as.mapCalls).toBe(1);
    expect(mm.stats.hugePages).toBe(1);
    const f0 = as.translate(a + 2 * MiB, PROT_WRITE);
    expect(f0 % HUGE_PAGE_SIZE).toBe(0);
    expect(as.translate(a + 4 * MiB - PAGE, PROT_WRITE)).toBe(f0 + 2 * MiB - PAGE);
    expect(mem.used).toBe(PAGE + 2 * MiB);
    // Unmapping part of it frees just that part.
    expect(mm.munmap(a + 2 * MiB, 1 * MiB)).toBe(0);
    expect(mem.used).toBe(PAGE + 1 * MiB);
    expect(mm.readU32(a + 3 * MiB)).toBe(0);
  });

  it('falls back to 4 KiB pages when the block is partly populated or not covered', () => {
    const { mm, as } = newMm();
    const a = mm.mmap(0x4000_0000 + PAGE, 3 * MiB, RW, ANON | MAP_FIXED);
    expect(mm.handleFault(a, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(as.hugeMaps).toBe(0);
    const off = mm.mmap(0, 4 * MiB, RW, ANON);
    expect(mm.writeU32(off + 16, 1)).toBe(0);
    mm.munmap(off, PAGE); // the first block is no longer fully covered
    expect(mm.handleFault(off + 64 * 1024 * 2, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(as.hugeMaps).toBe(1); // only the earlier fault at off + 16
  });

  it('MAP_POPULATE uses 2 MiB pages for aligned blocks', () => {
    const { mm, as } = newMm();
    const a = mm.mmap(0, 4 * MiB + 8 * PAGE, RW, ANON | MAP_POPULATE);
    expect(as.hugeMaps).toBe(2);
    expect(as.ptes.size).toBe(1024 + 8);
    expect(mm.handleFault(a, ACCESS_WRITE)).toBe(FAULT_OK); // already resident
  });

  it('tells unmapped from forbidden and refuses kernel addresses', () => {
    const { mm } = newMm();
    const ro = mm.mmap(0x10_0000, PAGE, PROT_READ, ANON);
    const none = mm.mmap(0x20_0000, PAGE, PROT_NONE, ANON);
    expect(mm.handleFault(0x30_0000, ACCESS_READ)).toBe(FAULT_MAPERR);
    expect(mm.handleFault(ro, ACCESS_WRITE)).toBe(FAULT_ACCERR);
    expect(mm.handleFault(ro, ACCESS_EXEC)).toBe(FAULT_ACCERR);
    expect(mm.handleFault(ro, ACCESS_READ)).toBe(FAULT_OK);
    expect(mm.handleFault(none, ACCESS_READ)).toBe(FAULT_ACCERR);
    expect(mm.handleFault(2 ** 47, ACCESS_READ)).toBe(FAULT_MAPERR);
    expect(mm.handleFault(-4096, ACCESS_READ)).toBe(FAULT_MAPERR);
    expect(mm.handleFault(0xffff_8000_0000_0000, ACCESS_READ)).toBe(FAULT_MAPERR);
    expect(mm.handleFault(Number.NaN, ACCESS_READ)).toBe(FAULT_MAPERR);
  });

  it('reads file pages in windows and gives SIGBUS beyond EOF', () => {
    const { mm, as } = newMm({ tunables: { eagerFileBytes: 0 } });
    const data = pattern(40 * PAGE + 10);
    const f = memFile(data);
    const a = mm.mmap(0, 64 * PAGE, PROT_READ, MAP_PRIVATE, f, 0);
    expect(as.pagesMapped).toBe(0);
    expect(mm.handleFault(a + 17 * PAGE, ACCESS_READ)).toBe(FAULT_OK);
    expect(f.reads).toBe(1);
    expect(as.pagesMapped).toBe(16);
    const b = new Uint8Array(PAGE);
    expect(mm.copyIn(a + 20 * PAGE, b)).toBe(0);
    expect(b).toEqual(data.subarray(20 * PAGE, 21 * PAGE));
    expect(mm.handleFault(a + 40 * PAGE, ACCESS_READ)).toBe(FAULT_OK); // partial last page
    expect(mm.handleFault(a + 41 * PAGE, ACCESS_READ)).toBe(FAULT_SIGBUS);
    const s = mm.mmap(0, 4 * PAGE, PROT_READ, MAP_SHARED, f, 40 * PAGE);
    expect(mm.handleFault(s, ACCESS_READ)).toBe(FAULT_OK);
    expect(mm.handleFault(s + PAGE, ACCESS_READ)).toBe(FAULT_SIGBUS);
  });

  it('grows a stack down within its limit and guard gap', () => {
    const { mm } = newMm({ stackLimit: 1 * MiB });
    const top = 0x7fff_0000_0000;
    const start = mm.mapStack(top, 4 * PAGE);
    expect(start).toBe(top - 4 * PAGE);
    expect(mm.handleFault(start - 100 * PAGE + 8, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(mm.vmas.at(-1)).toMatchObject({ start: start - 100 * PAGE, end: top, name: '[stack]' });
    expect(mm.handleFault(top - 1 * MiB - PAGE, ACCESS_WRITE)).toBe(FAULT_MAPERR); // beyond the limit
    expect(mm.copyOut(top - 1 * MiB, new Uint8Array(8))).toBe(0); // the kernel's touch grows it too
    // A mapping within the guard gap stops growth.
    const { mm: m2 } = newMm();
    const s2 = m2.mapStack(top, 4 * PAGE);
    m2.mmap(s2 - 64 * PAGE, PAGE, RW, ANON | MAP_FIXED);
    expect(m2.handleFault(s2 - PAGE, ACCESS_WRITE)).toBe(FAULT_MAPERR);
    const g = m2.mmap(0x5000_0000, 4 * PAGE, RW, ANON | MAP_GROWSDOWN);
    expect(m2.handleFault(g - PAGE, ACCESS_READ)).toBe(FAULT_OK);
    expect(m2.checkInvariants()).toBeNull();
  });

  it('makes only the asked-for top of a new stack resident', () => {
    const { mm } = newMm();
    const top = 0x7fff_0000_0000;
    const start = mm.mapStack(top, 32 * PAGE, 3 * PAGE - 100);
    expect(start).toBe(top - 32 * PAGE);
    expect(mm.residentPages).toBe(3);
    expect(mm.addressSpace.translate(top - 3 * PAGE, PROT_WRITE)).toBeGreaterThanOrEqual(0);
    expect(mm.addressSpace.translate(top - 4 * PAGE, PROT_READ)).toBe(-1);
  });

  it('reports OOM when frames run out even without a limit', () => {
    const { mm } = newMm({}, 1 * MiB);
    const a = mm.mmap(0, 2 * MiB, RW, ANON);
    let r = FAULT_OK;
    let n = 0;
    for (let va = a; va < a + 2 * MiB && r === FAULT_OK; va += PAGE, n++) r = mm.handleFault(va, ACCESS_WRITE);
    expect(r).toBe(FAULT_OOM);
    expect(n).toBe(256); // every frame but the reserved first one, then failure
  });
});
