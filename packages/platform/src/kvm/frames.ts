// The frame allocator over guest-physical memory: 4 KiB frames above the
// kernel image, handed out as contiguous aligned runs. One byte per frame
// keeps it simple and fast enough for a few GiB; a freed frame is zeroed
// when it is next handed out (fresh memfd pages are zero already, so most
// allocations write nothing).
//
// A freed page-table frame is not free at once: it waits in quarantine
// until the guest has made KVM forget it. On shadow paging KVM keeps a
// shadow of every table it has seen, keyed by frame, and does not see the
// host's writes: a table frame reused as a table could bring back the old,
// stale shadow and with it mappings the Sentry has removed (measured; see
// revoke.ts). Releasing quarantined frames is the Revoker's job, which runs
// before the guest does; when an allocation finds nothing free while frames
// wait there, the `reclaim` hook asks for that to happen now.
import type { PhysicalMemory } from '../platform.js';

const FREE_CLEAN = 0;
const USED = 1;
const FREE_DIRTY = 2;
/** Flag bit: the frame holds a page table now (freeing it quarantines it). */
const TABLE = 4;
/** Flag bit: a freed table frame waiting in quarantine (still USED). */
const QUARANTINED = 8;
const PAGE = 4096;

export class FrameAllocator implements PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly capacity: number;
  #used = 0;
  readonly #first: number;
  readonly #state: Uint8Array;
  #hint: number;
  /** Freed table frames, by address, still counted as used. */
  #quarantine: number[] = [];
  /**
   * Called when an allocation fails while frames are in quarantine: should
   * release them (see takeQuarantined) and return whether it could.
   */
  reclaim: (() => boolean) | undefined;

  /**
   * Backs a run of frames with host memory before first use (GuestMemory.populate);
   * dropped after its first failure, as the host kernel cannot then.
   */
  #populate: ((offset: number, length: number) => boolean) | undefined;

  /**
   * Frames [firstAddress, bytes.byteLength) of `bytes` are the allocator's.
   * `populate`, if given, is called for each handed-out run that holds frames
   * never used before: on a shadow-paging host the guest's first touch of a
   * page the host has not backed costs ~25 us, against ~6 us once backed.
   */
  constructor(bytes: Uint8Array, view: DataView, firstAddress: number, populate?: (offset: number, length: number) => boolean) {
    this.#populate = populate;
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
    if (!Number.isInteger(pages) || pages <= 0) return -1;
    const f = this.#allocate(pages, align);
    if (f >= 0 || this.#quarantine.length === 0 || this.reclaim?.() !== true) return f;
    return this.#allocate(pages, align);
  }

  /** One zeroed frame for a page table; freeing it puts it in quarantine. */
  allocateTable(): number {
    const f = this.allocate(1);
    if (f >= 0) this.#state[f / PAGE]! |= TABLE;
    return f;
  }

  /** How many freed table frames wait in quarantine. */
  get quarantined(): number {
    return this.#quarantine.length;
  }

  /**
   * Hands the quarantined frames to the caller, who must make the guest
   * forget them and then give them back with release().
   */
  takeQuarantined(): number[] {
    const q = this.#quarantine;
    this.#quarantine = [];
    return q;
  }

  /** Frees frames taken with takeQuarantined(). */
  release(frames: readonly number[]): void {
    for (const a of frames) {
      this.#state[a / PAGE] = FREE_DIRTY;
      this.#used -= PAGE;
    }
  }

  #allocate(pages: number, align: number): number {
    const step = Math.max(1, align / PAGE);
    const n = this.#state.length;
    // Next fit from the hint, wrapping once.
    for (let pass = 0; pass < 2; pass++) {
      const start = pass === 0 ? this.#hint : this.#first;
      const end = pass === 0 ? n : this.#hint;
      let f = Math.ceil(start / step) * step;
      while (f + pages <= n && f < end + pages) {
        const busy = this.#findUsed(f, f + pages);
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
      const st = this.#state[i]!;
      if ((st & 3) !== USED || (st & QUARANTINED) !== 0) throw new Error(`free: frame 0x${(i * PAGE).toString(16)} is not allocated`);
      if ((st & TABLE) !== 0) {
        // Still USED until release(): nothing can allocate it meanwhile.
        this.#state[i] = USED | QUARANTINED;
        this.#quarantine.push(i * PAGE);
        continue;
      }
      this.#state[i] = FREE_DIRTY;
      this.#used -= PAGE;
    }
  }

  /** The last frame in [from, to) that is in use, or -1. */
  #findUsed(from: number, to: number): number {
    const st = this.#state;
    for (let i = to - 1; i >= from; i--) if ((st[i]! & 3) === USED) return i;
    return -1;
  }

  #take(f: number, pages: number): void {
    let fresh = false;
    for (let i = f; i < f + pages; i++) {
      const st = this.#state[i]!;
      if ((st & 3) === FREE_DIRTY) this.bytes.fill(0, i * PAGE, (i + 1) * PAGE);
      else fresh = true;
      this.#state[i] = USED;
    }
    this.#used += pages * PAGE;
    if (fresh && this.#populate !== undefined && !this.#populate(f * PAGE, pages * PAGE)) this.#populate = undefined;
  }
}
