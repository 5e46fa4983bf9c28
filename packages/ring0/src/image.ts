// Writes the kernel image into guest-physical memory (GDT, IDT, TSS, stacks,
// stub code, kernel-half page tables) and describes how a vCPU must start
// to use it. Everything the guest kernel consists of is written here, in one
// pass, from src/layout.ts.
import {
  CR0,
  CR4,
  CSTAR,
  EFER,
  GDT_ENTRIES,
  IDT_GPA,
  IDT_VECTORS,
  IST_INDEX,
  IST_STACK_OFFSET,
  KERNEL_PD_GPA,
  KERNEL_PDPT_GPA,
  KERNEL_PHYS_END,
  KERNEL_PML4_GPA,
  KERNEL_PML4_INDEX,
  KERNEL_PT_GPA,
  KERNEL_STACK_OFFSET,
  KERNEL_VA_HI,
  LSTAR,
  MAX_VCPUS,
  MSR_CSTAR,
  MSR_LSTAR,
  MSR_SFMASK,
  MSR_STAR,
  PAGE_SIZE,
  SFMASK,
  STACKS_GPA,
  STACK_BLOCK,
  STAR,
  STUB_GPA,
  TSS_SIZE,
  USER_GATE_VECTORS,
  gdtGpa,
  istStackTop,
  kernelStackTop,
  kernelVa,
  percpuGpa,
  tssGpa,
  vectorStubGpa,
  KERNEL_CS,
  TSS_SELECTOR,
  HUGE_PAGE_SIZE,
  PHYSMAP_MAX_BYTES,
  PHYSMAP_PD_GPA,
  PHYSMAP_PDPT_GPA,
  PHYSMAP_PML4_INDEX,
} from './layout.js';
import type { PhysicalMemory } from './memory.js';
import { PTE_A, PTE_D, PTE_NX, PTE_P, PTE_PS, PTE_RW, writeEntry } from './pte.js';
import {
  nullSegment,
  SEGMENTS,
  segment,
  type Segment,
  tssSegment,
  USER_DATA_DESCRIPTOR,
  writeDescriptor,
  writeTssDescriptor,
} from './segments.js';
import { STUB_CODE } from './stub.js';

export interface DTable {
  base: bigint;
  limit: number;
}

/** The struct kvm_sregs fields a vCPU needs to run on this image (ring 0, kernel root). */
export interface ImageSregs {
  cs: Segment;
  ds: Segment;
  es: Segment;
  fs: Segment;
  gs: Segment;
  ss: Segment;
  tr: Segment;
  ldt: Segment;
  gdt: DTable;
  idt: DTable;
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
}

export interface MsrValue {
  index: number;
  data: bigint;
}

/** A PML4 entry every user root must hold to share the kernel half. */
export interface SharedEntry {
  index: number;
  lo: number;
  hi: number;
}

/** Table entries: kernel-only (no U/S) at every level. */
const KERNEL_TABLE = PTE_P | PTE_RW | PTE_A;
const KERNEL_RO_DATA = (PTE_P | PTE_A | PTE_NX) >>> 0;
const KERNEL_RW_DATA = (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX) >>> 0;
const KERNEL_CODE = PTE_P | PTE_A;

export class KernelImage {
  readonly vcpus: number;
  /** CR3 of the kernel-only address space (no user half). */
  readonly kernelRoot = KERNEL_PML4_GPA;
  /** PML4 entries to copy into every user root (see PageTables). */
  readonly sharedEntries: readonly SharedEntry[];
  /** KVM_SET_MSRS on every vCPU. */
  readonly msrs: readonly MsrValue[] = [
    { index: MSR_STAR, data: STAR },
    { index: MSR_LSTAR, data: LSTAR },
    { index: MSR_CSTAR, data: CSTAR },
    { index: MSR_SFMASK, data: BigInt(SFMASK) },
  ];

  constructor(vcpus: number, shared: readonly SharedEntry[]) {
    this.vcpus = vcpus;
    this.sharedEntries = shared;
  }

  /**
   * Special registers for vCPU `cpu`: ring 0 on the kernel segments, its own
   * GDT and TSS, the shared IDT, paging with root `cr3`. Merge into
   * KVM_GET_SREGS's result; the host then enters ring 3 by loading user
   * CS/SS (writeUserSegments) and a user root.
   */
  sregs(cpu: number, cr3: number = KERNEL_PML4_GPA): ImageSregs {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.vcpus) throw new RangeError(`vCPU ${cpu} not in image`);
    return {
      cs: segment(SEGMENTS.kernelCode),
      ss: segment(SEGMENTS.kernelData),
      ds: nullSegment(),
      es: nullSegment(),
      fs: nullSegment(),
      gs: nullSegment(),
      tr: tssSegment(kernelVa(tssGpa(cpu))),
      ldt: nullSegment(),
      gdt: { base: kernelVa(gdtGpa(cpu)), limit: GDT_ENTRIES * 8 - 1 },
      idt: { base: kernelVa(IDT_GPA), limit: IDT_VECTORS * 16 - 1 },
      cr0: BigInt(CR0),
      cr3: BigInt(cr3),
      cr4: BigInt(CR4),
      efer: BigInt(EFER),
    };
  }
}

/**
 * Writes the kernel into guest-physical [0, KERNEL_PHYS_END) of `mem`
 * (zeroing that range first) for `vcpus` vCPUs. `zeroed` says the range is
 * all zeros already (a fresh memfd): the zeroing is skipped, which would
 * fault in every page of that megabyte, most of which the kernel never uses
 * (~1 ms of every start).
 */
export function writeKernelImage(mem: PhysicalMemory, vcpus: number = MAX_VCPUS, zeroed = false): KernelImage {
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS) {
    throw new RangeError(`vcpus must be 1..${MAX_VCPUS}, got ${vcpus}`);
  }
  if (mem.bytes.byteLength < KERNEL_PHYS_END) {
    throw new RangeError(`guest memory must cover the kernel [0, ${KERNEL_PHYS_END.toString(16)})`);
  }
  const v = mem.view;
  if (!zeroed) mem.bytes.fill(0, 0, KERNEL_PHYS_END);

  // Kernel half: PML4[511] -> PDPT[0] -> PD[0] -> PT, mapping VA base + gpa -> gpa.
  writeEntry(v, KERNEL_PML4_GPA + KERNEL_PML4_INDEX * 8, KERNEL_PDPT_GPA, KERNEL_TABLE);
  writeEntry(v, KERNEL_PDPT_GPA, KERNEL_PD_GPA, KERNEL_TABLE);
  writeEntry(v, KERNEL_PD_GPA, KERNEL_PT_GPA, KERNEL_TABLE);
  const map = (gpa: number, flags: number) => writeEntry(v, KERNEL_PT_GPA + (gpa / PAGE_SIZE) * 8, gpa, flags);

  map(STUB_GPA, KERNEL_CODE);
  mem.bytes.set(STUB_CODE, STUB_GPA);

  map(IDT_GPA, KERNEL_RO_DATA);
  for (let vec = 0; vec < IDT_VECTORS; vec++) {
    const at = IDT_GPA + vec * 16;
    const off = vectorStubGpa(vec);
    const dpl = USER_GATE_VECTORS.includes(vec) ? 3 : 0;
    v.setUint32(at, ((off & 0xffff) | (KERNEL_CS << 16)) >>> 0, true);
    // 64-bit interrupt gate (type 0xE: IF cleared on entry), present.
    v.setUint32(at + 4, (IST_INDEX | (0xe << 8) | (dpl << 13) | (1 << 15) | (off & 0xffff_0000)) >>> 0, true);
    v.setUint32(at + 8, KERNEL_VA_HI, true);
    v.setUint32(at + 12, 0, true);
  }

  for (let cpu = 0; cpu < vcpus; cpu++) {
    // GDT and TSS share one read-only page: the CPU never writes either
    // (accessed and busy bits are preset, TR is loaded by the host).
    map(percpuGpa(cpu), KERNEL_RO_DATA);
    const gdt = gdtGpa(cpu);
    writeDescriptor(v, gdt + SEGMENTS.kernelCode.selector, SEGMENTS.kernelCode);
    writeDescriptor(v, gdt + SEGMENTS.kernelData.selector, SEGMENTS.kernelData);
    writeDescriptor(v, gdt + SEGMENTS.noUserCode32.selector, SEGMENTS.noUserCode32);
    writeDescriptor(v, gdt + (SEGMENTS.userData.selector & ~3), USER_DATA_DESCRIPTOR);
    writeDescriptor(v, gdt + (SEGMENTS.userCode.selector & ~3), SEGMENTS.userCode);
    const tss = tssGpa(cpu);
    writeTssDescriptor(v, gdt + TSS_SELECTOR, tss, KERNEL_VA_HI);
    v.setUint32(tss + 4, kernelStackTop(cpu), true); // RSP0
    v.setUint32(tss + 8, KERNEL_VA_HI, true);
    v.setUint32(tss + 0x24, istStackTop(cpu), true); // IST1
    v.setUint32(tss + 0x28, KERNEL_VA_HI, true);
    v.setUint16(tss + 0x66, TSS_SIZE, true); // I/O bitmap beyond the limit: no port access from ring 3

    const block = STACKS_GPA + cpu * STACK_BLOCK;
    map(block + IST_STACK_OFFSET, KERNEL_RW_DATA);
    map(block + KERNEL_STACK_OFFSET, KERNEL_RW_DATA);
  }

  // The physmap: every byte of guest memory at PHYSMAP_VA_BASE + gpa, 2 MiB pages.
  const physBytes = Math.min(Math.ceil(mem.bytes.byteLength / HUGE_PAGE_SIZE) * HUGE_PAGE_SIZE, PHYSMAP_MAX_BYTES);
  writeEntry(v, KERNEL_PML4_GPA + PHYSMAP_PML4_INDEX * 8, PHYSMAP_PDPT_GPA, KERNEL_TABLE);
  for (let gpa = 0; gpa < physBytes; gpa += HUGE_PAGE_SIZE) {
    const gib = Math.floor(gpa / 2 ** 30);
    const pd = PHYSMAP_PD_GPA + gib * PAGE_SIZE;
    if (gpa % 2 ** 30 === 0) writeEntry(v, PHYSMAP_PDPT_GPA + gib * 8, pd, KERNEL_TABLE);
    writeEntry(v, pd + ((gpa / HUGE_PAGE_SIZE) % 512) * 8, gpa, (KERNEL_RW_DATA | PTE_PS) >>> 0);
  }

  const shared = (index: number): SharedEntry => {
    const at = KERNEL_PML4_GPA + index * 8;
    return { index, lo: v.getUint32(at, true), hi: v.getUint32(at + 4, true) };
  };
  return new KernelImage(vcpus, [shared(PHYSMAP_PML4_INDEX), shared(KERNEL_PML4_INDEX)]);
}
