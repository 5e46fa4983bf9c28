// The pages behind MAP_SHARED mappings. A shared mapping's frames belong to
// this object, not to the address spaces that map them, so that every
// mapping of it (after mremap, and after fork once it exists) sees the same
// frames, and dropping a mapping's page (munmap, MADV_DONTNEED) keeps the
// contents. Frames are found by page index (the VMA's offset / PAGE_SIZE
// plus the page's position in the VMA). Anonymous shared memory uses this
// class as it is; shared file mappings use FilePages (filecache.ts).
import type { PhysicalMemory } from '@tsv/platform';
import type { MemoryAccount } from './account.js';
import type { MappedFile } from './vma.js';

const PAGE = 4096;

export class SharedMemory {
  /** Page index -> frame address. */
  readonly frames = new Map<number, number>();
  #refs = 0;
  protected readonly mem: PhysicalMemory;
  readonly #account: MemoryAccount;

  constructor(mem: PhysicalMemory, account: MemoryAccount) {
    this.mem = mem;
    this.#account = account;
  }

  /** VMAs that refer to this object; its frames are freed when it drops to 0. */
  get refs(): number {
    return this.#refs;
  }

  /** A VMA (mapping `file`, null for anonymous memory) now refers to this object. */
  ref(_file: MappedFile | null): void {
    this.#refs++;
  }

  /** A VMA mapping `file` no longer refers to this object; the last one frees every frame. */
  unref(_file: MappedFile | null): void {
    if (--this.#refs > 0) return;
    for (const f of this.frames.values()) this.mem.free(f, 1);
    this.#account.uncharge(this.frames.size * PAGE);
    this.frames.clear();
    this.idle();
  }

  /** Called once the last reference is gone and the frames are freed. */
  protected idle(): void {}

  /** Allocates a zeroed frame for page `index`; -1 when out of memory or over the limit. */
  allocate(index: number): number {
    if (!this.#account.charge(PAGE)) return -1;
    const f = this.mem.allocate(1);
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
    this.mem.free(f, 1);
    this.#account.uncharge(PAGE);
  }
}
