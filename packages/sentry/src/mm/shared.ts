// The pages behind MAP_SHARED mappings. A shared mapping's frames belong to
// this object, not to the address spaces that map them, so that every
// mapping of it (after mremap, and after fork once it exists) sees the same
// frames, and dropping a mapping's page (munmap, MADV_DONTNEED) keeps the
// contents. Frames are found by page index (the VMA's offset / PAGE_SIZE
// plus the page's position in the VMA).
import type { PhysicalMemory } from '@tsv/platform';
import type { MemoryAccount } from './account.js';

const PAGE = 4096;

export class SharedMemory {
  /** Page index -> frame address. */
  readonly frames = new Map<number, number>();
  /** VMAs that refer to this object; its frames are freed when it drops to 0. */
  refs = 0;
  readonly #mem: PhysicalMemory;
  readonly #account: MemoryAccount;

  constructor(mem: PhysicalMemory, account: MemoryAccount) {
    this.#mem = mem;
    this.#account = account;
  }

  /** Allocates a zeroed frame for page `index`; -1 when out of memory or over the limit. */
  allocate(index: number): number {
    if (!this.#account.charge(PAGE)) return -1;
    const f = this.#mem.allocate(1);
    if (f < 0) {
      this.#account.uncharge(PAGE);
      return -1;
    }
    this.frames.set(index, f);
    return f;
  }

  /** Frees the frame of page `index`, if any (a hole: the page reads as zeros again). */
  discard(index: number): void {
    const f = this.frames.get(index);
    if (f === undefined) return;
    this.frames.delete(index);
    this.#mem.free(f, 1);
    this.#account.uncharge(PAGE);
  }

  /** Drops one reference; the last frees every frame. */
  unref(): void {
    if (--this.refs > 0) return;
    for (const f of this.frames.values()) this.#mem.free(f, 1);
    this.#account.uncharge(this.frames.size * PAGE);
    this.frames.clear();
  }
}
