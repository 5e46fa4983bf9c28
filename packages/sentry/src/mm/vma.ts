// Virtual memory areas: a sorted array of non-overlapping [start, end)
// ranges. VMAs are plain objects (no methods, no back references) so a
// later fork can copy the list field by field and share `file` / `shm`.
import type { SharedMemory } from './shared.js';

/**
 * A file a mapping reads its pages from (an open file description, as the
 * syscall layer wraps it). Shared mappings of one file (same `dev` and
 * `ino`) share their frames and write dirty pages back with `pwrite`.
 */
export interface MappedFile {
  /** Reads up to `len` bytes at `offset` into `buf`; bytes read (0 at EOF) or -errno. */
  pread(buf: Uint8Array, len: number, offset: number): number;
  /** Writes `len` bytes of `buf` at `offset`; bytes written or -errno. Absent: stores through a shared mapping stay in memory. */
  pwrite?(buf: Uint8Array, len: number, offset: number): number;
  /** The file's current size in bytes, or -errno: write-back never goes past it. */
  size?(): number;
  /**
   * Changes whenever the file's contents may have (size and modification
   * time): cached pages of a file no mapping refers to are used again only
   * at the same version. Absent: they are never kept.
   */
  version?(): string | undefined;
  /** Makes written-back data durable (msync MS_SYNC); 0 or -errno. */
  sync?(): number;
  /** Keeps the open file alive while a shared mapping uses it (its descriptor may be closed), and lets it go. */
  hold?(): void;
  release?(): void;
  /** Shown in /proc/self/maps. */
  readonly name?: string;
  /** Device and inode numbers for /proc/self/maps. */
  readonly dev?: number;
  readonly ino?: number;
  /** Open for reading / writing (mmap needs read; a writable shared mapping needs write). Default true. */
  readonly readable?: boolean;
  readonly writable?: boolean;
  /** True when a shared mapping made now may never write the file though it is open for writing (a memfd's write seals): it is made without VMA_MAYWRITE. */
  writeSealed?(): boolean;
  /** Counts the file's VMA_MAYWRITE mappings (Linux's i_mmap_writable, which F_SEAL_WRITE checks): +1 as one is made, -1 as one goes. */
  sharedWriters?(delta: 1 | -1): void;
}

/** VMA flags (not the ABI's MAP_* bits). */
export const VMA_SHARED = 1;
export const VMA_GROWSDOWN = 2;
export const VMA_NORESERVE = 4;
export const VMA_LOCKED = 8;
/** MADV_DONTFORK: a fork's child does not get this range. */
export const VMA_DONTFORK = 16;
/** MADV_WIPEONFORK: a fork's child gets this range empty (zero-filled on touch). */
export const VMA_WIPEONFORK = 32;
/**
 * A shared mapping that may be made writable (Linux's VM_MAYWRITE): set at
 * mmap when its file is open for writing and not write-sealed (always for
 * shared anonymous memory). mprotect(PROT_WRITE) of a shared mapping
 * without it is EACCES; each VMA with it counts as a writer of its file
 * (MappedFile.sharedWriters) for as long as it exists, whatever its
 * protection.
 */
export const VMA_MAYWRITE = 64;

export interface Vma {
  start: number;
  end: number;
  /** PROT_READ | PROT_WRITE | PROT_EXEC. */
  prot: number;
  /** VMA_* bits. */
  flags: number;
  file: MappedFile | null;
  /** Byte offset of `start` in the file, or in `shm` for a shared mapping. */
  offset: number;
  /** Owner of the frames of a shared mapping; null for private ones. */
  shm: SharedMemory | null;
  /** "[heap]", "[stack]", "[vdso]", "[vvar]" or "" (the file's name is shown for file mappings). */
  name: string;
}

/**
 * A new VMA refers to what backs it: a shared mapping to its frames (and
 * through them its file), a private file mapping to the open file itself, so
 * that faults after close(2) of the descriptor still read the file.
 */
export function refVma(v: Vma): void {
  if (v.shm !== null) {
    v.shm.ref(v.file);
    if ((v.flags & VMA_MAYWRITE) !== 0) v.file?.sharedWriters?.(1);
  } else {
    v.file?.hold?.();
  }
}

/** Drops what refVma() took, when a VMA goes away (unmapped, or merged into its neighbour). */
export function unrefVma(v: Vma): void {
  if (v.shm !== null) {
    if ((v.flags & VMA_MAYWRITE) !== 0) v.file?.sharedWriters?.(-1);
    v.shm.unref(v.file);
  } else {
    v.file?.release?.();
  }
}

/** The part of `v` from `at` on, as a new VMA (`v` itself is not changed). */
function tail(v: Vma, at: number): Vma {
  return { ...v, start: at, offset: v.offset + (at - v.start) };
}

function mergeable(a: Vma, b: Vma): boolean {
  return (
    a.end === b.start &&
    a.prot === b.prot &&
    a.flags === b.flags &&
    a.file === b.file &&
    a.shm === b.shm &&
    a.name === b.name &&
    (a.file === null && a.shm === null ? true : a.offset + (a.end - a.start) === b.offset)
  );
}

export class VmaList {
  readonly #v: Vma[] = [];
  #total = 0;

  /** Total bytes mapped. */
  get total(): number {
    return this.#total;
  }

  get length(): number {
    return this.#v.length;
  }

  at(i: number): Vma | undefined {
    return this.#v[i];
  }

  /** Every VMA in address order (the live array: do not modify). */
  get all(): readonly Vma[] {
    return this.#v;
  }

  /** Index of the first VMA whose end is above `addr` (the length when none). */
  indexAbove(addr: number): number {
    const v = this.#v;
    let lo = 0;
    let hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v[mid]!.end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The VMA containing `addr`. */
  find(addr: number): Vma | undefined {
    const v = this.#v[this.indexAbove(addr)];
    return v !== undefined && v.start <= addr ? v : undefined;
  }

  /** True when some VMA overlaps [start, end). */
  overlaps(start: number, end: number): boolean {
    const v = this.#v[this.indexAbove(start)];
    return v !== undefined && v.start < end;
  }

  /** True when [start, end) is covered by VMAs without holes. */
  covers(start: number, end: number): boolean {
    let i = this.indexAbove(start);
    let at = start;
    while (at < end) {
      const v = this.#v[i++];
      if (v === undefined || v.start > at) return false;
      at = v.end;
    }
    return true;
  }

  /** Splits the VMA that strictly contains `addr` in two; the new half takes its own reference (refVma). */
  split(addr: number): void {
    const i = this.indexAbove(addr);
    const v = this.#v[i];
    if (v === undefined || v.start >= addr) return;
    const t = tail(v, addr);
    v.end = addr;
    refVma(t);
    this.#v.splice(i + 1, 0, t);
  }

  /**
   * Splits at `start` and `end` and returns the index range [first, last) of
   * the VMAs inside [start, end).
   */
  isolate(start: number, end: number): [number, number] {
    this.split(start);
    this.split(end);
    const first = this.indexAbove(start);
    let last = first;
    while (last < this.#v.length && this.#v[last]!.start < end) last++;
    return [first, last];
  }

  /** Removes the VMAs inside [start, end) (splitting at the edges) and returns them. */
  remove(start: number, end: number): Vma[] {
    const [first, last] = this.isolate(start, end);
    const gone = this.#v.splice(first, last - first);
    for (const v of gone) this.#total -= v.end - v.start;
    return gone;
  }

  /** Moves the edges of `v` (in the list); the caller keeps the order and avoids overlaps. */
  setBounds(v: Vma, start: number, end: number): void {
    this.#total += end - start - (v.end - v.start);
    v.start = start;
    v.end = end;
  }

  /** Inserts `vma`, which must not overlap any VMA, and merges it with compatible neighbours. */
  insert(vma: Vma): void {
    const i = this.indexAbove(vma.start);
    this.#v.splice(i, 0, vma);
    this.#total += vma.end - vma.start;
    this.mergeAt(i + 1);
    this.mergeAt(i);
  }

  /** Merges the VMA at index `i` into the one before it when they are compatible. */
  mergeAt(i: number): void {
    const a = this.#v[i - 1];
    const b = this.#v[i];
    if (a === undefined || b === undefined || !mergeable(a, b)) return;
    a.end = b.end;
    unrefVma(b); // never the last: `a` holds the same object and file
    this.#v.splice(i, 1);
  }

  /** Describes the first broken invariant, or returns null (for tests and debugging). */
  check(min: number, max: number): string | null {
    let prev: Vma | undefined;
    let total = 0;
    for (const v of this.#v) {
      total += v.end - v.start;
      if (!Number.isSafeInteger(v.start) || !Number.isSafeInteger(v.end) || v.start % 4096 !== 0 || v.end % 4096 !== 0) {
        return `unaligned VMA [${v.start}, ${v.end})`;
      }
      if (v.start >= v.end) return `empty VMA at 0x${v.start.toString(16)}`;
      if (v.start < min || v.end > max) return `VMA [0x${v.start.toString(16)}, 0x${v.end.toString(16)}) outside user space`;
      if (prev !== undefined && prev.end > v.start) return `VMAs overlap at 0x${v.start.toString(16)}`;
      if (prev !== undefined && mergeable(prev, v)) return `unmerged VMAs at 0x${v.start.toString(16)}`;
      if (v.shm !== null && v.shm.refs <= 0) return `shared VMA with no reference at 0x${v.start.toString(16)}`;
      prev = v;
    }
    return total === this.#total ? null : `total ${this.#total} != ${total}`;
  }
}
