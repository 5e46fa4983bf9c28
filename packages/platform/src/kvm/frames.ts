// The frame allocator over guest-physical memory: 4 KiB frames above the
// kernel image, handed out as contiguous aligned runs. One byte per frame
// keeps it simple and fast enough for a few GiB; a freed frame is zeroed
// when it is next handed out (fresh memfd pages are zero already, so most
// allocations write nothing).
//
// Two regions that never trade frames:
//   [firstAddress, tableStart)  user frames: allocate() / free(), the Sentry's
//                               to map at user addresses;
//   [tableStart, end)           page-table frames: allocateTable() / freeTable().
// A page table is therefore never a frame that was, is or will be mapped at
// a user address, whatever the Sentry does with its frames (even freeing one
// that a mapping still uses): ring 3 can never write a page table. The
// address space refuses to map anything outside the user region.
//
// A freed page-table frame is not free at once: it waits in quarantine
// until the guest has made KVM forget it. On shadow paging KVM keeps a
// shadow of every table it has seen, keyed by frame, and does not see the
// host's writes: a table frame reused as a table could bring back the old,
// stale shadow and with it mappings the Sentry has removed (measured; see
// revoke.ts). Releasing quarantined frames is the Revoker's job, which runs
// before the guest does; when a table allocation finds nothing free while
// frames wait there, the `reclaim` hook asks for that to happen now.
import { FRAME_FREE, FRAME_INVALID, FRAME_KERNEL, FRAME_USER, type FrameKind, type PhysicalMemory } from '../platform.js';

const FREE_CLEAN = 0;
const USED = 1;
const FREE_DIRTY = 2;
/** Flag bit: a freed table frame waiting in quarantine (still USED). */
const QUARANTINED = 8;
const PAGE = 4096;

export class FrameAllocator implements PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Bytes of both regions. */
  readonly capacity: number;
  #used = 0;
  readonly #first: number;
  /** The first frame of the page-table region. */
  readonly #tableFirst: number;
  readonly #state: Uint8Array;
  #hint: number;
  #tableHint: number;
  /** Freed table frames, by address, still counted as used. */
  #quarantine: number[] = [];
  /**
   * Called when a table allocation fails while frames are in quarantine:
   * should release them (see takeQuarantined) and return whether it could.
   */
  reclaim: (() => boolean) | undefined;

  /**
   * Backs a run of frames with host memory before first use (GuestMemory.populate);
   * dropped after its first failure, as the host kernel cannot then.
   */
  #populate: ((offset: number, length: number) => boolean) | undefined;

  /**
   * Frames [firstAddress, bytes.byteLength) of `bytes` are the allocator's;
   * the last `tableBytes` of them (a multiple of 4 KiB) hold page tables only.
   * `populate`, if given, is called for each handed-out run that holds frames
   * never used before: on a shadow-paging host the guest's first touch of a
   * page the host has not backed costs ~25 us, against ~6 us once backed.
   */
  constructor(
    bytes: Uint8Array,
    view: DataView,
    firstAddress: number,
    tableBytes: number,
    populate?: (offset: number, length: number) => boolean,
  ) {
    this.#populate = populate;
    this.bytes = bytes;
    this.view = view;
    this.#first = firstAddress / PAGE;
    const frames = Math.floor(bytes.byteLength / PAGE);
    if (!Number.isInteger(tableBytes) || tableBytes <= 0 || tableBytes % PAGE !== 0 || tableBytes / PAGE >= frames - this.#first) {
      throw new RangeError(`tableBytes must be a positive multiple of 4 KiB that leaves user frames, got ${tableBytes}`);
    }
    this.#tableFirst = frames - tableBytes / PAGE;
    this.#state = new Uint8Array(frames);
    this.#state.fill(USED, 0, this.#first); // the kernel image
    this.capacity = (frames - this.#first) * PAGE;
    this.#hint = this.#first;
    this.#tableHint = this.#tableFirst;
  }

  /** Bytes in use in both regions (quarantined table frames included). */
  get used(): number {
    return this.#used;
  }

  /** Bytes of the user region. */
  get userCapacity(): number {
    return (this.#tableFirst - this.#first) * PAGE;
  }

  /** User frames: `pages` contiguous zeroed frames aligned to `align`, or -1. */
  allocate(pages: number, align = PAGE): number {
    if (!Number.isInteger(pages) || pages <= 0) return -1;
    const step = Math.max(1, align / PAGE);
    const f = this.#search(pages, step, this.#first, this.#tableFirst, this.#hint);
    if (f < 0) return -1;
    this.#hint = f + pages;
    return this.#take(f, pages);
  }

  /** Frees user frames. Freeing a frame that is not an allocated user frame is a caller bug: it throws. */
  free(address: number, pages: number): void {
    const f = address / PAGE;
    if (!Number.isInteger(f) || !Number.isInteger(pages) || pages <= 0 || f < this.#first || f + pages > this.#tableFirst) {
      throw new RangeError(`free: 0x${address.toString(16)} + ${pages} pages is not user memory`);
    }
    const st = this.#state;
    for (let i = f; i < f + pages; i++) if (st[i] !== USED) throw new Error(`free: frame 0x${(i * PAGE).toString(16)} is not allocated`);
    st.fill(FREE_DIRTY, f, f + pages);
    this.#used -= pages * PAGE;
  }

  /** One zeroed frame from the page-table region; freeTable() puts it in quarantine. -1 when none is left. */
  allocateTable(): number {
    let f = this.#search(1, 1, this.#tableFirst, this.#state.length, this.#tableHint);
    if (f < 0 && this.#quarantine.length > 0 && this.reclaim?.() === true) {
      f = this.#search(1, 1, this.#tableFirst, this.#state.length, this.#tableHint);
    }
    if (f < 0) return -1;
    this.#tableHint = f + 1;
    return this.#take(f, 1);
  }

  /** A page table is no longer used: its frame waits in quarantine, still counted as used, until release(). */
  freeTable(address: number): void {
    const f = address / PAGE;
    if (!Number.isInteger(f) || f < this.#tableFirst || f >= this.#state.length || this.#state[f] !== USED) {
      throw new Error(`freeTable: 0x${address.toString(16)} is not an allocated table frame`);
    }
    this.#state[f] = USED | QUARANTINED;
    this.#quarantine.push(address);
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

  /** Frees table frames taken with takeQuarantined(). */
  release(frames: readonly number[]): void {
    for (const a of frames) {
      this.#state[a / PAGE] = FREE_DIRTY;
      this.#used -= PAGE;
    }
  }

  frameKind(address: number): FrameKind {
    const f = address / PAGE;
    if (!Number.isInteger(f) || f < 0 || f >= this.#state.length) return FRAME_INVALID;
    if (f < this.#first || f >= this.#tableFirst) return FRAME_KERNEL;
    return this.#state[f] === USED ? FRAME_USER : FRAME_FREE;
  }

  /** Whether `address` is a page table in use (not free, not in quarantine): what a table entry may point to. */
  isTableFrame(address: number): boolean {
    const f = address / PAGE;
    return Number.isInteger(f) && f >= this.#tableFirst && f < this.#state.length && this.#state[f] === USED;
  }

  /** Whether [address, address + length) lies in the user region (where every user mapping must point). */
  isUserRange(address: number, length: number): boolean {
    return address % PAGE === 0 && address >= this.#first * PAGE && address + length <= this.#tableFirst * PAGE;
  }

  /** Next fit for `pages` frames at multiples of `step` in [lo, hi), from `hint`, wrapping once; the first frame or -1. */
  #search(pages: number, step: number, lo: number, hi: number, hint: number): number {
    for (let pass = 0; pass < 2; pass++) {
      const start = pass === 0 ? hint : lo;
      const end = pass === 0 ? hi : hint;
      let f = Math.ceil(start / step) * step;
      while (f + pages <= hi && f < end + pages) {
        const busy = this.#findUsed(f, f + pages);
        if (busy < 0) return f;
        f = Math.ceil((busy + 1) / step) * step;
      }
    }
    return -1;
  }

  /** The last frame in [from, to) that is in use, or -1. */
  #findUsed(from: number, to: number): number {
    const st = this.#state;
    for (let i = to - 1; i >= from; i--) if ((st[i]! & 3) === USED) return i;
    return -1;
  }

  /** Marks [f, f + pages) used, zeroing frames used before; their address. */
  #take(f: number, pages: number): number {
    let fresh = false;
    for (let i = f; i < f + pages; i++) {
      const st = this.#state[i]!;
      if (st === FREE_CLEAN) fresh = true;
      else this.bytes.fill(0, i * PAGE, (i + 1) * PAGE);
      this.#state[i] = USED;
    }
    this.#used += pages * PAGE;
    if (fresh && this.#populate !== undefined && !this.#populate(f * PAGE, pages * PAGE)) this.#populate = undefined;
    return f * PAGE;
  }
}
