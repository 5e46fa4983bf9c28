// The frame allocator over guest-physical memory: 4 KiB frames above the
// kernel image, handed out as contiguous aligned runs. One byte per frame,
// and a count of used frames per chunk of 64 so that a search skips full
// chunks, keeps it simple and fast enough for a few GiB.
//
// First fit, from the lowest frame that may be free: a frame freed is the
// first reused. A frame used before is backed by the host already and only
// needs zeroing when it is handed out again; a never-used frame costs a
// host page fault (or a populate call) and, on shadow paging, a slower
// first guest touch -- a next-fit allocator marching through memory paid
// that on almost every allocation of a process that forks and execs in a
// loop.
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
/** Frames per chunk of the used-count summary. */
const CHUNK = 64;

/**
 * Where a retired allocator's frames may hold data, as frame numbers: user
 * frames below `userEnd`, table frames in [tableStart, tableEnd); `bytes`
 * of them. Absolute, so they hold whatever regions the next allocator has.
 */
export interface DirtyFrames {
  readonly userEnd: number;
  readonly tableStart: number;
  readonly tableEnd: number;
  readonly bytes: number;
}

export class FrameAllocator implements PhysicalMemory {
  /** The memory; empty after retire(). */
  bytes: Uint8Array;
  view: DataView;
  /** Bytes of both regions. */
  readonly capacity: number;
  #used = 0;
  readonly #first: number;
  /** The first frame of the page-table region. */
  readonly #tableFirst: number;
  readonly #state: Uint8Array;
  /** Used frames (quarantined ones too) in each chunk of CHUNK frames. */
  readonly #chunkUsed: Uint8Array;
  /** Every frame below is in use: the user region's and the table region's searches start here. */
  #lowFree: number;
  #lowTable: number;
  /** Every frame at or above these, in the user and the table region, has never been handed out. */
  #userHigh: number;
  #tableHigh: number;
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
   * `dirty`, if given (a previous allocator's retire() over the same bytes
   * and geometry), bounds the frames that may hold data: each is zeroed when
   * handed out, and is backed by the host already.
   */
  constructor(
    bytes: Uint8Array,
    view: DataView,
    firstAddress: number,
    tableBytes: number,
    populate?: (offset: number, length: number) => boolean,
    dirty?: DirtyFrames,
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
    this.#chunkUsed = new Uint8Array(Math.ceil(frames / CHUNK));
    this.#mark(0, this.#first, USED); // the kernel image
    this.#userHigh = this.#first;
    this.#tableHigh = this.#tableFirst;
    if (dirty !== undefined) {
      if (dirty.userEnd > frames || dirty.tableEnd > frames) throw new RangeError('dirty frames outside this memory');
      // Each range in whichever region it now falls (the last layout may differ): all of it is zeroed before use.
      for (const [from, to] of [
        [this.#first, dirty.userEnd],
        [Math.max(this.#first, dirty.tableStart), dirty.tableEnd],
      ] as const) {
        if (to <= from) continue;
        this.#state.fill(FREE_DIRTY, from, to);
        if (from < this.#tableFirst) this.#userHigh = Math.max(this.#userHigh, Math.min(to, this.#tableFirst));
        this.#tableHigh = Math.max(this.#tableHigh, to);
      }
    }
    this.capacity = (frames - this.#first) * PAGE;
    this.#lowFree = this.#first;
    this.#lowTable = this.#tableFirst;
  }

  /**
   * Ends this allocator, for another to take its memory over: the frames
   * that may hold data (every one handed out, now or before, lies below
   * these bounds; the kernel image is the next owner's to rewrite). `bytes`
   * and `view` are empty afterwards, so a stale reference to this allocator
   * reaches nothing of the next guest's.
   */
  retire(): DirtyFrames {
    const dirty = {
      userEnd: this.#userHigh,
      tableStart: this.#tableFirst,
      tableEnd: this.#tableHigh,
      bytes: (this.#userHigh - this.#first + this.#tableHigh - this.#tableFirst) * PAGE,
    };
    this.bytes = new Uint8Array(0);
    this.view = new DataView(new ArrayBuffer(0));
    this.#populate = undefined;
    return dirty;
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
    const f = this.#search(pages, step, this.#lowFree, this.#tableFirst);
    if (f < 0) return -1;
    const address = this.#take(f, pages);
    if (f === this.#lowFree) this.#lowFree = this.#nextFree(f + pages, this.#tableFirst);
    return address;
  }

  /** Frees user frames. Freeing a frame that is not an allocated user frame is a caller bug: it throws. */
  free(address: number, pages: number): void {
    const f = address / PAGE;
    if (!Number.isInteger(f) || !Number.isInteger(pages) || pages <= 0 || f < this.#first || f + pages > this.#tableFirst) {
      throw new RangeError(`free: 0x${address.toString(16)} + ${pages} pages is not user memory`);
    }
    const st = this.#state;
    for (let i = f; i < f + pages; i++) if (st[i] !== USED) throw new Error(`free: frame 0x${(i * PAGE).toString(16)} is not allocated`);
    this.#mark(f, f + pages, FREE_DIRTY);
    this.#used -= pages * PAGE;
    if (f < this.#lowFree) this.#lowFree = f;
  }

  /** One zeroed frame from the page-table region; freeTable() puts it in quarantine. -1 when none is left. */
  allocateTable(): number {
    const end = this.#state.length;
    let f = this.#search(1, 1, this.#lowTable, end);
    if (f < 0 && this.#quarantine.length > 0 && this.reclaim?.() === true) f = this.#search(1, 1, this.#lowTable, end);
    if (f < 0) return -1;
    const address = this.#take(f, 1);
    if (f === this.#lowTable) this.#lowTable = this.#nextFree(f + 1, end);
    return address;
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
      const f = a / PAGE;
      this.#mark(f, f + 1, FREE_DIRTY);
      this.#used -= PAGE;
      if (f < this.#lowTable) this.#lowTable = f;
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

  /** First fit for `pages` frames at multiples of `step` in [lo, hi); the first frame or -1. */
  #search(pages: number, step: number, lo: number, hi: number): number {
    let f = Math.ceil(lo / step) * step;
    while (f + pages <= hi) {
      const busy = this.#lastUsed(f, f + pages);
      if (busy < 0) return f;
      // Past the busy frame, and past the rest of its chunk when that is full.
      const c = Math.floor(busy / CHUNK);
      const past = this.#chunkUsed[c] === CHUNK ? (c + 1) * CHUNK : busy + 1;
      f = Math.ceil(past / step) * step;
    }
    return -1;
  }

  /** The last frame in [from, to) that is in use, or -1. */
  #lastUsed(from: number, to: number): number {
    const st = this.#state;
    for (let i = to - 1; i >= from; i--) {
      if (this.#chunkUsed[Math.floor(i / CHUNK)] === CHUNK || (st[i]! & 3) === USED) return i;
    }
    return -1;
  }

  /** The first frame from `from` that is not in use, or `to`. */
  #nextFree(from: number, to: number): number {
    const st = this.#state;
    let i = from;
    while (i < to) {
      if (this.#chunkUsed[Math.floor(i / CHUNK)] === CHUNK) i = (Math.floor(i / CHUNK) + 1) * CHUNK;
      else if ((st[i]! & 3) === USED) i++;
      else return i;
    }
    return to;
  }

  /** Sets the state of [from, to) to USED or a free state, keeping the chunk counts. */
  #mark(from: number, to: number, state: number): void {
    const delta = state === USED ? 1 : -1;
    for (let i = from; i < to; i++) this.#chunkUsed[Math.floor(i / CHUNK)]! += delta;
    this.#state.fill(state, from, to);
  }

  /** Marks [f, f + pages) used, zeroing frames used before; their address. */
  #take(f: number, pages: number): number {
    let fresh = false;
    for (let i = f; i < f + pages; i++) {
      if (this.#state[i] === FREE_CLEAN) fresh = true;
      else this.bytes.fill(0, i * PAGE, (i + 1) * PAGE);
    }
    this.#mark(f, f + pages, USED);
    this.#used += pages * PAGE;
    if (f < this.#tableFirst) this.#userHigh = Math.max(this.#userHigh, f + pages);
    else this.#tableHigh = Math.max(this.#tableHigh, f + pages);
    if (fresh && this.#populate !== undefined && !this.#populate(f * PAGE, pages * PAGE)) this.#populate = undefined;
    return f * PAGE;
  }
}
