// Frame ownership: who holds each frame of guest memory the Sentry uses,
// and the one place a frame goes back to the allocator.
//
// The rule: every frame the Sentry takes from PhysicalMemory has a reference
// count, one reference per holder:
//   - each resident page of a process (an entry of its Pager's PageMap,
//     whether mapped in the AddressSpace or kept while PROT_NONE);
//   - each entry of a SharedMemory (anonymous shared memory, a file's page
//     cache: FilePages).
// Whoever stops holding a frame calls unref(); the frame is freed, and its
// charge given back to the account it was allocated for, only when the
// count reaches 0 -- here, and nowhere else. So a frame some mapping still
// uses is never handed out again, whatever order holders let go in. A
// private frame with two references is the copy-on-write case of fork: two
// processes map it read-only until one writes.
//
// Counts live in a typed array indexed by frame number (no Map on the fast
// path). Holders register so that check() can recount every reference and
// compare (MemoryManager.checkInvariants, tests, fuzzers).
import { FRAME_USER, type PhysicalMemory } from '@tsv/platform';
import type { MemoryAccount } from './account.js';

const PAGE = 4096;
const MAX_REFS = 0xffff_ffff;
/** PhysicalMemory.frameKind values, for messages. */
export const FRAME_KIND_NAMES = ['free', 'a user frame', 'a page table or the kernel', 'not guest memory'] as const;

/** Something that holds frame references: it can list them for check(). */
export interface FrameHolder {
  /** What it is, for check() messages. */
  readonly holderName: string;
  /** Calls `fn` once per reference it holds, with the frame's address. */
  forEachFrameRef(fn: (frame: number) => void): void;
}

/** A broken memory invariant: a Sentry bug that must end the sandbox, never be turned into an errno. */
export class MemoryInvariantError extends Error {
  constructor(message: string) {
    super(`memory invariant broken: ${message}`);
    this.name = 'MemoryInvariantError';
  }
}

const instances = new WeakMap<PhysicalMemory, Frames>();

export class Frames {
  readonly mem: PhysicalMemory;
  readonly #refs: Uint32Array;
  /**
   * The account each held frame is charged to, as an index into #accounts
   * (0: none). A typed array, not an array of objects: one entry per frame
   * of guest memory (327 680 for a 1.25 GiB guest) cost ~10 ms to fill at
   * every start and weighed on every garbage collection.
   */
  readonly #owner: Uint32Array;
  /** Accounts holding frames, by index (0 unused), with how many frames each holds. */
  readonly #accounts: (MemoryAccount | undefined)[] = [undefined];
  readonly #accountFrames: number[] = [0];
  readonly #accountIndex = new Map<MemoryAccount, number>();
  /** Indices of #accounts free for reuse. */
  readonly #freeIndices: number[] = [];
  readonly #holders = new Set<FrameHolder>();
  /** What can give frames back when an allocation finds no room (caches of idle file pages). */
  readonly #reclaimers = new Set<() => boolean>();
  /** check()'s recount, kept between calls. */
  #scratchArray: Uint32Array | undefined;

  /** The one Frames of `mem`: every process on the same memory must share it. */
  static of(mem: PhysicalMemory): Frames {
    let f = instances.get(mem);
    if (f === undefined) {
      f = new Frames(mem);
      instances.set(mem, f);
    }
    return f;
  }

  private constructor(mem: PhysicalMemory) {
    this.mem = mem;
    const n = Math.floor(mem.bytes.byteLength / PAGE);
    this.#refs = new Uint32Array(n);
    this.#owner = new Uint32Array(n);
  }

  /**
   * `pages` contiguous zeroed frames aligned to `align`, charged to
   * `account`, each with one reference (the caller's); -1 when the account
   * or the memory has no room.
   */
  allocate(pages: number, account: MemoryAccount, align = PAGE): number {
    let frame = this.#take(pages, account, align);
    if (frame < 0 && this.#reclaim()) frame = this.#take(pages, account, align);
    if (frame < 0) return -1;
    const first = frame / PAGE;
    const owner = this.#indexOf(account);
    for (let i = first; i < first + pages; i++) {
      if (this.#refs[i] !== 0) throw new MemoryInvariantError(`frame 0x${(i * PAGE).toString(16)} was handed out while held`);
      this.#refs[i] = 1;
      this.#owner[i] = owner;
    }
    this.#accountFrames[owner]! += pages;
    return frame;
  }

  /** The index of `account` in #accounts, given one if it holds no frame yet. */
  #indexOf(account: MemoryAccount): number {
    let i = this.#accountIndex.get(account);
    if (i === undefined) {
      i = this.#freeIndices.pop() ?? this.#accounts.length;
      this.#accounts[i] = account;
      this.#accountFrames[i] = 0;
      this.#accountIndex.set(account, i);
    }
    return i;
  }

  /** The frame at index `i` is freed: its account gets its bytes back, and forgets its index once it holds no frame. */
  #uncharge(i: number): void {
    const owner = this.#owner[i]!;
    const account = this.#accounts[owner]!;
    account.uncharge(PAGE);
    this.#owner[i] = 0;
    if (--this.#accountFrames[owner]! > 0) return;
    this.#accounts[owner] = undefined;
    this.#accountIndex.delete(account);
    this.#freeIndices.push(owner);
  }

  /** Charges `account` and takes the frames from memory; -1 (nothing charged) when either has no room. */
  #take(pages: number, account: MemoryAccount, align: number): number {
    if (!account.charge(pages * PAGE)) return -1;
    const frame = this.mem.allocate(pages, align);
    if (frame < 0) account.uncharge(pages * PAGE);
    return frame;
  }

  /** Asks every reclaimer to give frames back; true if one did. */
  #reclaim(): boolean {
    let any = false;
    for (const r of this.#reclaimers) any = r() || any;
    return any;
  }

  /** `fn` is asked to free what it can when an allocation finds no room, and says whether it freed anything. */
  addReclaimer(fn: () => boolean): void {
    this.#reclaimers.add(fn);
  }

  /** One more reference to the held frame at `frame`. */
  ref(frame: number): void {
    const i = frame / PAGE;
    const n = this.#refs[i];
    if (n === undefined || n === 0 || n === MAX_REFS) {
      throw new MemoryInvariantError(`ref of frame 0x${frame.toString(16)} held ${n ?? 'never'} times`);
    }
    this.#refs[i] = n + 1;
  }

  /** Drops one reference to each of the `pages` frames from `frame`; those that reach 0 are freed and uncharged. */
  unref(frame: number, pages = 1): void {
    const first = frame / PAGE;
    let runStart = -1;
    for (let i = first; i < first + pages; i++) {
      const n = this.#refs[i];
      if (n === undefined || n === 0) throw new MemoryInvariantError(`frame 0x${(i * PAGE).toString(16)} released more often than held`);
      this.#refs[i] = n - 1;
      if (n === 1) {
        this.#uncharge(i);
        if (runStart < 0) runStart = i;
      } else if (runStart >= 0) {
        this.mem.free(runStart * PAGE, i - runStart);
        runStart = -1;
      }
    }
    if (runStart >= 0) this.mem.free(runStart * PAGE, first + pages - runStart);
  }

  /** References to the frame at `frame` (0: not held). */
  refs(frame: number): number {
    return this.#refs[frame / PAGE] ?? 0;
  }

  addHolder(h: FrameHolder): void {
    this.#holders.add(h);
  }

  removeHolder(h: FrameHolder): void {
    this.#holders.delete(h);
  }

  /**
   * Recounts every holder's references: describes the first frame whose
   * count differs from its holders, or that is held but not a user frame of
   * the allocator (free, a page table, the kernel); null when all agree.
   */
  check(): string | null {
    const counted = this.#scratch;
    counted.fill(0);
    let stray: string | null = null;
    for (const h of this.#holders) {
      h.forEachFrameRef((frame) => {
        const i = frame / PAGE;
        if (Number.isInteger(i) && i >= 0 && i < counted.length) counted[i]!++;
        else stray ??= `${h.holderName} holds 0x${frame.toString(16)}, not a frame`;
      });
    }
    if (stray !== null) return stray;
    for (let i = 0; i < counted.length; i++) {
      const n = this.#refs[i]!;
      if (counted[i] !== n) return `${this.#describe(i)} has ${n} references but ${counted[i]} holders${this.#whoHolds(i * PAGE)}`;
      const kind = n > 0 ? this.mem.frameKind(i * PAGE) : FRAME_USER;
      if (kind !== FRAME_USER) return `${this.#describe(i)} is held (${n}) but is ${FRAME_KIND_NAMES[kind]}${this.#whoHolds(i * PAGE)}`;
    }
    return null;
  }

  get #scratch(): Uint32Array {
    this.#scratchArray ??= new Uint32Array(this.#refs.length);
    return this.#scratchArray;
  }

  #describe(i: number): string {
    return `frame 0x${(i * PAGE).toString(16)}`;
  }

  #whoHolds(frame: number): string {
    const names: string[] = [];
    for (const h of this.#holders) {
      h.forEachFrameRef((f) => {
        if (f === frame) names.push(h.holderName);
      });
    }
    return names.length === 0 ? '' : ` (${names.join(', ')})`;
  }
}
