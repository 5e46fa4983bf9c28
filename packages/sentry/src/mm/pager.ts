// Demand paging: turns a fault (or a kernel access, or a populate request)
// inside a VMA into resident frames mapped in the AddressSpace, and takes
// pages away again. Guest exits are expensive (~75 us each), so one fault
// fills a window around itself and large anonymous regions get 2 MiB pages.
//
// Invariant: every page in `pages` is mapped in `as` with its VMA's
// protection (not mapped while that is PROT_NONE), except that a clean page
// of a writable shared file mapping is mapped write-protected (mapProt), so
// that the first store to it faults and marks it dirty; `as` maps nothing
// else (invariants.ts checks this). Each entry of `pages` holds one
// reference to its frame (frames.ts): a private page's frame is allocated
// for it, charged to `account`, except that a read-only private file page
// maps the file's cached frame (filecache.ts), held by the cache too, so
// copied before any store like a page shared since a fork; a shared page's
// frame is also held by the VMA's SharedMemory (FilePages for a file).
// Dropping a page drops the reference; the frame is freed when nothing
// else holds it.
import { ACCESS_EXEC, ACCESS_WRITE, type AddressSpace, OutOfMemoryError, type PhysicalMemory } from '@tsv/platform';
import { E } from '../errno.js';
import type { MemoryAccount } from './account.js';
import { HUGE_PAGE_SIZE, PAGE_SIZE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from './constants.js';
import { FilePages, type PageCache } from './filecache.js';
import type { FrameHolder, Frames } from './frames.js';
import { PageMap } from './pagemap.js';
import type { SharedMapper, SharedMemory } from './shared.js';
import { refVma, unrefVma, VMA_DONTFORK, VMA_GROWSDOWN, VMA_WIPEONFORK, type Vma, VmaList } from './vma.js';

/**
 * A fork copies the private writable pages outright when there are at most
 * this many (512 KiB), rather than sharing them copy-on-write. Sharing costs
 * a guest exit for every page either process writes afterwards, and another
 * to revoke the old translation (~80 us each here), against ~1 us to copy
 * a page: small processes (a shell, a fork+exec) come out far ahead, and
 * large ones, which mostly exec or write little, keep sharing.
 */
const FORK_COPY_PAGES = 128;

/** Results of handleFault: 0, or why the task gets a signal. */
export const FAULT_OK = 0;
/** No VMA at the address: SIGSEGV with SEGV_MAPERR. */
export const FAULT_MAPERR = -E.EFAULT;
/** A VMA whose protection forbids the access: SIGSEGV with SEGV_ACCERR. */
export const FAULT_ACCERR = -E.EACCES;
/** Out of memory (the limit or the frames): the task is killed with SIGKILL. */
export const FAULT_OOM = -E.ENOMEM;
/** A file mapping's page lies beyond the end of the file (or reading it failed): SIGBUS with BUS_ADRERR. */
export const FAULT_SIGBUS = -E.EIO;

export interface MmTunables {
  /** Bytes a fault fills around itself (aligned window, clipped to the VMA). Default 64 KiB. */
  faultAroundBytes: number;
  /**
   * Most bytes one fault fills in private anonymous memory being filled
   * upwards (the window grows with the resident run below it, see
   * #fillAround); at most faultAroundBytes turns growth off. Default 1 MiB.
   */
  streamBytes: number;
  /** Anonymous mappings up to this size are populated by mmap itself. Default 64 KiB. */
  eagerBytes: number;
  /** Private file mappings are read in by mmap up to this many bytes. Default 16 MiB. */
  eagerFileBytes: number;
  /** Back fully covered, aligned 2 MiB blocks of private anonymous memory with 2 MiB pages. Default true. */
  hugePages: boolean;
}

export interface MmStats {
  /** Faults resolved (including those the kernel took on copy-in/out). */
  faults: number;
  /** Pages mapped into the address space (a 2 MiB page counts 512). */
  pagesMapped: number;
  /** 2 MiB pages used. */
  hugePages: number;
}

const PAGE = PAGE_SIZE;
const HUGE = HUGE_PAGE_SIZE;
/** Most file pages one read brings into the cache. */
const READ_PAGES = 256;
/** Where file pages are read before they are copied into their frames (shared by every Pager). */
const readBuffer = new Uint8Array(READ_PAGES * PAGE);

/** Whether a VMA with `prot` permits `access` (x86: any present page is readable). */
export function accessAllowed(prot: number, access: number): boolean {
  if ((access & ACCESS_WRITE) !== 0) return (prot & PROT_WRITE) !== 0;
  if ((access & ACCESS_EXEC) !== 0) return (prot & PROT_EXEC) !== 0;
  return (prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) !== 0;
}

/** The file page index of address `va` in `v`. */
export function pageIndex(v: Vma, va: number): number {
  return (v.offset + (va - v.start)) / PAGE;
}

/** Whether `v` is a writable shared mapping of a file (its clean pages are mapped write-protected). */
function tracksDirty(v: Vma): boolean {
  return (v.prot & PROT_WRITE) !== 0 && v.shm instanceof FilePages;
}

/** The protection `v`'s resident pages are mapped with when nothing is known about them: write-protected if clean pages must be. */
export function mapProt(v: Vma): number {
  return tracksDirty(v) ? (v.prot & ~PROT_WRITE) | PROT_READ : v.prot;
}

export interface PagerLimits {
  min: number;
  max: number;
  /** No mapping is created or grows below this (vm.mmap_min_addr). */
  mmapMinAddr: number;
  stackLimit: number;
  stackGuardGap: number;
  addressSpaceLimit: number;
}

export class Pager implements SharedMapper, FrameHolder {
  readonly holderName = 'process pages';
  /**
   * What fork charged this process for the page map it was born with
   * (PageMap.hostBytes). A page the process faulted in is paid for by its
   * frame; a page a fork's child shares is not: without the charge, a
   * process with 200 MiB resident forking in a loop grew the host by ~3 MB
   * a child until Node's heap ran out.
   */
  #forkCharge = 0;
  readonly mem: PhysicalMemory;
  readonly vmas = new VmaList();
  readonly pages = new PageMap();
  readonly stats: MmStats = { faults: 0, pagesMapped: 0, hugePages: 0 };
  // The run of pages being gathered for one AddressSpace.map call.
  #runVa = -1;
  #runLen = 0;
  #runFrame = 0;
  #runProt = 0;

  constructor(
    readonly frames: Frames,
    readonly as: AddressSpace,
    readonly account: MemoryAccount,
    readonly tunables: MmTunables,
    readonly limits: PagerLimits,
    readonly cache: PageCache,
  ) {
    this.mem = frames.mem;
    frames.addHolder(this);
  }

  forEachFrameRef(fn: (frame: number) => void): void {
    this.pages.forEachEntry((_va, frame) => fn(frame));
  }

  /**
   * Resolves a fault at `va`; FAULT_OK or a FAULT_* error. The platform
   * running out of page-table memory is FAULT_OOM, like running out of frames.
   */
  fault(va: number, access: number): number {
    try {
      return this.#fault(va, access);
    } catch (e) {
      if (e instanceof OutOfMemoryError) return FAULT_OOM;
      throw e;
    }
  }

  #fault(va: number, access: number): number {
    if (!Number.isInteger(va) || va < this.limits.min || va >= this.limits.max) return FAULT_MAPERR;
    const page = va - (va % PAGE);
    const v = this.vmas.find(va) ?? this.#growStack(page);
    if (v === undefined) return FAULT_MAPERR;
    if (!accessAllowed(v.prot, access)) return FAULT_ACCERR;
    this.stats.faults++;
    const resident = this.pages.get(page);
    if (resident >= 0) {
      // Already ours: the AddressSpace lost or never got the entry, a store
      // hit a write-protected clean shared file page, or a store hit a page
      // shared copy-on-write since a fork.
      if ((access & ACCESS_WRITE) !== 0 && v.shm === null && this.frames.refs(resident) > 1) return this.#breakCow(v, page, resident);
      this.as.map(page, PAGE, resident, this.#pageProt(v, page, resident));
    } else {
      const block = page - (page % HUGE);
      if (this.#hugeEligible(v, block) && this.#mapHuge(v, block)) return FAULT_OK;
      const err = this.#fillAround(v, page);
      if (this.pages.get(page) < 0) return err !== FAULT_OK ? err : FAULT_OOM;
    }
    if ((access & ACCESS_WRITE) !== 0 && tracksDirty(v)) this.#dirty(v, page);
    return FAULT_OK;
  }

  /** The fault-around window: an aligned block of faultAroundBytes (at least a page). */
  get #window(): number {
    return Math.max(PAGE, this.tunables.faultAroundBytes - (this.tunables.faultAroundBytes % PAGE));
  }

  /**
   * The fault-around window of `page` in `v`: an aligned window, slid back
   * inside the VMA when it sticks out, so a fault near either edge still
   * covers a full window.
   */
  #around(v: Vma, page: number): [number, number] {
    const w = this.#window;
    let start = page - (page % w);
    let end = start + w;
    if (start < v.start) {
      start = v.start;
      end = Math.min(v.end, start + w);
    } else if (end > v.end) {
      end = v.end;
      start = Math.max(v.start, end - w);
    }
    return [start, end];
  }

  /**
   * Fills the fault-around window of `page`; the first error, or FAULT_OK.
   * In private anonymous memory that is being filled upwards (a heap, an
   * allocator's arena: the pages just below the window are resident), the
   * window grows to the length of that resident run, up to streamBytes,
   * so touching N pages in order costs O(log N) faults rather than one
   * per window: each fault is a guest exit (~80 us here), a zero page
   * ~1 us. Growth is bounded by what the process already touched.
   */
  #fillAround(v: Vma, page: number): number {
    let [start, end] = this.#around(v, page);
    if (v.file === null && v.shm === null && (v.flags & VMA_GROWSDOWN) === 0) {
      end = Math.min(v.end, Math.max(end, start + this.#residentBelow(v, start, this.tunables.streamBytes)));
    }
    if (!this.account.fits(end - start)) {
      // Near the limit, speculative pages must not starve the one needed.
      start = page;
      end = page + PAGE;
    }
    return this.#fill(v, start, end);
  }

  /** Bytes of resident pages of `v` contiguous just below `va`, counting at most `max`. */
  #residentBelow(v: Vma, va: number, max: number): number {
    let at = va;
    while (at > v.start && va - at < max && this.pages.get(at - PAGE) >= 0) at -= PAGE;
    return va - at;
  }

  /**
   * A store to `page` of a writable shared file mapping: the resident pages
   * of its aligned fault-around window become dirty and writable. One exit
   * per window rather than per page; see filecache.ts for the cost.
   */
  #dirty(v: Vma, page: number): void {
    const fp = v.shm as FilePages;
    const [start, end] = this.#around(v, page);
    this.pages.forEachRun(start, end, (va, len) => {
      for (let o = 0; o < len; o += PAGE) fp.dirty.add(pageIndex(v, va + o));
      this.as.protect(va, len, v.prot);
    });
  }

  /**
   * How the resident page at `va` of `v` (frame `frame`) is mapped: a clean
   * page of a writable shared file mapping, and a private page another
   * process still shares since a fork (copy-on-write), are write-protected.
   */
  #pageProt(v: Vma, va: number, frame: number): number {
    if (v.shm === null) return (v.prot & PROT_WRITE) !== 0 && this.frames.refs(frame) > 1 ? v.prot & ~PROT_WRITE : v.prot;
    return tracksDirty(v) && !(v.shm as FilePages).dirty.has(pageIndex(v, va)) ? mapProt(v) : v.prot;
  }

  /**
   * A store to a private page shared copy-on-write: this process gets its
   * own copy, writable; the other keeps the frame (and, once it holds the
   * only reference, writes to it without a copy).
   */
  #breakCow(v: Vma, page: number, shared: number): number {
    const frame = this.frames.allocate(1, this.account);
    if (frame < 0) return FAULT_OOM;
    this.mem.bytes.copyWithin(frame, shared, shared + PAGE);
    this.pages.set(page, frame);
    this.frames.unref(shared);
    this.as.map(page, PAGE, frame, v.prot);
    return FAULT_OK;
  }

  /**
   * Maps the resident run [va, va+len) of frames from `frame` with `prot`
   * as VMA `v` maps them: the copy-on-write pages of a private writable run
   * write-protected, the rest with `prot`.
   */
  #mapRun(v: Vma | undefined, va: number, len: number, frame: number, prot: number): void {
    if (v === undefined || v.shm !== null || (prot & PROT_WRITE) === 0) {
      this.as.map(va, len, frame, prot);
      return;
    }
    let start = 0;
    let cow = this.frames.refs(frame) > 1;
    for (let o = PAGE; o <= len; o += PAGE) {
      const next = o < len ? this.frames.refs(frame + o) > 1 : !cow;
      if (next === cow) continue;
      this.as.map(va + start, o - start, frame + start, cow ? prot & ~PROT_WRITE : prot);
      start = o;
      cow = next;
    }
  }

  /** Writes back the dirty pages of `v` in [start, end); with `report` (msync), 0 or the file's write-back error. */
  writeback(v: Vma, start: number, end: number, report: boolean): number {
    if (!(v.shm instanceof FilePages)) return 0;
    return v.shm.writeback(pageIndex(v, start), pageIndex(v, end), v.file, report);
  }

  unmapShared(shm: SharedMemory, from: number, to: number): void {
    this.#eachSharedRange(shm, from, to, (_v, s, e) => this.drop(s, e));
  }

  protectShared(shm: SharedMemory, from: number, to: number): void {
    this.#eachSharedRange(shm, from, to, (v, s, e) => {
      if (!tracksDirty(v)) return;
      const prot = mapProt(v);
      this.pages.forEachRun(s, e, (va, len) => this.as.protect(va, len, prot));
    });
  }

  /** Calls `fn` with each VMA mapping `shm` and the part of it holding its pages [from, to). */
  #eachSharedRange(shm: SharedMemory, from: number, to: number, fn: (v: Vma, start: number, end: number) => void): void {
    for (const v of this.vmas.all) {
      if (v.shm !== shm) continue;
      const s = Math.max(v.start, v.start + from * PAGE - v.offset);
      const e = Math.min(v.end, v.start + to * PAGE - v.offset);
      if (s < e) fn(v, s, e);
    }
  }

  /**
   * Makes [start, end) resident wherever VMAs allow any access; stops at the
   * first failure and returns it (FAULT_OOM, FAULT_SIGBUS) or FAULT_OK.
   */
  populate(start: number, end: number): number {
    const vmas = this.vmas;
    for (let i = vmas.indexAbove(start); i < vmas.length; i++) {
      const v = vmas.at(i)!;
      if (v.start >= end) break;
      if (v.prot === PROT_NONE) continue;
      const s = Math.max(start, v.start);
      const e = Math.min(end, v.end);
      for (let at = s; at < e; ) {
        const block = at - (at % HUGE);
        const next = Math.min(e, block + HUGE);
        if (!(at === block && next === block + HUGE && this.#hugeEligible(v, block) && this.#mapHuge(v, block))) {
          const err = this.#fill(v, at, next);
          if (err !== FAULT_OK) return err;
        }
        at = next;
      }
    }
    return FAULT_OK;
  }

  /**
   * Unmaps the resident pages in [start, end) and drops their frame
   * references; with `unmap` false, leaves the address space's entries to
   * go with the address space itself (releaseAll).
   */
  drop(start: number, end: number, unmap = true): void {
    this.pages.forEachRun(start, end, (va, len, frame) => {
      if (unmap) this.as.unmap(va, len);
      this.frames.unref(frame, len / PAGE);
    });
    this.pages.deleteRange(start, end);
  }

  /** Removes the VMAs in [start, end) and everything they held; a shared file mapping's dirty pages are written back first. */
  unmapRange(start: number, end: number, unmap = true): void {
    if (end <= start) return; // removing nothing must not split a VMA either
    for (const v of this.vmas.remove(start, end)) {
      this.writeback(v, v.start, v.end, false);
      this.drop(v.start, v.end, unmap);
      unrefVma(v);
    }
  }

  /** Re-maps the resident pages of [start, end) with `prot` (after mprotect). */
  reprotect(start: number, end: number, prot: number): void {
    const v = this.vmas.find(start);
    this.pages.forEachRun(start, end, (va, len, frame) => {
      if (prot === PROT_NONE) this.as.unmap(va, len);
      else this.#mapRun(v, va, len, frame, prot);
    });
  }

  /** Moves the resident pages of [from, from+len) of VMA `v` to [to, to+len), mapped with `prot` (mremap). */
  move(from: number, to: number, len: number, prot: number, v: Vma): void {
    const moved: number[] = [];
    this.pages.forEachRun(from, from + len, (va, l, frame) => {
      this.as.unmap(va, l);
      moved.push(va, l, frame);
    });
    this.pages.deleteRange(from, from + len);
    for (let i = 0; i < moved.length; i += 3) {
      const at = moved[i]! - from + to;
      const l = moved[i + 1]!;
      const frame = moved[i + 2]!;
      for (let o = 0; o < l; o += PAGE) this.pages.set(at + o, frame + o);
      if (prot !== PROT_NONE) this.#mapRun(v, at, l, frame, prot);
    }
  }

  /**
   * fork: gives `child` (an empty Pager on the same frames) this process's
   * VMAs and resident pages. Shared mappings share their frames; private
   * writable pages are copied when few (FORK_COPY_PAGES), else shared
   * copy-on-write, write-protected in both processes until one of them
   * writes (the parent's narrowing is revoked by the platform before it
   * runs again). MADV_DONTFORK ranges are left out and
   * MADV_WIPEONFORK ranges come empty.
   */
  forkInto(child: Pager): boolean {
    // The child's page map is host memory its shared frames do not pay for: charged up front, or no fork.
    const charge = this.pages.hostBytes;
    if (!child.account.charge(charge)) return false;
    child.#forkCharge = charge;
    const copyNow = this.#privateWritablePages() <= FORK_COPY_PAGES;
    for (const v of this.vmas.all) {
      if ((v.flags & VMA_DONTFORK) !== 0) continue;
      const copy: Vma = { ...v };
      refVma(copy);
      child.vmas.insert(copy);
      if ((v.flags & VMA_WIPEONFORK) !== 0) continue;
      const cow = v.shm === null && (v.prot & PROT_WRITE) !== 0;
      if (cow && copyNow) {
        if (!this.#copyInto(child, v)) return false;
        continue;
      }
      this.pages.forEachRun(v.start, v.end, (va, len, frame) => {
        for (let o = 0; o < len; o += PAGE) {
          child.pages.set(va + o, frame + o);
          this.frames.ref(frame + o);
        }
        child.stats.pagesMapped += len / PAGE;
        if (v.prot === PROT_NONE) return;
        if (cow) {
          this.as.protect(va, len, v.prot & ~PROT_WRITE);
          child.as.map(va, len, frame, v.prot & ~PROT_WRITE);
        } else if (tracksDirty(v)) {
          for (let o = 0; o < len; o += PAGE) child.as.map(va + o, PAGE, frame + o, child.#pageProt(v, va + o, frame + o));
        } else {
          child.as.map(va, len, frame, v.prot);
        }
      });
    }
    return true;
  }

  /** Resident pages of private writable VMAs: what a fork would share copy-on-write. */
  #privateWritablePages(): number {
    let n = 0;
    for (const v of this.vmas.all) if (v.shm === null && (v.prot & PROT_WRITE) !== 0) n += this.pages.count(v.start, v.end);
    return n;
  }

  /** fork of a small process: `child` gets its own copy of the resident pages of the private writable VMA `v`; false out of memory. */
  #copyInto(child: Pager, v: Vma): boolean {
    let ok = true;
    this.pages.forEachRun(v.start, v.end, (va, len, frame) => {
      for (let o = 0; o < len && ok; o += PAGE) {
        const own = this.frames.allocate(1, child.account);
        ok = own >= 0;
        if (ok) {
          this.mem.bytes.copyWithin(own, frame + o, frame + o + PAGE);
          child.#add(va + o, own, v.prot);
        }
      }
    });
    child.#flush();
    return ok;
  }

  /** The guest-physical address of the word at `va` when it lies in a resident page of shared memory, else -1. */
  sharedAddress(va: number): number {
    const v = this.vmas.find(va);
    if (v === undefined || v.shm === null) return -1;
    const frame = this.pages.get(va - (va % PAGE));
    return frame < 0 ? -1 : frame + (va % PAGE);
  }

  /**
   * Releases every page and VMA, for good: the caller releases the address
   * space next. Its entries are not cleared one by one (a process's exit or
   * exec spent more time unmapping than anything else): a released address
   * space is never entered again, and its page tables go whole.
   */
  releaseAll(): void {
    this.unmapRange(this.limits.min, this.limits.max, false);
    this.frames.removeHolder(this);
    this.account.uncharge(this.#forkCharge);
    this.#forkCharge = 0;
  }

  /**
   * Grows the grows-down VMA just above `page` down to it, within the stack
   * limit and keeping the guard gap to the VMA below (Linux expand_stack).
   */
  #growStack(page: number): Vma | undefined {
    const vmas = this.vmas;
    const i = vmas.indexAbove(page);
    const v = vmas.at(i);
    if (v === undefined || (v.flags & VMA_GROWSDOWN) === 0) return undefined;
    const l = this.limits;
    if (page < l.mmapMinAddr || v.end - page > l.stackLimit || vmas.total + (v.start - page) > l.addressSpaceLimit) return undefined;
    const prev = vmas.at(i - 1);
    if (prev !== undefined && (prev.flags & VMA_GROWSDOWN) === 0 && prev.prot !== PROT_NONE && page - prev.end < l.stackGuardGap) {
      return undefined;
    }
    vmas.setBounds(v, page, v.end);
    vmas.mergeAt(i);
    return vmas.find(page);
  }

  #hugeEligible(v: Vma, block: number): boolean {
    return (
      this.tunables.hugePages &&
      v.file === null &&
      v.shm === null &&
      (v.flags & VMA_GROWSDOWN) === 0 &&
      block >= v.start &&
      block + HUGE <= v.end &&
      this.pages.count(block, block + HUGE) === 0
    );
  }

  /** Backs the empty, aligned 2 MiB `block` of `v` with one 2 MiB page; false when none is to be had. */
  #mapHuge(v: Vma, block: number): boolean {
    const frame = this.frames.allocate(HUGE / PAGE, this.account, HUGE);
    if (frame < 0) return false;
    for (let o = 0; o < HUGE; o += PAGE) this.pages.set(block + o, frame + o);
    this.as.map(block, HUGE, frame, v.prot);
    this.stats.hugePages++;
    this.stats.pagesMapped += HUGE / PAGE;
    return true;
  }

  /** Makes every missing page of `v` in [start, end) resident; the first error, or FAULT_OK. */
  #fill(v: Vma, start: number, end: number): number {
    let err = FAULT_OK;
    for (let va = start; va < end && err === FAULT_OK; ) {
      if (this.pages.get(va) >= 0) {
        va += PAGE;
        continue;
      }
      let runEnd = va + PAGE;
      while (runEnd < end && this.pages.get(runEnd) < 0) runEnd += PAGE;
      err = v.shm === null ? this.#fillPrivate(v, va, runEnd) : this.#fillShared(v, va, runEnd);
      va = runEnd;
    }
    this.#flush();
    return err;
  }

  /** Fresh frames for the missing run [start, end): one allocation if possible, else page by page. */
  #fillPrivate(v: Vma, start: number, end: number): number {
    if (v.file !== null) return this.#fillFromCache(v, start, end);
    const len = end - start;
    if (len > PAGE) {
      const frame = this.frames.allocate(len / PAGE, this.account);
      if (frame >= 0) return this.#installPrivate(v, start, len, frame);
    }
    for (let va = start; va < end; va += PAGE) {
      const frame = this.frames.allocate(1, this.account);
      if (frame < 0) return FAULT_OOM;
      const err = this.#installPrivate(v, va, PAGE, frame);
      if (err !== FAULT_OK) return err;
    }
    return FAULT_OK;
  }

  /** Maps the new zeroed frames at `frame` at `va` (anonymous memory). */
  #installPrivate(v: Vma, va: number, len: number, frame: number): number {
    for (let o = 0; o < len; o += PAGE) this.#add(va + o, frame + o, v.prot);
    return FAULT_OK;
  }

  /**
   * The missing run [start, end) of a private file mapping, from the file's
   * cached pages (read in first where missing): a read-only mapping maps
   * the cached frames themselves, a writable one gets its own copies at
   * once (it is about to store: data, relocations), sparing a fault per
   * page; the copies are one run of frames where memory allows, so the
   * host backs them with one call. A page wholly past the end of the file
   * is SIGBUS.
   */
  #fillFromCache(v: Vma, start: number, end: number): number {
    const fp = this.cache.attach(v.file!, this.frames, this.account);
    fp.ref(null); // in use: not evicted while this fills from it
    const writable = (v.prot & PROT_WRITE) !== 0;
    // The run of frames the copies go to; `used` of them so far.
    const copies = writable && end - start > PAGE ? this.frames.allocate((end - start) / PAGE, this.account) : -1;
    let used = 0;
    try {
      for (let va = start; va < end; va += PAGE) {
        const cached = fp.frames.get(pageIndex(v, va)) ?? this.#readIntoCache(fp, v, va, end);
        if (cached < 0) return cached === -1 ? FAULT_OOM : FAULT_SIGBUS;
        let frame = cached;
        if (writable) {
          frame = copies >= 0 ? copies + used++ * PAGE : this.frames.allocate(1, this.account);
          if (frame < 0) return FAULT_OOM;
          this.mem.bytes.copyWithin(frame, cached, cached + PAGE);
        } else {
          this.frames.ref(cached); // this page's reference; the cache keeps its own
        }
        this.#add(va, frame, v.prot);
      }
      return FAULT_OK;
    } finally {
      const left = (end - start) / PAGE - used;
      if (copies >= 0 && left > 0) this.frames.unref(copies + used * PAGE, left); // stopped early: the copies not made
      fp.unref(null);
    }
  }

  /**
   * Reads the file pages of [va, end) of `v` that `fp` lacks, from `va` up to
   * the first one it has, with one read, into one run of new frames of `fp`
   * (or, memory being short or fragmented, a frame for `va`'s page alone).
   * The frame of `va`'s page, -1 out of memory, or -2 when that page lies
   * past the end of the file (or the read failed).
   */
  #readIntoCache(fp: FilePages, v: Vma, va: number, end: number): number {
    const first = pageIndex(v, va);
    let n = 1;
    while (n < READ_PAGES && va + n * PAGE < end && !fp.frames.has(first + n)) n++;
    let got = v.file!.pread(readBuffer, n * PAGE, first * PAGE);
    if (!(got > 0)) return -2;
    let frame = fp.allocateRun(first, Math.ceil(got / PAGE));
    if (frame < 0) {
      frame = fp.allocate(first);
      if (frame < 0) return -1;
      got = Math.min(got, PAGE);
    }
    this.mem.bytes.set(readBuffer.subarray(0, got), frame); // the rest of the last page is zero, as past the end of a file
    return frame;
  }

  #fillShared(v: Vma, start: number, end: number): number {
    const shm = v.shm!;
    for (let va = start; va < end; va += PAGE) {
      const index = pageIndex(v, va);
      let frame = shm.frames.get(index) ?? -1;
      if (frame < 0) {
        frame = shm.allocate(index);
        if (frame < 0) return FAULT_OOM;
        if (v.file !== null && this.#read(v, va, frame, PAGE) === 0) {
          shm.discard(index, index + 1);
          return FAULT_SIGBUS;
        }
      }
      this.frames.ref(frame); // this page's reference; the cache keeps its own
      this.#add(va, frame, this.#pageProt(v, va, frame));
    }
    return FAULT_OK;
  }

  /** Reads the file contents for [va, va+len) into frames at `frame`; the bytes of whole-or-partial pages read. */
  #read(v: Vma, va: number, frame: number, len: number): number {
    const n = v.file!.pread(this.mem.bytes.subarray(frame, frame + len), len, pageIndex(v, va) * PAGE);
    if (!(n > 0)) return 0;
    return Math.min(len, Math.ceil(n / PAGE) * PAGE);
  }

  /** Records a resident page and queues it for mapping, coalescing contiguous runs into one map call. */
  #add(va: number, frame: number, prot: number): void {
    this.pages.set(va, frame);
    this.stats.pagesMapped++;
    if (prot === PROT_NONE) return;
    if (this.#runVa >= 0 && va === this.#runVa + this.#runLen && frame === this.#runFrame + this.#runLen && prot === this.#runProt) {
      this.#runLen += PAGE;
      return;
    }
    this.#flush();
    this.#runVa = va;
    this.#runLen = PAGE;
    this.#runFrame = frame;
    this.#runProt = prot;
  }

  #flush(): void {
    if (this.#runVa < 0) return;
    this.as.map(this.#runVa, this.#runLen, this.#runFrame, this.#runProt);
    this.#runVa = -1;
  }
}
