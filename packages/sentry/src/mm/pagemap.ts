// Which frame backs each resident user page, keyed by virtual address.
// Every entry is mapped in the AddressSpace with its VMA's protection (or
// not at all while that protection is PROT_NONE); the AddressSpace holds
// nothing else. Each entry holds one reference to its frame (frames.ts).
// A later fork copies this map, taking a reference per entry, and marks
// both copies' private pages copy-on-write.
//
// Stored in chunks of CHUNK_PAGES consecutive pages (a typed array of frame
// numbers each, like a page table's last level), held in a Map by chunk
// number, so that an operation on a range costs what the range holds, not
// what the whole map holds: a walk visits only the chunks present in the
// range, in address order, and a chunk's entries without a lookup each. A
// per-page Map made every munmap or exit of a large VMA walk (and sort) the
// keys of every resident page of the process.
const PAGE = 4096;
/** Pages per chunk: 256 KiB of address space, 256 bytes of table. */
const CHUNK_PAGES = 64;
const CHUNK_BYTES = CHUNK_PAGES * PAGE;
/** Host bytes one chunk costs (its table and the Map entry and object around it), for what fork charges. */
export const CHUNK_HOST_BYTES = CHUNK_PAGES * 4 + 96;

interface Chunk {
  /** Frame number + 1 of each page of the chunk, 0 where none is resident. */
  readonly frames: Int32Array;
  /** Resident pages in the chunk (> 0: an empty chunk is dropped). */
  count: number;
}

export class PageMap {
  readonly #chunks = new Map<number, Chunk>();
  #size = 0;

  /** Resident pages. */
  get size(): number {
    return this.#size;
  }

  /** Host bytes the map holds (what fork charges a child for its copy). */
  get hostBytes(): number {
    return this.#chunks.size * CHUNK_HOST_BYTES;
  }

  /** The frame at page-aligned `va`, or -1. */
  get(va: number): number {
    const c = this.#chunks.get(Math.floor(va / CHUNK_BYTES));
    if (c === undefined) return -1;
    const f = c.frames[(va / PAGE) % CHUNK_PAGES]!;
    return f === 0 ? -1 : (f - 1) * PAGE;
  }

  set(va: number, frame: number): void {
    const key = Math.floor(va / CHUNK_BYTES);
    let c = this.#chunks.get(key);
    if (c === undefined) {
      c = { frames: new Int32Array(CHUNK_PAGES), count: 0 };
      this.#chunks.set(key, c);
    }
    const i = (va / PAGE) % CHUNK_PAGES;
    if (c.frames[i] === 0) {
      c.count++;
      this.#size++;
    }
    c.frames[i] = frame / PAGE + 1;
  }

  /** Removes every page in the page-aligned [start, end): whole chunks at once. */
  deleteRange(start: number, end: number): void {
    this.#eachChunk(start, end, (c, lo, hi, base) => {
      if (hi - lo === CHUNK_PAGES) {
        this.#size -= c.count;
        this.#chunks.delete(base / CHUNK_BYTES);
        return;
      }
      for (let i = lo; i < hi; i++) {
        if (c.frames[i] === 0) continue;
        c.frames[i] = 0;
        this.#size--;
        c.count--;
      }
      if (c.count === 0) this.#chunks.delete(base / CHUNK_BYTES);
    });
  }

  /** Count of resident pages in [start, end). */
  count(start: number, end: number): number {
    let n = 0;
    this.#eachChunk(start, end, (c, lo, hi) => {
      if (hi - lo === CHUNK_PAGES) {
        n += c.count;
        return;
      }
      for (let i = lo; i < hi; i++) if (c.frames[i] !== 0) n++;
    });
    return n;
  }

  /**
   * Calls `fn(va, frame)` for the resident pages in [start, end) in address
   * order. `fn` may remove pages it has been called for.
   */
  forEach(start: number, end: number, fn: (va: number, frame: number) => void): void {
    this.#eachChunk(start, end, (c, lo, hi, base) => {
      const frames = c.frames;
      for (let i = lo; i < hi; i++) {
        const f = frames[i]!;
        if (f !== 0) fn(base + i * PAGE, (f - 1) * PAGE);
      }
    });
  }

  /** Calls `fn(va, frame)` for every resident page, in no particular order. */
  forEachEntry(fn: (va: number, frame: number) => void): void {
    for (const [key, c] of this.#chunks) {
      const base = key * CHUNK_BYTES;
      for (let i = 0; i < CHUNK_PAGES; i++) {
        const f = c.frames[i]!;
        if (f !== 0) fn(base + i * PAGE, (f - 1) * PAGE);
      }
    }
  }

  /**
   * Calls `fn(va, length, frame)` for each maximal run of resident pages in
   * [start, end) whose frames are contiguous too (one AddressSpace call each).
   * `fn` may remove the pages of the run it is called for.
   */
  forEachRun(start: number, end: number, fn: (va: number, length: number, frame: number) => void): void {
    let runVa = -1;
    let runLen = 0;
    let runFrame = 0;
    this.forEach(start, end, (va, f) => {
      if (runVa >= 0 && va === runVa + runLen && f === runFrame + runLen) {
        runLen += PAGE;
        return;
      }
      if (runVa >= 0) fn(runVa, runLen, runFrame);
      runVa = va;
      runLen = PAGE;
      runFrame = f;
    });
    if (runVa >= 0) fn(runVa, runLen, runFrame);
  }

  /**
   * Calls `fn(chunk, lo, hi, base)` for each chunk holding pages in the
   * page-aligned [start, end), in address order, with the chunk's part of
   * the range as entry indices [lo, hi) and the chunk's first address.
   * Walks the chunk numbers of the range or the chunks present, whichever
   * is fewer, so a huge sparse range (a PROT_NONE reservation, all of user
   * space at exit) costs no more than the map.
   */
  #eachChunk(start: number, end: number, fn: (c: Chunk, lo: number, hi: number, base: number) => void): void {
    if (end <= start) return;
    const first = Math.floor(start / CHUNK_BYTES);
    const last = Math.ceil(end / CHUNK_BYTES);
    const visit = (key: number): void => {
      const c = this.#chunks.get(key);
      if (c === undefined) return;
      const base = key * CHUNK_BYTES;
      fn(c, Math.max(start, base) / PAGE - key * CHUNK_PAGES, Math.min(end, base + CHUNK_BYTES) / PAGE - key * CHUNK_PAGES, base);
    };
    if (last - first <= this.#chunks.size) {
      for (let k = first; k < last; k++) visit(k);
      return;
    }
    const keys: number[] = [];
    for (const k of this.#chunks.keys()) if (k >= first && k < last) keys.push(k);
    keys.sort((a, b) => a - b);
    for (const k of keys) visit(k);
  }
}
