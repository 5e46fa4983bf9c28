// x86-64 page-table entries as two little-endian u32 halves in guest memory.
//
// A "flags word" is a 32-bit number holding an entry's low 12 bits as they
// are, plus NX (bit 63 of the entry) carried as bit 31: the bits in between
// are the frame address and never flags. Frames are guest-physical addresses
// below 4 GiB, so an entry's address bits 32..51 are always zero here.

export const PTE_P = 0x1;
export const PTE_RW = 0x2;
export const PTE_US = 0x4;
export const PTE_PWT = 0x8;
export const PTE_PCD = 0x10;
export const PTE_A = 0x20;
export const PTE_D = 0x40;
/** In a PD entry: a 2 MiB page. As a map() flag: use 2 MiB pages. */
export const PTE_PS = 0x80;
export const PTE_G = 0x100;
/** Bit 63 of the entry, carried as bit 31 of a flags word. */
export const PTE_NX = 0x8000_0000;

/** Every bit of a flags word that is a flag. */
export const PTE_FLAGS_MASK = 0x8000_0fff;
const FRAME_MASK_LO = 0xffff_f000;
const NX_HI = 0x8000_0000;

export const ENTRIES_PER_TABLE = 512;

/** The flags word of the entry at guest-physical `at`. */
export function entryFlags(view: DataView, at: number): number {
  return ((view.getUint32(at, true) & 0xfff) | (view.getUint32(at + 4, true) & NX_HI)) >>> 0;
}

/**
 * The frame (guest-physical address) the entry at `at` points to, or -1 if
 * its address does not fit below 4 GiB (only a corrupted entry does that).
 */
export function entryFrame(view: DataView, at: number): number {
  if ((view.getUint32(at + 4, true) & 0x000f_ffff) !== 0) return -1;
  return (view.getUint32(at, true) & FRAME_MASK_LO) >>> 0;
}

export function isPresent(view: DataView, at: number): boolean {
  return (view.getUint32(at, true) & PTE_P) !== 0;
}

/** Writes an entry pointing at `frame` (4 KiB aligned, < 4 GiB) with a flags word. */
export function writeEntry(view: DataView, at: number, frame: number, flags: number): void {
  view.setUint32(at, ((frame & FRAME_MASK_LO) | (flags & 0xfff)) >>> 0, true);
  view.setUint32(at + 4, (flags & NX_HI) >>> 0, true);
}

export function clearEntry(view: DataView, at: number): void {
  view.setUint32(at, 0, true);
  view.setUint32(at + 4, 0, true);
}

/**
 * True when going from flags `from` to `to` takes a right away (present,
 * writable, user or executable), i.e. a stale TLB entry could grant more
 * than the table now does and must be flushed.
 */
export function isDowngrade(from: number, to: number): boolean {
  if ((from & PTE_P) === 0) return false;
  if ((to & PTE_P) === 0) return true;
  return (
    ((from & PTE_RW) !== 0 && (to & PTE_RW) === 0) ||
    ((from & PTE_US) !== 0 && (to & PTE_US) === 0) ||
    ((from & PTE_NX) === 0 && (to & PTE_NX) !== 0)
  );
}
