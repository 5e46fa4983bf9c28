// The x86 KVM structs, as <linux/kvm.h> lays them out. Offsets are fixed by
// the kernel ABI; sizes are checked against the compiler's at load time
// (see checkSizes) so a mismatch fails loudly, never corrupts memory.
import { native } from './binding.js';

/** struct kvm_regs: 18 u64 in this order. */
export const REGS_FIELDS = [
  'rax',
  'rbx',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'rsp',
  'rbp',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'r13',
  'r14',
  'r15',
  'rip',
  'rflags',
] as const;
export type RegName = (typeof REGS_FIELDS)[number];
export type Regs = Record<RegName, bigint>;
/** Byte offset of each register in struct kvm_regs. */
export const REGS_OFFSET: Record<RegName, number> = Object.fromEntries(REGS_FIELDS.map((n, i) => [n, i * 8])) as Record<RegName, number>;
export const REGS_SIZE = 144;

export function decodeRegs(b: Uint8Array, at = 0): Regs {
  const v = new DataView(b.buffer, b.byteOffset + at, REGS_SIZE);
  const r = {} as Regs;
  REGS_FIELDS.forEach((n, i) => (r[n] = v.getBigUint64(i * 8, true)));
  return r;
}

export function encodeRegs(r: Partial<Regs>, b: Uint8Array, at = 0): void {
  const v = new DataView(b.buffer, b.byteOffset + at, REGS_SIZE);
  REGS_FIELDS.forEach((n, i) => {
    const x = r[n];
    if (x !== undefined) v.setBigUint64(i * 8, BigInt.asUintN(64, x), true);
  });
}

/** struct kvm_segment (24 bytes). */
export interface Segment {
  base: bigint;
  limit: number;
  selector: number;
  type: number;
  present: number;
  dpl: number;
  db: number;
  s: number;
  l: number;
  g: number;
  avl: number;
  unusable: number;
}
export const SEGMENT_SIZE = 24;
/** Byte offsets inside struct kvm_segment. */
export const SEGMENT_OFFSET = {
  base: 0,
  limit: 8,
  selector: 12,
  type: 14,
  present: 15,
  dpl: 16,
  db: 17,
  s: 18,
  l: 19,
  g: 20,
  avl: 21,
  unusable: 22,
} as const;

function decodeSegment(v: DataView, at: number): Segment {
  const u8 = (o: number) => v.getUint8(at + o);
  return {
    base: v.getBigUint64(at, true),
    limit: v.getUint32(at + 8, true),
    selector: v.getUint16(at + 12, true),
    type: u8(14),
    present: u8(15),
    dpl: u8(16),
    db: u8(17),
    s: u8(18),
    l: u8(19),
    g: u8(20),
    avl: u8(21),
    unusable: u8(22),
  };
}

function encodeSegment(s: Segment, v: DataView, at: number): void {
  v.setBigUint64(at, BigInt.asUintN(64, s.base), true);
  v.setUint32(at + 8, s.limit >>> 0, true);
  v.setUint16(at + 12, s.selector, true);
  const bytes = [s.type, s.present, s.dpl, s.db, s.s, s.l, s.g, s.avl, s.unusable, 0];
  bytes.forEach((x, i) => v.setUint8(at + 14 + i, x));
}

export interface DTable {
  base: bigint;
  limit: number;
}

/** struct kvm_sregs (312 bytes). */
export interface Sregs {
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
  cr2: bigint;
  cr3: bigint;
  cr4: bigint;
  cr8: bigint;
  efer: bigint;
  apic_base: bigint;
  interrupt_bitmap: [bigint, bigint, bigint, bigint];
}
export const SREGS_SEGMENTS = ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'tr', 'ldt'] as const;
export const SREGS_CONTROL = ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer', 'apic_base'] as const;
/** Byte offsets inside struct kvm_sregs. */
export const SREGS_OFFSET = {
  cs: 0,
  ds: 24,
  es: 48,
  fs: 72,
  gs: 96,
  ss: 120,
  tr: 144,
  ldt: 168,
  gdt: 192,
  idt: 208,
  cr0: 224,
  cr2: 232,
  cr3: 240,
  cr4: 248,
  cr8: 256,
  efer: 264,
  apic_base: 272,
  interrupt_bitmap: 280,
} as const;
export const SREGS_SIZE = 312;

export function decodeSregs(b: Uint8Array, at = 0): Sregs {
  const v = new DataView(b.buffer, b.byteOffset + at, SREGS_SIZE);
  const s = {} as Sregs;
  for (const n of SREGS_SEGMENTS) s[n] = decodeSegment(v, SREGS_OFFSET[n]);
  for (const n of ['gdt', 'idt'] as const) {
    s[n] = { base: v.getBigUint64(SREGS_OFFSET[n], true), limit: v.getUint16(SREGS_OFFSET[n] + 8, true) };
  }
  for (const n of SREGS_CONTROL) s[n] = v.getBigUint64(SREGS_OFFSET[n], true);
  s.interrupt_bitmap = [0, 1, 2, 3].map((i) => v.getBigUint64(280 + i * 8, true)) as Sregs['interrupt_bitmap'];
  return s;
}

export function encodeSregs(s: Sregs, b: Uint8Array, at = 0): void {
  const v = new DataView(b.buffer, b.byteOffset + at, SREGS_SIZE);
  for (const n of SREGS_SEGMENTS) encodeSegment(s[n], v, SREGS_OFFSET[n]);
  for (const n of ['gdt', 'idt'] as const) {
    v.setBigUint64(SREGS_OFFSET[n], s[n].base, true);
    v.setUint16(SREGS_OFFSET[n] + 8, s[n].limit, true);
    for (let i = 10; i < 16; i++) v.setUint8(SREGS_OFFSET[n] + i, 0);
  }
  for (const n of SREGS_CONTROL) v.setBigUint64(SREGS_OFFSET[n], BigInt.asUintN(64, s[n]), true);
  s.interrupt_bitmap.forEach((x, i) => v.setBigUint64(280 + i * 8, x, true));
}

/** struct kvm_cpuid_entry2 (40 bytes). */
export interface CpuidEntry {
  function: number;
  index: number;
  flags: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}
export const CPUID_ENTRY_SIZE = 40;

export function decodeCpuid2(b: Uint8Array): CpuidEntry[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = v.getUint32(0, true);
  const out: CpuidEntry[] = [];
  for (let i = 0; i < n; i++) {
    const at = 8 + i * CPUID_ENTRY_SIZE;
    const u = (o: number) => v.getUint32(at + o, true);
    out.push({ function: u(0), index: u(4), flags: u(8), eax: u(12), ebx: u(16), ecx: u(20), edx: u(24) });
  }
  return out;
}

export function encodeCpuid2(entries: readonly CpuidEntry[]): Uint8Array {
  const b = new Uint8Array(8 + entries.length * CPUID_ENTRY_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, entries.length, true);
  entries.forEach((e, i) => {
    const at = 8 + i * CPUID_ENTRY_SIZE;
    [e.function, e.index, e.flags, e.eax, e.ebx, e.ecx, e.edx].forEach((x, j) => v.setUint32(at + j * 4, x >>> 0, true));
  });
  return b;
}

/** struct kvm_msrs with its entries: { index, data } pairs. */
export interface MsrEntry {
  index: number;
  data: bigint;
}

export function encodeMsrs(entries: readonly MsrEntry[]): Uint8Array {
  const b = new Uint8Array(8 + entries.length * 16);
  const v = new DataView(b.buffer);
  v.setUint32(0, entries.length, true);
  entries.forEach((e, i) => {
    v.setUint32(8 + i * 16, e.index >>> 0, true);
    v.setBigUint64(8 + i * 16 + 8, BigInt.asUintN(64, e.data), true);
  });
  return b;
}

export function decodeMsrs(b: Uint8Array, count: number): MsrEntry[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: MsrEntry[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ index: v.getUint32(8 + i * 16, true), data: v.getBigUint64(8 + i * 16 + 8, true) });
  }
  return out;
}

/** struct kvm_fpu (416 bytes): x87 registers, control words and XMM0-15. */
export interface Fpu {
  fpr: Uint8Array; // 8 x 16 bytes
  fcw: number;
  fsw: number;
  ftwx: number;
  lastOpcode: number;
  lastIp: bigint;
  lastDp: bigint;
  xmm: Uint8Array; // 16 x 16 bytes
  mxcsr: number;
}
export const FPU_SIZE = 416;

export function decodeFpu(b: Uint8Array): Fpu {
  const v = new DataView(b.buffer, b.byteOffset, FPU_SIZE);
  return {
    fpr: b.slice(0, 128),
    fcw: v.getUint16(128, true),
    fsw: v.getUint16(130, true),
    ftwx: v.getUint8(132),
    lastOpcode: v.getUint16(134, true),
    lastIp: v.getBigUint64(136, true),
    lastDp: v.getBigUint64(144, true),
    xmm: b.slice(152, 408),
    mxcsr: v.getUint32(408, true),
  };
}

export function encodeFpu(f: Fpu, b: Uint8Array): void {
  const v = new DataView(b.buffer, b.byteOffset, FPU_SIZE);
  b.set(f.fpr.subarray(0, 128), 0);
  v.setUint16(128, f.fcw, true);
  v.setUint16(130, f.fsw, true);
  v.setUint8(132, f.ftwx);
  v.setUint16(134, f.lastOpcode, true);
  v.setBigUint64(136, f.lastIp, true);
  v.setBigUint64(144, f.lastDp, true);
  b.set(f.xmm.subarray(0, 256), 152);
  v.setUint32(408, f.mxcsr, true);
}

/** struct kvm_userspace_memory_region (32 bytes). */
export interface MemoryRegion {
  slot: number;
  flags: number;
  guestPhysAddr: bigint | number;
  memorySize: bigint | number;
  userspaceAddr: bigint | number;
}

export function encodeMemoryRegion(r: MemoryRegion): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint32(0, r.slot >>> 0, true);
  v.setUint32(4, r.flags >>> 0, true);
  v.setBigUint64(8, BigInt(r.guestPhysAddr), true);
  v.setBigUint64(16, BigInt(r.memorySize), true);
  v.setBigUint64(24, BigInt(r.userspaceAddr), true);
  return b;
}

/** struct kvm_guest_debug: control flags and debugreg[8]. */
export interface GuestDebug {
  control: number;
  debugreg?: readonly bigint[];
}

export function encodeGuestDebug(d: GuestDebug): Uint8Array {
  const b = new Uint8Array(native.sizes.kvm_guest_debug ?? 72);
  const v = new DataView(b.buffer);
  v.setUint32(0, d.control >>> 0, true);
  (d.debugreg ?? []).slice(0, 8).forEach((x, i) => v.setBigUint64(8 + i * 8, x, true));
  return b;
}

/** struct kvm_enable_cap: cap, flags, args[4]. */
export function encodeEnableCap(cap: number, args: readonly (bigint | number)[] = []): Uint8Array {
  const b = new Uint8Array(native.sizes.kvm_enable_cap ?? 104);
  const v = new DataView(b.buffer);
  v.setUint32(0, cap >>> 0, true);
  args.slice(0, 4).forEach((x, i) => v.setBigUint64(8 + i * 8, BigInt(x), true));
  return b;
}

/** Fails at load when this file's layouts disagree with the compiler's. */
export function checkSizes(): void {
  const want: Record<string, number> = {
    kvm_regs: REGS_SIZE,
    kvm_sregs: SREGS_SIZE,
    kvm_segment: SEGMENT_SIZE,
    kvm_fpu: FPU_SIZE,
    kvm_cpuid_entry2: CPUID_ENTRY_SIZE,
    kvm_msr_entry: 16,
    kvm_userspace_memory_region: 32,
  };
  for (const [name, size] of Object.entries(want)) {
    if (native.sizes[name] !== size) {
      throw new Error(`@tsv/kvm-sys: struct ${name} is ${native.sizes[name]} bytes in <linux/kvm.h>, ${size} here`);
    }
  }
}
