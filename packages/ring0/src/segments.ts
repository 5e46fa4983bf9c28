// Code and data segments, once: as GDT descriptors (what the guest's GDT
// holds) and as struct kvm_segment (what the host loads through
// KVM_SET_SREGS or the sync-regs area). Both are derived from SEGMENTS, so
// the selectors the host loads always match the guest's GDT.
import { KERNEL_CS, KERNEL_DS, TSS_SELECTOR, TSS_SIZE, USER_CS, USER_CS32, USER_DS } from './layout.js';

/** struct kvm_segment, field for field (the shape @tsv/kvm-sys uses). */
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

export interface SegmentKind {
  readonly selector: number;
  /** Descriptor type with the accessed bit set, so the CPU never writes the (read-only) GDT. */
  readonly type: number;
  readonly dpl: number;
  /** 64-bit code; also set in the GDT's user data descriptor (USER_DATA_DESCRIPTOR). */
  readonly l: number;
  /** 32-bit default size (data and 32-bit code). */
  readonly db: number;
}

const CODE = 0xb; // execute/read, accessed
const DATA = 0x3; // read/write, accessed
const TSS_BUSY = 0xb; // 64-bit TSS, busy: TR is loaded by the host, never by LTR

/**
 * Ring 3 must never leave 64-bit mode: in compatibility mode a SYSCALL
 * enters ring 0 at CSTAR truncated to 32 bits on this PVM host, a user
 * address (README, "What protects ring 0 on PVM"). So:
 * - Linux's 32-bit user code slot (0x20) holds a kernel-only data
 *   descriptor: a far JMP/CALL/RET or IRET to 0x23 raises #GP(0x20), which
 *   Linux answers for a selector it refuses (SIGSEGV). An empty slot would
 *   raise #UD or #NP here instead.
 * - Every descriptor in the GDT that ring 3 may load has L = 1
 *   (USER_DATA_DESCRIPTOR). PVM's IRET takes the CS mode from the L and D
 *   bits of any DPL-3 descriptor, data or not: an IRET to CS = 0x2b entered
 *   32-bit (D = 1) or 16-bit (D = 0) code while the user data descriptor
 *   had L = 0. The CPU ignores L in a data segment.
 */
export const SEGMENTS = {
  kernelCode: { selector: KERNEL_CS, type: CODE, dpl: 0, l: 1, db: 0 },
  kernelData: { selector: KERNEL_DS, type: DATA, dpl: 0, l: 0, db: 1 },
  noUserCode32: { selector: USER_CS32 & ~3, type: DATA, dpl: 0, l: 0, db: 1 },
  userData: { selector: USER_DS, type: DATA, dpl: 3, l: 0, db: 1 },
  userCode: { selector: USER_CS, type: CODE, dpl: 3, l: 1, db: 0 },
} as const satisfies Record<string, SegmentKind>;

/**
 * The user data descriptor as the GDT holds it: SEGMENTS.userData with
 * L = 1. The host still loads SS as SEGMENTS.userData: with L = 1 in the SS
 * it writes through sync_regs, this PVM host now and then ran a vCPU on
 * with its previous registers after an entry the tick had cut short.
 */
export const USER_DATA_DESCRIPTOR: SegmentKind = { ...SEGMENTS.userData, l: 1, db: 0 };

/** Writes the 8-byte GDT descriptor of a flat 4 GiB code/data segment at `at`. */
export function writeDescriptor(view: DataView, at: number, k: SegmentKind): void {
  const access = k.type | 0x10 /* S */ | (k.dpl << 5) | 0x80; /* P */
  view.setUint32(at, 0x0000_ffff, true);
  view.setUint32(at + 4, ((access << 8) | (0xf << 16) | (k.l << 21) | (k.db << 22) | (1 << 23)) >>> 0, true);
}

/** Writes the 16-byte descriptor of a 64-bit TSS at kernel VA (hi:lo). */
export function writeTssDescriptor(view: DataView, at: number, baseLo: number, baseHi: number): void {
  view.setUint32(at, ((TSS_SIZE - 1) | ((baseLo & 0xffff) << 16)) >>> 0, true);
  view.setUint32(at + 4, (((baseLo >>> 16) & 0xff) | ((TSS_BUSY | 0x80) << 8) | (baseLo & 0xff00_0000)) >>> 0, true);
  view.setUint32(at + 8, baseHi >>> 0, true);
  view.setUint32(at + 12, 0, true);
}

export function segment(k: SegmentKind): Segment {
  return {
    base: 0n,
    limit: 0xffff_ffff,
    selector: k.selector,
    type: k.type,
    present: 1,
    dpl: k.dpl,
    db: k.db,
    s: 1,
    l: k.l,
    g: 1,
    avl: 0,
    unusable: 0,
  };
}

/** A null selector: what DS/ES/FS/GS hold in 64-bit Linux user and kernel code. */
export function nullSegment(): Segment {
  return { base: 0n, limit: 0, selector: 0, type: 0, present: 0, dpl: 0, db: 0, s: 0, l: 0, g: 0, avl: 0, unusable: 1 };
}

export function tssSegment(base: bigint): Segment {
  return {
    base,
    limit: TSS_SIZE - 1,
    selector: TSS_SELECTOR,
    type: TSS_BUSY,
    present: 1,
    dpl: 0,
    db: 0,
    s: 0,
    l: 0,
    g: 0,
    avl: 0,
    unusable: 0,
  };
}

// ---- struct kvm_segment / kvm_sregs in place (the sync-regs area), no allocation ----

/** Byte offsets of CS and SS inside struct kvm_sregs. */
export const SREGS_CS = 0;
export const SREGS_SS = 120;

/** Writes a flat code/data segment as struct kvm_segment at `at`. */
export function writeKvmSegment(view: DataView, at: number, k: SegmentKind): void {
  view.setBigUint64(at, 0n, true);
  view.setUint32(at + 8, 0xffff_ffff, true);
  view.setUint16(at + 12, k.selector, true);
  view.setUint8(at + 14, k.type);
  view.setUint8(at + 15, 1); // present
  view.setUint8(at + 16, k.dpl);
  view.setUint8(at + 17, k.db);
  view.setUint8(at + 18, 1); // s
  view.setUint8(at + 19, k.l);
  view.setUint8(at + 20, 1); // g
  view.setUint8(at + 21, 0); // avl
  view.setUint8(at + 22, 0); // unusable
  view.setUint8(at + 23, 0);
}

/**
 * Puts user CS (0x33) and SS (0x2b) into the struct kvm_sregs at `sregsAt`
 * (e.g. kvm_run's sync-regs area): with RIP/RSP/RFLAGS in kvm_regs and both
 * sets marked dirty, the next KVM_RUN resumes in ring 3 without the guest
 * executing a return instruction.
 */
export function writeUserSegments(view: DataView, sregsAt: number): void {
  writeKvmSegment(view, sregsAt + SREGS_CS, SEGMENTS.userCode);
  writeKvmSegment(view, sregsAt + SREGS_SS, SEGMENTS.userData);
}
