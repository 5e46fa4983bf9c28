// Which frame backs each resident user page, keyed by virtual page number.
// Every entry is mapped in the AddressSpace with its VMA's protection (or
// not at all while that protection is PROT_NONE); the AddressSpace holds
// nothing else. Each entry holds one reference to its frame (frames.ts).
// A later fork copies this map, taking a reference per entry, and marks
// both copies' private pages copy-on-write.
const PAGE = 4096;

export class PageMap {
  readonly #frames = new Map<number, number>();

  get size(): number {
    return this.#frames.size;
  }

  /** The frame at page-aligned `va`, or -1. */
  get(va: number): number {
    return this.#frames.get(va / PAGE) ?? -1;
  }

  set(va: number, frame: number): void {
    this.#frames.set(va / PAGE, frame);
  }

  delete(va: number): void {
    this.#frames.delete(va / PAGE);
  }

  /** Count of resident pages in [start, end). */
  count(start: number, end: number): number {
    let n = 0;
    this.forEach(start, end, () => n++);
    return n;
  }

  /**
   * Calls `fn(va, frame)` for the resident pages in [start, end) in address
   * order. Walks the range or the map, whichever is smaller, so a huge
   * sparse range (a PROT_NONE reservation) costs no more than the map.
   */
  forEach(start: number, end: number, fn: (va: number, frame: number) => void): void {
    const first = start / PAGE;
    const last = end / PAGE;
    if (last - first <= this.#frames.size) {
      for (let p = first; p < last; p++) {
        const f = this.#frames.get(p);
        if (f !== undefined) fn(p * PAGE, f);
      }
      return;
    }
    const hits: number[] = [];
    for (const p of this.#frames.keys()) if (p >= first && p < last) hits.push(p);
    hits.sort((a, b) => a - b);
    for (const p of hits) fn(p * PAGE, this.#frames.get(p)!);
  }

  /** Calls `fn(va, frame)` for every resident page, in no particular order. */
  forEachEntry(fn: (va: number, frame: number) => void): void {
    for (const [p, f] of this.#frames) fn(p * PAGE, f);
  }

  /**
   * Calls `fn(va, length, frame)` for each maximal run of resident pages in
   * [start, end) whose frames are contiguous too (one AddressSpace call each).
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
}
