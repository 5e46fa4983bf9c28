// The pages behind MAP_SHARED mappings. A shared mapping's frames are held
// by this object (one reference each, see frames.ts) as well as by every
// process page that maps them, so that every mapping of it (after mremap,
// and after fork once it exists) sees the same frames, and dropping a
// mapping's page (munmap, MADV_DONTNEED) keeps the contents. Frames are
// found by page index (the VMA's offset / PAGE_SIZE plus the page's
// position in the VMA). Anonymous shared memory uses this class as it is;
// shared file mappings use FilePages (filecache.ts).
//
// Taking a page out of the object (discard: MADV_REMOVE, truncation) first
// unmaps it from every mapper, so each mapping sees the hole on its next
// touch; the frame goes back once no mapping holds it.
import type { PhysicalMemory } from '@tsv/platform';
import type { MemoryAccount } from './account.js';
import type { FrameHolder, Frames } from './frames.js';
import type { MappedFile } from './vma.js';

const PAGE = 4096;

/** An address space that may map a SharedMemory's frames (the Pager). Page ranges are page indices [from, to). */
export interface SharedMapper {
  /** Unmaps the pages: they left the object. */
  unmapShared(shm: SharedMemory, from: number, to: number): void;
  /** Write-protects the pages of writable mappings (FilePages wrote them back: the next store must fault). */
  protectShared(shm: SharedMemory, from: number, to: number): void;
}

/** The keys of `m` (page indices) in [from, to), ascending: walks the range or the keys, whichever is shorter. */
export function indicesIn(m: ReadonlySet<number> | ReadonlyMap<number, unknown>, from: number, to: number): number[] {
  const out: number[] = [];
  if (to - from <= m.size) {
    for (let i = from; i < to; i++) if (m.has(i)) out.push(i);
    return out;
  }
  for (const i of m.keys()) if (i >= from && i < to) out.push(i);
  return out.sort((a, b) => a - b);
}

export class SharedMemory implements FrameHolder {
  readonly holderName: string = 'shared memory';
  /** Page index -> frame address. */
  readonly frames = new Map<number, number>();
  #refs = 0;
  protected readonly mem: PhysicalMemory;
  protected readonly mappers = new Set<SharedMapper>();
  readonly #pool: Frames;
  readonly #account: MemoryAccount;

  constructor(pool: Frames, account: MemoryAccount) {
    this.mem = pool.mem;
    this.#pool = pool;
    this.#account = account;
    pool.addHolder(this);
  }

  /** VMAs that refer to this object; its frames are released when it drops to 0. */
  get refs(): number {
    return this.#refs;
  }

  /** `m` maps (or may map) pages of this object: it hears of pages that leave. */
  addMapper(m: SharedMapper): void {
    this.mappers.add(m);
  }

  /** A VMA (mapping `file`, null for anonymous memory) now refers to this object. */
  ref(_file: MappedFile | null): void {
    this.#refs++;
  }

  /** A VMA mapping `file` no longer refers to this object; after the last one, idle() decides what becomes of the frames. */
  unref(_file: MappedFile | null): void {
    if (--this.#refs > 0) return;
    this.mappers.clear();
    this.idle();
  }

  /** Called once the last reference is gone: anonymous shared memory has no further use and frees its frames. */
  protected idle(): void {
    this.releaseFrames();
  }

  /** Drops every frame this object holds and leaves the pool's holders: it is not used again. */
  releaseFrames(): void {
    for (const f of this.frames.values()) this.#pool.unref(f);
    this.frames.clear();
    this.#pool.removeHolder(this);
  }

  /** Allocates a zeroed frame for page `index`; -1 when out of memory or over the limit. */
  allocate(index: number): number {
    return this.allocateRun(index, 1);
  }

  /**
   * Allocates `pages` contiguous zeroed frames for pages [index, index +
   * pages) (absent ones: the caller checked), in one allocation, so the
   * host backs them with one call; the first frame, or -1 (nothing
   * allocated) when out of memory, over the limit or too fragmented.
   */
  allocateRun(index: number, pages: number): number {
    const f = this.#pool.allocate(pages, this.#account);
    if (f < 0) return -1;
    for (let i = 0; i < pages; i++) this.frames.set(index + i, f + i * PAGE);
    return f;
  }

  /**
   * Punches a hole: pages [from, to) leave every mapping and the object,
   * and read as zeros (or, for a file, its contents) when touched again.
   */
  discard(from: number, to: number): void {
    const gone = indicesIn(this.frames, from, to);
    if (gone.length === 0) return;
    for (const m of this.mappers) m.unmapShared(this, from, to);
    for (const i of gone) {
      this.#pool.unref(this.frames.get(i)!);
      this.frames.delete(i);
    }
  }

  forEachFrameRef(fn: (frame: number) => void): void {
    for (const f of this.frames.values()) fn(f);
  }
}
