import { describe, expect, it } from 'vitest';
import { writeKernelImage } from './image.js';
import {
  GDT_ENTRIES,
  IDT_GPA,
  IDT_VECTORS,
  IST_INDEX,
  KERNEL_PD_GPA,
  KERNEL_PDPT_GPA,
  KERNEL_PHYS_END,
  KERNEL_PML4_GPA,
  KERNEL_PML4_INDEX,
  KERNEL_PT_GPA,
  KERNEL_VA_HI,
  LSTAR,
  MAX_VCPUS,
  MSR_LSTAR,
  PAGE_SIZE,
  PHYSMAP_PDPT_GPA,
  PHYSMAP_PML4_INDEX,
  STUB_GPA,
  TSS_SELECTOR,
  USER_GATE_VECTORS,
  gdtGpa,
  istStackTop,
  kernelStackTop,
  kernelVa,
  percpuGpa,
  tssGpa,
  vectorStubGpa,
} from './layout.js';
import { entryFlags, entryFrame, isPresent, PTE_NX, PTE_PS, PTE_RW, PTE_US } from './pte.js';
import { STUB_CODE } from './stub.js';
import { plainMemory } from './test-support.js';

describe('kernel image', () => {
  const mem = plainMemory(2 << 20);
  mem.bytes.fill(0xee); // the image must not depend on zeroed memory
  const image = writeKernelImage(mem, MAX_VCPUS);
  const pte = (gpa: number) => KERNEL_PT_GPA + (gpa / PAGE_SIZE) * 8;

  it('lives below KERNEL_PHYS_END, and leaves the rest alone', () => {
    const top = Math.max(STUB_GPA, IDT_GPA, percpuGpa(MAX_VCPUS - 1), kernelStackTop(MAX_VCPUS - 1) - PAGE_SIZE);
    expect(top + PAGE_SIZE).toBeLessThanOrEqual(KERNEL_PHYS_END);
    expect(mem.bytes[KERNEL_PHYS_END]).toBe(0xee);
  });

  it('maps the kernel half supervisor-only at every level, in PML4 slot 511', () => {
    for (const at of [KERNEL_PML4_GPA + KERNEL_PML4_INDEX * 8, KERNEL_PDPT_GPA, KERNEL_PD_GPA]) {
      expect(isPresent(mem.view, at)).toBe(true);
      expect(entryFlags(mem.view, at) & PTE_US).toBe(0);
    }
    let mapped = 0;
    for (let i = 0; i < 512; i++) {
      const at = KERNEL_PT_GPA + i * 8;
      if (!isPresent(mem.view, at)) continue;
      mapped++;
      expect(entryFlags(mem.view, at) & PTE_US).toBe(0);
      expect(entryFrame(mem.view, at)).toBe(i * PAGE_SIZE); // VA = base + GPA
    }
    expect(mapped).toBe(2 + MAX_VCPUS * 3);
    expect(image.sharedEntries).toEqual([
      { index: PHYSMAP_PML4_INDEX, lo: mem.view.getUint32(KERNEL_PML4_GPA + 510 * 8, true), hi: 0 },
      { index: KERNEL_PML4_INDEX, lo: mem.view.getUint32(KERNEL_PML4_GPA + 511 * 8, true), hi: 0 },
    ]);
  });

  it('maps all guest memory in the physmap: supervisor-only, writable, not executable, 2 MiB pages', () => {
    const pml4e = KERNEL_PML4_GPA + PHYSMAP_PML4_INDEX * 8;
    expect(entryFrame(mem.view, pml4e)).toBe(PHYSMAP_PDPT_GPA);
    expect(entryFlags(mem.view, pml4e) & PTE_US).toBe(0);
    const pd = entryFrame(mem.view, PHYSMAP_PDPT_GPA);
    let pages = 0;
    for (let i = 0; i < 512; i++) {
      const at = pd + i * 8;
      if (!isPresent(mem.view, at)) break;
      pages++;
      expect(entryFrame(mem.view, at)).toBe(i * 2 ** 21);
      expect((entryFlags(mem.view, at) & (PTE_US | PTE_RW | PTE_NX | PTE_PS)) >>> 0).toBe((PTE_RW | PTE_NX | PTE_PS) >>> 0);
    }
    expect(pages * 2 ** 21).toBe(Math.ceil(mem.bytes.byteLength / 2 ** 21) * 2 ** 21);
  });

  it('maps code read-only and executable, tables/IDT/GDT read-only NX, stacks RW NX, guards absent', () => {
    expect(entryFlags(mem.view, pte(STUB_GPA)) & (PTE_RW | PTE_NX)).toBe(0);
    expect([...mem.bytes.subarray(STUB_GPA, STUB_GPA + PAGE_SIZE)]).toEqual([...STUB_CODE]);
    for (const gpa of [IDT_GPA, percpuGpa(0), percpuGpa(MAX_VCPUS - 1)]) {
      expect((entryFlags(mem.view, pte(gpa)) & (PTE_RW | PTE_NX)) >>> 0).toBe(PTE_NX);
    }
    for (const top of [kernelStackTop(3), istStackTop(3)]) {
      expect((entryFlags(mem.view, pte(top - PAGE_SIZE)) & (PTE_RW | PTE_NX)) >>> 0).toBe((PTE_RW | PTE_NX) >>> 0);
      expect(isPresent(mem.view, pte(top - 2 * PAGE_SIZE))).toBe(false);
    }
    for (const gpa of [0, KERNEL_PML4_GPA, KERNEL_PDPT_GPA, KERNEL_PD_GPA, KERNEL_PT_GPA]) {
      expect(isPresent(mem.view, pte(gpa))).toBe(false);
    }
  });

  it('writes 64-bit interrupt gates to the stubs, DPL 3 only for #BP/#OF, all on IST1', () => {
    for (let v = 0; v < IDT_VECTORS; v++) {
      const at = IDT_GPA + v * 16;
      const lo = mem.view.getUint32(at, true);
      const attr = mem.view.getUint32(at + 4, true);
      const offset = (attr & 0xffff_0000) | (lo & 0xffff);
      expect(offset >>> 0).toBe(vectorStubGpa(v));
      expect(mem.view.getUint32(at + 8, true)).toBe(KERNEL_VA_HI);
      expect(lo >>> 16).toBe(0x10);
      expect((attr >>> 8) & 0xff).toBe(0x8e | (USER_GATE_VECTORS.includes(v) ? 0x60 : 0));
      expect(attr & 7).toBe(IST_INDEX);
    }
  });

  it('gives each vCPU its own GDT and TSS with RSP0 and IST1', () => {
    for (let cpu = 0; cpu < MAX_VCPUS; cpu++) {
      const tss = tssGpa(cpu);
      expect(mem.view.getBigUint64(tss + 4, true)).toBe(kernelVa(kernelStackTop(cpu)));
      expect(mem.view.getBigUint64(tss + 0x24, true)).toBe(kernelVa(istStackTop(cpu)));
      const s = image.sregs(cpu, 0x12_3000);
      expect(s.tr.base).toBe(kernelVa(tss));
      expect(s.gdt).toEqual({ base: kernelVa(gdtGpa(cpu)), limit: GDT_ENTRIES * 8 - 1 });
      expect(s.cr3).toBe(0x12_3000n);
      // TSS descriptor at 0x40 points at this TSS.
      const d = gdtGpa(cpu) + TSS_SELECTOR;
      const base =
        (mem.view.getUint32(d, true) >>> 16) |
        ((mem.view.getUint32(d + 4, true) & 0xff) << 16) |
        (mem.view.getUint32(d + 4, true) & 0xff00_0000);
      expect(base >>> 0).toBe(tss);
      expect(mem.view.getUint32(d + 8, true)).toBe(KERNEL_VA_HI);
    }
    expect(() => image.sregs(MAX_VCPUS)).toThrow(RangeError);
  });

  it('GDT code and data descriptors decode to the Linux layout, without a 32-bit user code segment', () => {
    const g = gdtGpa(0);
    const desc = (sel: number) => mem.view.getBigUint64(g + sel, true);
    expect(desc(0)).toBe(0n);
    expect(desc(0x10)).toBe(0x00af_9b00_0000_ffffn);
    expect(desc(0x18)).toBe(0x00cf_9300_0000_ffffn);
    expect(desc(0x20)).toBe(0x00cf_9300_0000_ffffn); // kernel-only data where Linux has 32-bit user code
    expect(desc(0x28)).toBe(0x00af_f300_0000_ffffn); // user data with L = 1 (see SEGMENTS)
    expect(desc(0x30)).toBe(0x00af_fb00_0000_ffffn);
    // Every descriptor ring 3 may load (DPL 3) is 64-bit.
    for (let sel = 8; sel < GDT_ENTRIES * 8; sel += 8) {
      const d = desc(sel);
      const present = (d >> 47n) & 1n;
      const system = ((d >> 44n) & 1n) === 0n;
      if (present === 1n && !system && ((d >> 45n) & 3n) === 3n) expect((d >> 53n) & 1n, `selector 0x${sel.toString(16)}`).toBe(1n);
    }
  });

  it('points LSTAR at the stub', () => {
    expect(image.msrs.find((m) => m.index === MSR_LSTAR)?.data).toBe(LSTAR);
    expect(LSTAR).toBe(kernelVa(STUB_GPA));
  });
});

describe('kernel image on memory known to be zero', () => {
  it('is byte for byte the image written over garbage, and leaves unused pages untouched', () => {
    const dirty = plainMemory(2 << 20);
    dirty.bytes.fill(0xee);
    writeKernelImage(dirty, MAX_VCPUS);
    const zero = plainMemory(2 << 20);
    writeKernelImage(zero, MAX_VCPUS, true);
    expect(Buffer.compare(zero.bytes.subarray(0, KERNEL_PHYS_END), dirty.bytes.subarray(0, KERNEL_PHYS_END))).toBe(0);
    const probe = plainMemory(2 << 20);
    probe.bytes.fill(0xee);
    writeKernelImage(probe, MAX_VCPUS, true);
    expect(probe.bytes[KERNEL_PHYS_END - 1]).toBe(0xee); // not zeroed again: a page it never uses is never touched
  });
});
