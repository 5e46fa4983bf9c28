// 4-level x86-64 page tables for one user address space, written from the
// host into guest-physical memory.
//
// The root shares the kernel half by copying the image's PML4 entries; this
// class only ever touches the lower half [0, 2^47), so no user mapping can
// reach the kernel's tables or pages. Table entries in the user half are
// permissive (P|RW|US): the leaf alone decides access, so lookup() and the
// CPU agree. Leaves are 4 KiB, or 2 MiB when map() is given PTE_PS; a
// partial unmap/protect (or a 4 KiB map) inside a 2 MiB page splits it.
// Tables that an unmap leaves empty go back to the allocator.
//
// Table contents are treated as hostile (they are guest memory): an entry
// with a reserved bit set, a 1 GiB leaf, or a pointer outside guest memory
// is corrupt; so, when the allocator can tell, is a table pointer to a
// frame that is not a live table, or a leaf on one. lookup() and
// deepestEntry() see a corrupt entry as not mapped; map, unmap and protect
// clear it (reporting its whole span as changed) and carry on as if it were
// absent; forEachLeaf() reports it. Nothing here throws for it.
//
// unmap/protect/map report the bytes whose old mapping granted more than the
// new one (present -> absent, lost RW/US, gained NX, or another frame): a
// stale TLB entry there must be flushed before ring 3 runs again. Upgrades
// need no flush: a fault on a stale entry re-walks the tables.
import { HUGE_PAGE_SIZE, KERNEL_PHYS_END, LOWER_HALF_END, PAGE_SIZE } from './layout.js';
import type { SharedEntry } from './image.js';
import type { FrameAllocator, PhysicalMemory } from './memory.js';
import {
  clearEntry,
  ENTRIES_PER_TABLE,
  entryFlags,
  entryFrame,
  isDowngrade,
  isPresent,
  PTE_A,
  PTE_D,
  PTE_FLAGS_MASK,
  PTE_NX,
  PTE_P,
  PTE_PS,
  PTE_RW,
  PTE_US,
  writeEntry,
} from './pte.js';

export const ENOMEM = 12;

/** Bytes one entry covers at level 0 (PT) .. 3 (PML4). */
const SPAN = [PAGE_SIZE, HUGE_PAGE_SIZE, 2 ** 30, 2 ** 39] as const;
const USER_TABLE = PTE_P | PTE_RW | PTE_US | PTE_A;
const FIRST_KERNEL_SLOT = 256;

const OP_MAP = 1;
const OP_UNMAP = 2;
const OP_PROTECT = 3;

/** Called with [start, end) for each maximal run of changed bytes. */
export type RangeSink = (start: number, end: number) => void;

/** A table-frame allocator that may also say which frames are live tables (then entries pointing elsewhere are corrupt). */
export interface TableFrames extends FrameAllocator {
  isTable?(gpa: number): boolean;
}

/** What an entry holds (#kind). */
const ABSENT = 0;
const TABLE = 1;
const LEAF = 2;
const CORRUPT = 3;

/** Result of lookup(): where a user address lands and with which rights. */
export class Translation {
  /** Guest-physical address of the byte. */
  gpa = 0;
  /** Effective flags word: RW/US only if every level grants them, NX if any level sets it. */
  flags = 0;
  /** 4096 or 2 MiB. */
  pageSize = 0;
}

export class PageTables {
  /** Guest-physical address of the PML4 (the CR3 value). */
  readonly root: number;
  readonly #mem: PhysicalMemory;
  readonly #frames: TableFrames;
  #released = false;
  // The operation in progress (walks are recursive; no closures per call).
  #op = 0;
  #flags = 0;
  #va0 = 0;
  #gpa0 = 0;
  #sink: RangeSink | undefined = undefined;
  #changed = 0;
  #runStart = 0;
  #runEnd = -1;
  #noMemory = false;

  /**
   * A new, empty user address space whose root shares `shared` (the kernel
   * image's sharedEntries). Throws if the allocator has no frame.
   */
  constructor(mem: PhysicalMemory, frames: TableFrames, shared: readonly SharedEntry[]) {
    this.#mem = mem;
    this.#frames = frames;
    const root = this.#allocTable();
    if (root < 0) throw new Error('PageTables: no frame for the root table');
    this.root = root;
    for (const e of shared) {
      if (!Number.isInteger(e.index) || e.index < FIRST_KERNEL_SLOT || e.index >= ENTRIES_PER_TABLE) {
        throw new RangeError(`shared PML4 slot ${e.index} is not in the upper half`);
      }
      mem.view.setUint32(root + e.index * 8, e.lo >>> 0, true);
      mem.view.setUint32(root + e.index * 8 + 4, e.hi >>> 0, true);
    }
  }

  /**
   * Maps [va, va + size) to guest-physical [gpa, gpa + size) with `flags`
   * (PTE_* flags word; P, A and, if RW, D are implied; PTE_PS selects 2 MiB
   * pages and then va, gpa and size must be 2 MiB aligned). Existing
   * mappings in the range are replaced. Returns the bytes whose previous
   * mapping needs a TLB flush, or -ENOMEM if a table frame could not be
   * allocated (the range is then partly mapped; unmap it to roll back).
   */
  map(va: number, size: number, gpa: number, flags: number, sink?: RangeSink): number {
    const align = (flags & PTE_PS) !== 0 ? HUGE_PAGE_SIZE : PAGE_SIZE;
    this.#checkRange(va, size, align);
    if (!Number.isInteger(gpa) || gpa % align !== 0 || gpa < KERNEL_PHYS_END || gpa + size > this.#mem.bytes.byteLength) {
      throw new RangeError(`map: frames [0x${gpa.toString(16)}, +0x${size.toString(16)}) are not free guest memory`);
    }
    let f = (flags & PTE_FLAGS_MASK) | PTE_P | PTE_A;
    if ((f & PTE_RW) !== 0) f |= PTE_D;
    this.#begin(OP_MAP, f >>> 0, va, gpa, sink);
    return this.#run(va, size);
  }

  /** Unmaps [va, va + size). Returns the bytes that were mapped (all need a flush). */
  unmap(va: number, size: number, sink?: RangeSink): number {
    this.#checkRange(va, size, PAGE_SIZE);
    this.#begin(OP_UNMAP, 0, va, 0, sink);
    return this.#run(va, size);
  }

  /**
   * Sets the rights of every present page in [va, va + size) to `flags`
   * (RW, US, NX, PWT, PCD, G; P is implied, PS ignored). Absent pages stay
   * absent. Returns the bytes that lost a right, or -ENOMEM if splitting a
   * 2 MiB page needed a frame that was not there.
   */
  protect(va: number, size: number, flags: number, sink?: RangeSink): number {
    this.#checkRange(va, size, PAGE_SIZE);
    this.#begin(OP_PROTECT, ((flags & PTE_FLAGS_MASK & ~(PTE_PS | PTE_A | PTE_D)) | PTE_P) >>> 0, va, 0, sink);
    return this.#run(va, size);
  }

  /**
   * Translates user address `va` (any number: guest input). Returns false
   * when it is outside the lower half or not mapped; never throws.
   */
  lookup(va: number, out: Translation): boolean {
    if (!(va >= 0 && va < LOWER_HALF_END) || this.#released) return false;
    const view = this.#mem.view;
    let table = this.root;
    let allow = PTE_RW | PTE_US;
    let nx = 0;
    for (let level = 3; level >= 0; level--) {
      const span = SPAN[level]!;
      const at = table + (Math.floor(va / span) % ENTRIES_PER_TABLE) * 8;
      const kind = this.#kind(at, level);
      if (kind === ABSENT || kind === CORRUPT) return false;
      const fl = entryFlags(view, at);
      allow &= fl;
      nx |= fl & PTE_NX;
      const frame = entryFrame(view, at);
      if (kind === LEAF) {
        out.gpa = frame + (va % span);
        out.flags = ((fl & ~(PTE_RW | PTE_US | PTE_NX)) | allow | nx) >>> 0;
        out.pageSize = span;
        return true;
      }
      table = frame;
    }
    return false;
  }

  /**
   * Calls `fn(va, size, gpa, flags)` for every leaf of the user half in
   * address order (flags as entryFlags, of the leaf), and for every corrupt
   * entry with gpa -1 and the span it covers. For invariant checks.
   */
  forEachLeaf(fn: (va: number, size: number, gpa: number, flags: number) => void): void {
    if (!this.#released) this.#leaves(this.root, 3, 0, FIRST_KERNEL_SLOT, fn);
  }

  #leaves(
    table: number,
    level: number,
    base: number,
    count: number,
    fn: (va: number, size: number, gpa: number, flags: number) => void,
  ): void {
    const view = this.#mem.view;
    const span = SPAN[level]!;
    for (let i = 0; i < count; i++) {
      const at = table + i * 8;
      const kind = this.#kind(at, level);
      if (kind === LEAF) fn(base + i * span, span, entryFrame(view, at), entryFlags(view, at));
      else if (kind === CORRUPT) fn(base + i * span, span, -1, entryFlags(view, at));
      else if (kind === TABLE) this.#leaves(entryFrame(view, at), level - 1, base + i * span, ENTRIES_PER_TABLE, fn);
    }
  }

  /** The bytes the entry found by the last deepestEntry() covers (4 KiB, 2 MiB, 1 GiB or 512 GiB). */
  lastSpan = PAGE_SIZE;

  /**
   * Directory entries that held a 2 MiB leaf and now point to a table of
   * equal 4 KiB leaves (a split), by guest-physical address, until the
   * caller takes them. A split takes no right away, but on shadow paging
   * KVM keeps using the old 2 MiB leaf until the guest stores the directory
   * entry itself: without that, narrowing one of the new 4 KiB leaves would
   * never take effect (the entry's store lands in a table KVM has not seen).
   */
  readonly splits: number[] = [];

  /**
   * The guest-physical address of the deepest entry on the walk for user
   * address `va`: its leaf if mapped, else the first absent entry. Sets
   * lastSpan to what that entry covers. This is the entry to store again
   * when a mapping there lost rights.
   */
  deepestEntry(va: number): number {
    if (!(va >= 0 && va < LOWER_HALF_END) || this.#released)
      throw new RangeError(`deepestEntry: 0x${va.toString(16)} is not a user address`);
    const view = this.#mem.view;
    let table = this.root;
    for (let level = 3; ; level--) {
      const span = SPAN[level]!;
      const at = table + (Math.floor(va / span) % ENTRIES_PER_TABLE) * 8;
      this.lastSpan = span;
      if (this.#kind(at, level) !== TABLE) return at;
      table = entryFrame(view, at);
    }
  }

  /** Frees every table frame of the user half and the root. The object is dead afterwards. */
  release(): void {
    if (this.#released) return;
    for (let i = 0; i < FIRST_KERNEL_SLOT; i++) this.#dropChild(this.root + i * 8, 3, false, 0);
    this.#frames.free(this.root);
    this.#released = true;
  }

  // ---- walking ----

  #checkRange(va: number, size: number, align: number): void {
    if (this.#released) throw new Error('PageTables: released');
    if (
      !Number.isInteger(va) ||
      !Number.isInteger(size) ||
      va % align !== 0 ||
      size % align !== 0 ||
      va < 0 ||
      size < 0 ||
      va + size > LOWER_HALF_END
    ) {
      throw new RangeError(`[0x${va.toString(16)}, +0x${size.toString(16)}) is not a ${align}-aligned lower-half range`);
    }
  }

  #begin(op: number, flags: number, va: number, gpa: number, sink: RangeSink | undefined): void {
    this.#op = op;
    this.#flags = flags;
    this.#va0 = va;
    this.#gpa0 = gpa;
    this.#sink = sink;
    this.#changed = 0;
    this.#runEnd = -1;
    this.#noMemory = false;
  }

  #run(va: number, size: number): number {
    if (size > 0) this.#walk(this.root, 3, 0, va, va + size);
    if (this.#runEnd >= 0 && this.#sink !== undefined) this.#sink(this.#runStart, this.#runEnd);
    this.#sink = undefined;
    return this.#noMemory ? -ENOMEM : this.#changed;
  }

  /** Applies the operation to [start, end) inside `table` (level `level`, covering VAs from `base`). */
  #walk(table: number, level: number, base: number, start: number, end: number): void {
    const view = this.#mem.view;
    const span = SPAN[level]!;
    for (let i = Math.floor((start - base) / span); i < ENTRIES_PER_TABLE; i++) {
      const lo = base + i * span;
      if (lo >= end) return;
      const at = table + i * 8;
      if (level === 0) {
        this.#leaf(at, lo, PAGE_SIZE);
        continue;
      }
      const whole = lo >= start && lo + span <= end;
      if (this.#kind(at, level) === CORRUPT) this.#dropCorrupt(at, lo, span);
      const present = isPresent(view, at);
      const huge = present && (entryFlags(view, at) & PTE_PS) !== 0;
      const mapHuge = this.#op === OP_MAP && (this.#flags & PTE_PS) !== 0;
      if (level === 1 && (mapHuge || (huge && whole && this.#op !== OP_MAP))) {
        // A whole 2 MiB slot handled as one leaf. A table under it is
        // replaced by the huge page (its present pages count as changed).
        if (present && !huge) this.#dropChild(at, 1, true, lo);
        this.#leaf(at, lo, HUGE_PAGE_SIZE);
        continue;
      }
      if (huge && !this.#split(at)) return;
      if (!present) {
        if (this.#op !== OP_MAP) continue;
        const t = this.#allocTable();
        if (t < 0) {
          this.#noMemory = true;
          return;
        }
        writeEntry(view, at, t, USER_TABLE);
      }
      const child = entryFrame(view, at);
      this.#walk(child, level - 1, lo, start > lo ? start : lo, end < lo + span ? end : lo + span);
      if (this.#noMemory) return;
      if (this.#op === OP_UNMAP && isEmptyTable(view, child)) {
        clearEntry(view, at);
        this.#frames.free(child);
      }
    }
  }

  /** The operation on one leaf entry mapping [va, va + size). */
  #leaf(at: number, va: number, size: number): void {
    const view = this.#mem.view;
    if (size === PAGE_SIZE && this.#kind(at, 0) === CORRUPT) this.#dropCorrupt(at, va, size);
    const present = isPresent(view, at);
    const old = present ? entryFlags(view, at) : 0;
    const oldFrame = present ? entryFrame(view, at) : 0;
    const ps = size === HUGE_PAGE_SIZE ? PTE_PS : 0;
    if (this.#op === OP_MAP) {
      const frame = this.#gpa0 + (va - this.#va0);
      const flags = ((this.#flags & ~PTE_PS) | ps) >>> 0;
      if (present && (oldFrame !== frame || isDowngrade(old, flags))) this.#record(va, size);
      writeEntry(view, at, frame, flags);
    } else if (!present) {
      return;
    } else if (this.#op === OP_UNMAP) {
      this.#record(va, size);
      clearEntry(view, at);
    } else {
      const flags = (this.#flags | (old & (PTE_A | PTE_D | PTE_PS))) >>> 0;
      if (isDowngrade(old, flags)) this.#record(va, size);
      writeEntry(view, at, oldFrame, flags);
    }
  }

  /** Replaces the 2 MiB leaf at `at` by a table of 512 equivalent 4 KiB leaves. */
  #split(at: number): boolean {
    const view = this.#mem.view;
    const t = this.#allocTable();
    if (t < 0) {
      this.#noMemory = true;
      return false;
    }
    const flags = (entryFlags(view, at) & ~PTE_PS) >>> 0;
    const frame = entryFrame(view, at);
    const base = frame - (frame % HUGE_PAGE_SIZE);
    for (let j = 0; j < ENTRIES_PER_TABLE; j++) writeEntry(view, t + j * 8, base + j * PAGE_SIZE, flags);
    writeEntry(view, at, t, USER_TABLE);
    this.splits.push(at);
    return true;
  }

  /**
   * Frees the table under entry `at` (level `level` > 0) and everything below
   * it, then clears the entry. With `record`, present leaves (corrupt ones
   * are present too) count as changed; without (release: the tables are
   * never walked again), the 4 KiB leaves are not looked at, which spared
   * an exiting process ~15 000 entry checks.
   */
  #dropChild(at: number, level: number, record: boolean, base: number): void {
    const view = this.#mem.view;
    const kind = this.#kind(at, level);
    if (kind === ABSENT) return;
    if (kind !== TABLE) {
      if (record || kind === CORRUPT) this.#record(base, SPAN[level]!);
      clearEntry(view, at);
      return;
    }
    const child = entryFrame(view, at);
    const span = SPAN[level - 1]!;
    for (let i = 0; i < ENTRIES_PER_TABLE; i++) {
      const e = child + i * 8;
      if (level === 1) {
        if (record && isPresent(view, e)) this.#record(base + i * span, span);
      } else {
        this.#dropChild(e, level - 1, record, base + i * span);
      }
    }
    clearEntry(view, at);
    this.#frames.free(child);
  }

  #record(va: number, size: number): void {
    this.#changed += size;
    if (this.#runEnd === va) {
      this.#runEnd += size;
      return;
    }
    if (this.#runEnd >= 0 && this.#sink !== undefined) this.#sink(this.#runStart, this.#runEnd);
    this.#runStart = va;
    this.#runEnd = va + size;
  }

  /**
   * What the entry at `at` (of a level-`level` table) holds: ABSENT, a valid
   * TABLE pointer, a valid LEAF (a 4 KiB page, or a 2 MiB page at level 1),
   * or CORRUPT: a reserved bit set (address bits above 4 GiB, PS where it is
   * reserved or a 1 GiB page, an unaligned 2 MiB frame), a frame outside
   * guest memory above the kernel image or, when the allocator can tell, a
   * table pointer to a frame that is not a live table or a leaf on one.
   */
  #kind(at: number, level: number): number {
    const view = this.#mem.view;
    if (!isPresent(view, at)) return ABSENT;
    const frame = entryFrame(view, at);
    if (frame < KERNEL_PHYS_END) return CORRUPT; // also -1: address bits above 4 GiB
    const huge = (entryFlags(view, at) & PTE_PS) !== 0;
    if (level === 0 || huge) {
      if (level > 1 || frame % SPAN[level]! !== 0 || frame + SPAN[level]! > this.#mem.bytes.byteLength) return CORRUPT;
      return this.#frames.isTable?.(frame) === true ? CORRUPT : LEAF; // ring 3 must never reach a table
    }
    if (frame + PAGE_SIZE > this.#mem.bytes.byteLength || this.#frames.isTable?.(frame) === false) return CORRUPT;
    return TABLE;
  }

  /**
   * Clears the corrupt entry at `at` that covers [va, va + span): whatever it
   * pointed to is not ours to free. The span counts as changed, so that a
   * translation cached from it is revoked.
   */
  #dropCorrupt(at: number, va: number, span: number): void {
    this.#record(va, span);
    clearEntry(this.#mem.view, at);
  }

  /** A zeroed table frame from the allocator, or -1. */
  #allocTable(): number {
    const f = this.#frames.alloc();
    if (f < 0) return -1;
    if (!Number.isInteger(f) || f % PAGE_SIZE !== 0 || f < KERNEL_PHYS_END || f + PAGE_SIZE > this.#mem.bytes.byteLength) {
      throw new Error(`PageTables: allocator returned 0x${f.toString(16)}, not a free 4 KiB frame`);
    }
    // Zeroed even if the allocator promises it: stale entries would be a hole.
    this.#mem.bytes.fill(0, f, f + PAGE_SIZE);
    return f;
  }
}

function isEmptyTable(view: DataView, table: number): boolean {
  for (let i = 0; i < ENTRIES_PER_TABLE * 2; i++) if (view.getUint32(table + i * 4, true) !== 0) return false;
  return true;
}
