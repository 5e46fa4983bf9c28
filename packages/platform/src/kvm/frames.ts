// The frame allocator over guest-physical memory: 4 KiB frames above the
// kernel image, handed out as contiguous aligned runs. One byte per frame
// keeps it simple and fast enough for a few GiB; a freed frame is zeroed
// when it is next handed out (fresh memfd pages are zero already, so most
// allocations write nothing).
//
// A frame that has ever held a page table is never a page table again
// (allocateTable skips it; it is still fine as data). On shadow paging KVM
// keeps a shadow of every table it has seen, keyed by frame, and does not
// see the host's writes: a table frame reused as a table could bring back
// the old, stale shadow and with it mappings the Sentry has removed.
import type { PhysicalMemory } from '../platform.js';

const FREE_CLEAN = 0;
const USED = 1;
const FREE_DIRTY = 2;
/** Flag bit: the frame has held a page table. */
const WAS_TABLE = 4;
const PAGE = 4096;

export class FrameAllocator implements PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly capacity: number;
  #used = 0;
  readonly #first: number;
  readonly #state: Uint8Array;
  #hint: number;

  /** Frames [firstAddress, bytes.byteLength) of `bytes` are the allocator's. */
  constructor(bytes: Uint8Array, view: DataView, firstAddress: number) {
    this.bytes = bytes;
    this.view = view;
    this.#first = firstAddress / PAGE;
    const frames = Math.floor(bytes.byteLength / PAGE);
    this.#state = new Uint8Array(frames);
    this.#state.fill(USED, 0, this.#first); // the kernel image
    this.capacity = (frames - this.#first) * PAGE;
    this.#hint = this.#first;
  }

  get used(): number {
    return this.#used;
  }

  allocate(pages: number, align = PAGE): number {
    return this.#allocate(pages, align, false);
  }

  /** One zeroed frame for a page table: never one that has been a table before. */
  allocateTable(): number {
    const f = this.#allocate(1, PAGE, true);
    if (f >= 0) this.#state[f / PAGE]! |= WAS_TABLE;
    return f;
  }

  #allocate(pages: number, align: number, table: boolean): number {
    if (!Number.isInteger(pages) || pages <= 0) return -1;
    const step = Math.max(1, align / PAGE);
    const n = this.#state.length;
    // Next fit from the hint, wrapping once.
    for (let pass = 0; pass < 2; pass++) {
      const start = pass === 0 ? this.#hint : this.#first;
      const end = pass === 0 ? n : this.#hint;
      let f = Math.ceil(start / step) * step;
      while (f + pages <= n && f < end + pages) {
        const busy = this.#findUsed(f, f + pages, table);
        if (busy < 0) {
          this.#take(f, pages);
          this.#hint = f + pages;
          return f * PAGE;
        }
        f = Math.ceil((busy + 1) / step) * step;
      }
    }
    return -1;
  }

  free(address: number, pages: number): void {
    const f = address / PAGE;
    if (!Number.isInteger(f) || f < this.#first || f + pages > this.#state.length) {
      throw new RangeError(`free: 0x${address.toString(16)} + ${pages} pages is not allocatable memory`);
    }
    for (let i = f; i < f + pages; i++) {
      if ((this.#state[i]! & 3) !== USED) throw new Error(`free: frame 0x${(i * PAGE).toString(16)} is not allocated`);
      this.#state[i] = FREE_DIRTY | (this.#state[i]! & WAS_TABLE);
    }
    this.#used -= pages * PAGE;
  }

  /** The last frame in [from, to) that is in use (or, for a table, has been a table), or -1. */
  #findUsed(from: number, to: number, table: boolean): number {
    const st = this.#state;
    for (let i = to - 1; i >= from; i--) if ((st[i]! & 3) === USED || (table && (st[i]! & WAS_TABLE) !== 0)) return i;
    return -1;
  }

  #take(f: number, pages: number): void {
    for (let i = f; i < f + pages; i++) {
      const st = this.#state[i]!;
      if ((st & 3) === FREE_DIRTY) this.bytes.fill(0, i * PAGE, (i + 1) * PAGE);
      this.#state[i] = USED | (st & WAS_TABLE);
    }
    this.#used += pages * PAGE;
  }
}
