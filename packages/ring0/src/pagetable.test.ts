import { beforeEach, describe, expect, it } from 'vitest';
import { writeKernelImage } from './image.js';
import { HUGE_PAGE_SIZE, KERNEL_PHYS_END, KERNEL_PML4_INDEX, KERNEL_VA_BASE, LOWER_HALF_END } from './layout.js';
import { ENOMEM, PageTables, Translation } from './pagetable.js';
import { entryFlags, entryFrame, isPresent, PTE_A, PTE_D, PTE_NX, PTE_P, PTE_PS, PTE_RW, PTE_US } from './pte.js';
import { plainMemory, TestFrames } from './test-support.js';

const MEM = 32 << 20;
const USER_RW = PTE_US | PTE_RW | PTE_NX;
const PAGE = 0x1000;

describe('PageTables', () => {
  let mem: ReturnType<typeof plainMemory>;
  let frames: TestFrames;
  let pt: PageTables;
  const tr = new Translation();

  beforeEach(() => {
    mem = plainMemory(MEM);
    const image = writeKernelImage(mem, 1);
    frames = new TestFrames(MEM);
    pt = new PageTables(mem, frames, image.sharedEntries);
  });

  /** The four entries on the walk to `va`, as [frame, flags] (stops at the first absent one). */
  function walk(va: number): [number, number][] {
    const out: [number, number][] = [];
    let table = pt.root;
    for (const span of [2 ** 39, 2 ** 30, 2 ** 21, 2 ** 12]) {
      const at = table + (Math.floor(va / span) % 512) * 8;
      if (!isPresent(mem.view, at)) break;
      out.push([entryFrame(mem.view, at), entryFlags(mem.view, at)]);
      if (span === 2 ** 21 && (entryFlags(mem.view, at) & PTE_PS) !== 0) break;
      table = entryFrame(mem.view, at);
    }
    return out;
  }

  it('maps 4 KiB pages with U/S on every level and translates them', () => {
    const gpa = 0x40_0000;
    expect(pt.map(0x7fff_0000_0000, 3 * PAGE, gpa, USER_RW)).toBe(0);
    expect(pt.lookup(0x7fff_0000_1234, tr)).toBe(true);
    expect(tr.gpa).toBe(gpa + 0x1234);
    expect(tr.pageSize).toBe(PAGE);
    expect(tr.flags).toBe((PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX) >>> 0);
    const w = walk(0x7fff_0000_2000);
    expect(w).toHaveLength(4);
    for (const [, flags] of w) expect(flags & (PTE_P | PTE_US)).toBe(PTE_P | PTE_US);
    expect(w[3]![0]).toBe(gpa + 0x2000);
    expect(pt.lookup(0x7fff_0000_3000, tr)).toBe(false);
    expect(pt.lookup(0x7fff_0000_0000 - 1, tr)).toBe(false);
  });

  it('read-only and executable mappings carry no RW / no NX', () => {
    pt.map(0x40_0000, PAGE, 0x50_0000, PTE_US);
    expect(pt.lookup(0x40_0000, tr)).toBe(true);
    expect(tr.flags & (PTE_RW | PTE_NX | PTE_D)).toBe(0);
  });

  it('shares the kernel half, supervisor-only, and never lets lookup reach it', () => {
    const slot = pt.root + KERNEL_PML4_INDEX * 8;
    expect(mem.view.getBigUint64(slot, true)).toBe(mem.view.getBigUint64(0x1000 + KERNEL_PML4_INDEX * 8, true));
    expect(entryFlags(mem.view, slot) & PTE_US).toBe(0);
    for (const va of [LOWER_HALF_END, Number(KERNEL_VA_BASE), -PAGE, NaN, Infinity]) expect(pt.lookup(va, tr)).toBe(false);
    expect(() => pt.map(LOWER_HALF_END - PAGE, 2 * PAGE, 0x40_0000, USER_RW)).toThrow(RangeError);
    // Two address spaces point at the same kernel PDPT.
    const other = new PageTables(mem, frames, writeKernelImage(plainMemory(MEM), 1).sharedEntries);
    expect(mem.view.getBigUint64(other.root + KERNEL_PML4_INDEX * 8, true)).toBe(mem.view.getBigUint64(slot, true));
  });

  it('refuses frames inside the kernel or beyond guest memory, and bad alignment', () => {
    expect(() => pt.map(0x40_0000, PAGE, 0x5000, USER_RW)).toThrow(/not free guest memory/);
    expect(() => pt.map(0x40_0000, PAGE, KERNEL_PHYS_END - PAGE, USER_RW)).toThrow(RangeError);
    expect(() => pt.map(0x40_0000, PAGE, MEM, USER_RW)).toThrow(RangeError);
    expect(() => pt.map(0x40_0800, PAGE, 0x40_0000, USER_RW)).toThrow(RangeError);
    expect(() => pt.map(0x40_0000, PAGE, 0x40_0000, USER_RW | PTE_PS)).toThrow(RangeError);
  });

  it('unmap reports coalesced changed ranges and frees emptied tables', () => {
    const base = frames.live.size;
    pt.map(0x1000_0000, 8 * PAGE, 0x40_0000, USER_RW);
    expect(frames.live.size).toBe(base + 3); // PDPT, PD, PT
    const runs: number[][] = [];
    // Pages 2..3 and 5..6 mapped; 4 unmapped beforehand: two runs.
    pt.unmap(0x1000_4000, PAGE);
    expect(pt.unmap(0x1000_2000, 5 * PAGE, (a, b) => runs.push([a, b]))).toBe(4 * PAGE);
    expect(runs).toEqual([
      [0x1000_2000, 0x1000_4000],
      [0x1000_5000, 0x1000_7000],
    ]);
    expect(pt.lookup(0x1000_1000, tr)).toBe(true);
    expect(pt.lookup(0x1000_7000, tr)).toBe(true);
    expect(pt.unmap(0x1000_0000, 8 * PAGE)).toBe(3 * PAGE); // pages 0, 1, 7
    expect(frames.live.size).toBe(base);
    expect(pt.unmap(0x1000_0000, 8 * PAGE)).toBe(0);
  });

  it('protect reports only downgrades and keeps frames', () => {
    pt.map(0x2000_0000, 2 * PAGE, 0x40_0000, PTE_US);
    expect(pt.protect(0x2000_0000, 2 * PAGE, USER_RW)).toBe(2 * PAGE); // gained RW but lost execute
    pt.map(0x2000_0000, 2 * PAGE, 0x40_0000, PTE_US);
    expect(pt.protect(0x2000_0000, 2 * PAGE, PTE_US | PTE_RW)).toBe(0); // pure upgrade
    expect(pt.protect(0x2000_0000, PAGE, PTE_US)).toBe(PAGE); // lost RW
    expect(pt.protect(0x2000_1000, PAGE, PTE_US | PTE_RW | PTE_NX)).toBe(PAGE); // gained NX
    expect(pt.protect(0x2000_0000, 2 * PAGE, PTE_RW)).toBe(2 * PAGE); // lost US
    expect(pt.lookup(0x2000_1000, tr)).toBe(true);
    expect([tr.gpa, tr.flags & PTE_US]).toEqual([0x40_1000, 0]);
    expect(pt.protect(0x3000_0000, PAGE, PTE_US)).toBe(0); // nothing there, nothing created
    expect(pt.lookup(0x3000_0000, tr)).toBe(false);
  });

  it('map over existing pages reports replaced frames and downgrades only', () => {
    pt.map(0x40_0000, 2 * PAGE, 0x40_0000, USER_RW);
    expect(pt.map(0x40_0000, 2 * PAGE, 0x40_0000, USER_RW)).toBe(0);
    expect(pt.map(0x40_0000, PAGE, 0x80_0000, USER_RW)).toBe(PAGE);
    expect(pt.lookup(0x40_0010, tr) && tr.gpa).toBe(0x80_0010);
  });

  describe('2 MiB pages', () => {
    const VA = 0x4000_0000;
    const GPA = 0x60_0000;

    it('maps with PS in the PD entry and translates inside the page', () => {
      expect(pt.map(VA, 2 * HUGE_PAGE_SIZE, GPA, USER_RW | PTE_PS)).toBe(0);
      const w = walk(VA + HUGE_PAGE_SIZE);
      expect(w).toHaveLength(3);
      expect(w[2]![1] & PTE_PS).toBe(PTE_PS);
      expect(pt.lookup(VA + HUGE_PAGE_SIZE + 0x12345, tr)).toBe(true);
      expect([tr.gpa, tr.pageSize]).toEqual([GPA + HUGE_PAGE_SIZE + 0x12345, HUGE_PAGE_SIZE]);
      expect(pt.unmap(VA, 2 * HUGE_PAGE_SIZE)).toBe(2 * HUGE_PAGE_SIZE);
      expect(pt.lookup(VA, tr)).toBe(false);
    });

    it('splits on partial unmap and partial protect, keeping the rest', () => {
      pt.map(VA, HUGE_PAGE_SIZE, GPA, USER_RW | PTE_PS);
      const runs: number[][] = [];
      expect(pt.unmap(VA + 5 * PAGE, PAGE, (a, b) => runs.push([a, b]))).toBe(PAGE);
      expect(runs).toEqual([[VA + 5 * PAGE, VA + 6 * PAGE]]);
      expect(walk(VA)).toHaveLength(4);
      expect(pt.lookup(VA + 5 * PAGE, tr)).toBe(false);
      for (const i of [0, 4, 6, 511]) {
        expect(pt.lookup(VA + i * PAGE + 7, tr)).toBe(true);
        expect([tr.gpa, tr.pageSize, tr.flags & (PTE_RW | PTE_US | PTE_PS)]).toEqual([GPA + i * PAGE + 7, PAGE, PTE_RW | PTE_US]);
      }
      expect(pt.protect(VA + 10 * PAGE, 2 * PAGE, PTE_US)).toBe(2 * PAGE);
      expect(pt.lookup(VA + 11 * PAGE, tr) && tr.flags & PTE_RW).toBe(0);
      expect(pt.lookup(VA + 12 * PAGE, tr) && tr.flags & PTE_RW).toBe(PTE_RW);
    });

    it('a 4 KiB map inside a 2 MiB page splits it; a 2 MiB map replaces a table', () => {
      pt.map(VA, HUGE_PAGE_SIZE, GPA, USER_RW | PTE_PS);
      expect(pt.map(VA + PAGE, PAGE, 0x80_0000, USER_RW)).toBe(PAGE);
      expect(pt.lookup(VA + PAGE, tr) && tr.gpa).toBe(0x80_0000);
      expect(pt.lookup(VA + 2 * PAGE, tr) && tr.gpa).toBe(GPA + 2 * PAGE);
      const tables = frames.live.size;
      // Remapping the slot as one huge page drops the table: every present 4 KiB page counts.
      expect(pt.map(VA, HUGE_PAGE_SIZE, GPA, USER_RW | PTE_PS)).toBe(HUGE_PAGE_SIZE);
      expect(frames.live.size).toBe(tables - 1);
      expect(pt.lookup(VA + PAGE, tr) && tr.gpa).toBe(GPA + PAGE);
    });

    it('protect of a whole 2 MiB page keeps it huge', () => {
      pt.map(VA, HUGE_PAGE_SIZE, GPA, USER_RW | PTE_PS);
      const tables = frames.live.size;
      expect(pt.protect(VA, HUGE_PAGE_SIZE, PTE_US)).toBe(HUGE_PAGE_SIZE);
      expect(frames.live.size).toBe(tables);
      expect(pt.lookup(VA, tr) && tr.pageSize).toBe(HUGE_PAGE_SIZE);
    });
  });

  it('deepestEntry finds the leaf, or the first absent entry, and its span', () => {
    expect(pt.map(0x40_0000, PAGE, 0x20_0000, USER_RW)).toBe(0);
    expect(pt.map(0x80_0000, HUGE_PAGE_SIZE, 0x80_0000, USER_RW | PTE_PS)).toBe(0);
    const leaf = pt.deepestEntry(0x40_0123);
    expect(pt.lastSpan).toBe(PAGE);
    expect(entryFrame(mem.view, leaf)).toBe(0x20_0000);
    // Absent page in an existing table: that table's entry.
    const absent = pt.deepestEntry(0x40_1000);
    expect(pt.lastSpan).toBe(PAGE);
    expect(absent).toBe(leaf + 8);
    // 2 MiB leaf.
    const huge = pt.deepestEntry(0x80_0000 + 5);
    expect(pt.lastSpan).toBe(HUGE_PAGE_SIZE);
    expect(entryFlags(mem.view, huge) & PTE_PS).toBe(PTE_PS);
    // Nothing mapped in this 512 GiB slot: the root entry.
    expect(pt.deepestEntry(2 ** 40)).toBe(pt.root + 2 * 8);
    expect(pt.lastSpan).toBe(2 ** 39);
    expect(() => pt.deepestEntry(LOWER_HALF_END)).toThrow(RangeError);
  });

  it('returns -ENOMEM when the allocator runs dry, and release frees every table', () => {
    frames.limit = frames.live.size + 2;
    expect(pt.map(0x1_0000_0000, PAGE, 0x40_0000, USER_RW)).toBe(-ENOMEM);
    frames.limit = Infinity;
    pt.map(0x1_0000_0000, PAGE, 0x40_0000, USER_RW);
    pt.map(0x7fff_ffff_e000, PAGE, 0x40_0000, USER_RW);
    pt.map(0x4000_0000, HUGE_PAGE_SIZE, 0x60_0000, USER_RW | PTE_PS);
    expect(frames.live.size).toBeGreaterThan(1);
    pt.release();
    expect(frames.live.size).toBe(0);
    expect(pt.lookup(0x1_0000_0000, tr)).toBe(false);
    expect(() => pt.map(0x1000, PAGE, 0x40_0000, USER_RW)).toThrow(/released/);
  });

  describe('corrupt entries (tables are guest memory: hostile)', () => {
    const VA = 0x1000_0000;
    /** The guest-physical address of the entry at `level` (3 = PML4) on the walk to VA. */
    function entryAt(level: number): number {
      let table = pt.root;
      for (let l = 3; ; l--) {
        const at = table + (Math.floor(VA / 2 ** (12 + 9 * l)) % 512) * 8;
        if (l === level) return at;
        table = entryFrame(mem.view, at);
      }
    }
    const leaves = () => {
      const out: [number, number, number][] = [];
      pt.forEachLeaf((va, size, gpa) => out.push([va, size, gpa]));
      return out;
    };

    const corruptions: [string, number, (at: number) => void][] = [
      ['a leaf with address bits above 4 GiB', 0, (at) => mem.view.setUint32(at + 4, 0x1, true)],
      ['a leaf pointing into the kernel image', 0, (at) => mem.view.setUint32(at, 0x5000 | 0x67, true)],
      ['a table pointer beyond guest memory', 1, (at) => mem.view.setUint32(at, (MEM + 0x1000) | 0x67, true)],
      ['a reserved PS bit in the PML4', 3, (at) => mem.view.setUint32(at, mem.view.getUint32(at, true) | PTE_PS, true)],
      ['a 1 GiB page', 2, (at) => mem.view.setUint32(at, 0x4000_0000 | 0xe7, true)],
      ['an unaligned 2 MiB page', 1, (at) => mem.view.setUint32(at, 0x60_1000 | 0xe7, true)],
    ];
    for (const [name, level, corrupt] of corruptions) {
      it(`${name} is not mapped, and every operation copes with it`, () => {
        expect(pt.map(VA, PAGE, 0x40_0000, USER_RW)).toBe(0);
        const at = entryAt(level);
        corrupt(at);
        expect(pt.lookup(VA, tr)).toBe(false);
        expect(pt.deepestEntry(VA)).toBe(at);
        expect(leaves()).toEqual([[VA - (VA % 2 ** (12 + 9 * level)), 2 ** (12 + 9 * level), -1]]);
        // protect clears it rather than rewriting a bad frame; map then builds afresh.
        const runs: number[][] = [];
        expect(pt.protect(VA, PAGE, PTE_US, (a, b) => runs.push([a, b]))).toBeGreaterThan(0);
        expect(runs.length).toBe(1);
        expect(pt.lookup(VA, tr)).toBe(false);
        expect(pt.map(VA, PAGE, 0x40_0000, USER_RW)).toBe(0);
        expect(pt.lookup(VA, tr) && tr.gpa).toBe(0x40_0000);
        corrupt(entryAt(level));
        expect(pt.unmap(VA, PAGE)).toBeGreaterThan(0);
        expect(leaves()).toEqual([]);
        pt.release();
      });
    }

    it('with an allocator that knows its tables, a leaf on a table and a table pointer to any other frame are corrupt', () => {
      const tables = new Set<number>();
      const checked = new PageTables(
        mem,
        {
          alloc: () => {
            const f = frames.alloc();
            tables.add(f);
            return f;
          },
          free: (f) => {
            tables.delete(f);
            frames.free(f);
          },
          isTable: (f) => tables.has(f),
        },
        [],
      );
      expect(checked.map(VA, PAGE, 0x40_0000, USER_RW)).toBe(0);
      expect(checked.lookup(VA, tr)).toBe(true);
      // A leaf on a table (the root itself): ring 3 would write page tables through it.
      const leaf = checked.deepestEntry(VA);
      mem.view.setUint32(leaf, checked.root | 0x67, true);
      expect(checked.lookup(VA, tr)).toBe(false);
      expect(checked.map(VA, PAGE, 0x40_0000, USER_RW)).toBe(PAGE);
      // The directory entry now points at a user frame the guest could fill with entries of its choice.
      let table = checked.root;
      for (const span of [2 ** 39, 2 ** 30]) table = entryFrame(mem.view, table + (Math.floor(VA / span) % 512) * 8);
      const pde = table + (Math.floor(VA / 2 ** 21) % 512) * 8;
      mem.view.setUint32(pde, 0x40_0000 | 0x67, true);
      mem.view.setUint32(0x40_0000 + (Math.floor(VA / PAGE) % 512) * 8, 0x5000 | 0x67, true);
      expect(checked.lookup(VA, tr)).toBe(false);
      expect(checked.unmap(VA, PAGE)).toBe(HUGE_PAGE_SIZE);
      expect(mem.view.getUint32(pde, true)).toBe(0);
    });
  });

  it('zeroes table frames even when the allocator hands out dirty ones', () => {
    const dirty = frames.alloc();
    mem.bytes.fill(0xff, dirty, dirty + PAGE);
    frames.free(dirty);
    pt.map(0x40_0000, PAGE, 0x40_0000, USER_RW);
    expect(pt.lookup(0x40_1000, tr)).toBe(false);
    expect(pt.lookup(0x60_0000, tr)).toBe(false);
  });
});
