// A process's memory: VMAs, the brk heap, the mmap family with Linux's
// argument checks and errno values, demand paging (via Pager) and copy-in /
// copy-out (via UserAccess). Every method takes raw guest values and
// returns a result or a negative errno; nothing here throws on guest input.
import { ACCESS_READ, ACCESS_WRITE, type AddressSpace, OutOfMemoryError, type PhysicalMemory, type Platform } from '@tsv/platform';
import { E } from '../errno.js';
import { MemoryAccount } from './account.js';
import {
  HUGE_PAGE_SIZE,
  MADV_COLD,
  MADV_COLLAPSE,
  MADV_DODUMP,
  MADV_DOFORK,
  MADV_DONTDUMP,
  MADV_DONTFORK,
  MADV_DONTNEED,
  MADV_DONTNEED_LOCKED,
  MADV_FREE,
  MADV_HUGEPAGE,
  MADV_HWPOISON,
  MADV_KEEPONFORK,
  MADV_MERGEABLE,
  MADV_NOHUGEPAGE,
  MADV_NORMAL,
  MADV_PAGEOUT,
  MADV_POPULATE_READ,
  MADV_POPULATE_WRITE,
  MADV_RANDOM,
  MADV_REMOVE,
  MADV_SEQUENTIAL,
  MADV_SOFT_OFFLINE,
  MADV_UNMERGEABLE,
  MADV_WILLNEED,
  MADV_WIPEONFORK,
  MAP_32BIT,
  MAP_ANONYMOUS,
  MAP_DENYWRITE,
  MAP_EXECUTABLE,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_HUGETLB,
  MAP_LOCKED,
  MAP_NONBLOCK,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_STACK,
  MAP_SYNC,
  MAP_TYPE,
  MAP_UNINITIALIZED,
  MAX_MAP_COUNT,
  MCL_CURRENT,
  MCL_FUTURE,
  MCL_ONFAULT,
  MLOCK_ONFAULT,
  MREMAP_DONTUNMAP,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  MS_ASYNC,
  MS_INVALIDATE,
  MS_SYNC,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_GROWSDOWN,
  PROT_GROWSUP,
  PROT_NONE,
  PROT_READ,
  PROT_SEM,
  PROT_WRITE,
} from './constants.js';
import { formatMaps } from './maps.js';
import { FilePages, PageCache } from './filecache.js';
import { Frames, MemoryInvariantError } from './frames.js';
import { checkMappings } from './invariants.js';
import { FAULT_OK, FAULT_OOM, type MmStats, type MmTunables, Pager, accessAllowed, mapProt, pageIndex } from './pager.js';
import { SharedMemory } from './shared.js';
import { UserAccess } from './usercopy.js';
import {
  type MappedFile,
  refVma,
  VMA_DONTFORK,
  VMA_GROWSDOWN,
  VMA_LOCKED,
  VMA_NORESERVE,
  VMA_MAYWRITE,
  VMA_SHARED,
  VMA_WIPEONFORK,
  type Vma,
} from './vma.js';

const PAGE = PAGE_SIZE;
const HUGE = HUGE_PAGE_SIZE;
const MAP_KNOWN =
  MAP_TYPE |
  MAP_FIXED |
  MAP_ANONYMOUS |
  MAP_32BIT |
  MAP_GROWSDOWN |
  MAP_DENYWRITE |
  MAP_EXECUTABLE |
  MAP_LOCKED |
  MAP_NORESERVE |
  MAP_POPULATE |
  MAP_NONBLOCK |
  MAP_STACK |
  MAP_HUGETLB |
  MAP_SYNC |
  MAP_FIXED_NOREPLACE |
  MAP_UNINITIALIZED;
/** Where MAP_32BIT mappings go on x86-64 (the second GiB). */
const LOW_32_START = 0x4000_0000;
const LOW_32_END = 0x8000_0000;
/** Linux's minimum gap between the stack top and mmap_base. */
const MIN_GAP = 128 << 20;
/** Linux's largest gap: five sixths of the space below the stack top (an unlimited stack's). */
const maxGap = (stackTop: number): number => Math.floor(stackTop / 6) * 5;

export interface MemoryManagerOptions {
  memory: PhysicalMemory;
  addressSpace: AddressSpace;
  /** User space [minUserAddress, maxUserAddress). Default [0x1000, 0x7fff_ffff_f000). */
  minUserAddress?: number;
  maxUserAddress?: number;
  /** Frames are charged here; default a new account with `memoryLimit`. */
  account?: MemoryAccount;
  /** Bytes of frames this process may own (when no `account` is given). Default unlimited. */
  memoryLimit?: number;
  /** Total bytes of VMAs (RLIMIT_AS). Default unlimited. */
  addressSpaceLimit?: number;
  /**
   * Most a grows-down stack may grow to: RLIMIT_STACK's soft limit
   * (Infinity: unlimited), which also places mmapBase. Default 8 MiB.
   */
  stackLimit?: number;
  /** Gap kept below a grows-down VMA (stack_guard_gap). Default 1 MiB. */
  stackGuardGap?: number;
  /** Lowest address mmap hands out or accepts with MAP_FIXED (vm.mmap_min_addr). Default 64 KiB. */
  mmapMinAddr?: number;
  /** Top of the stack; default the top of user space. */
  stackTop?: number;
  /**
   * Top-down mmap placement starts below here; default stackTop less the
   * stack limit and its guard gap, kept between 128 MiB and 5/6 of stackTop,
   * as Linux's mmap_base (without its randomisation pad).
   */
  mmapBase?: number;
  tunables?: Partial<MmTunables>;
  /** Where shared file mappings find their frames; processes sharing files share one. Default a new one. */
  pageCache?: PageCache;
  /**
   * Check every invariant (checkInvariants) after each memory system call and
   * each resolved fault; a violation throws MemoryInvariantError, which ends
   * the sandbox. Slow: for tests and fuzzing. Default false.
   */
  checkMemory?: boolean;
  /** A new, empty address space on the same memory, for fork's child (forPlatform gives the platform's). */
  newAddressSpace?: () => AddressSpace;
}

function pageUp(n: number): number {
  return Math.ceil(n / PAGE) * PAGE;
}

function isInt(...xs: number[]): boolean {
  for (const x of xs) if (!Number.isSafeInteger(x)) return false;
  return true;
}

export class MemoryManager extends UserAccess {
  readonly account: MemoryAccount;
  readonly mmapBase: number;
  readonly stackTop: number;
  readonly mmapMinAddr: number;
  readonly #checkMemory: boolean;
  readonly #options: MemoryManagerOptions;
  #startBrk = 0;
  #brk = 0;

  constructor(o: MemoryManagerOptions) {
    const min = o.minUserAddress ?? 0x1000;
    const max = o.maxUserAddress ?? 0x7fff_ffff_f000;
    const account = o.account ?? new MemoryAccount(o.memoryLimit ?? Infinity);
    const stackLimit = o.stackLimit ?? 8 << 20;
    const stackGuardGap = o.stackGuardGap ?? 1 << 20;
    const mmapMinAddr = Math.max(min, o.mmapMinAddr ?? 0x1_0000);
    const tunables: MmTunables = {
      faultAroundBytes: 64 << 10,
      streamBytes: 1 << 20,
      eagerBytes: 64 << 10,
      eagerFileBytes: 16 << 20,
      hugePages: true,
      ...o.tunables,
    };
    super(
      new Pager(
        Frames.of(o.memory),
        o.addressSpace,
        account,
        tunables,
        {
          min,
          max,
          mmapMinAddr,
          stackLimit,
          stackGuardGap,
          addressSpaceLimit: o.addressSpaceLimit ?? Infinity,
        },
        o.pageCache ?? new PageCache(),
      ),
    );
    this.account = account;
    this.mmapMinAddr = mmapMinAddr;
    this.#checkMemory = o.checkMemory ?? false;
    this.#options = o;
    this.stackTop = o.stackTop ?? max;
    const gap = Math.min(Math.max(MIN_GAP, stackLimit + stackGuardGap), maxGap(this.stackTop));
    this.mmapBase = o.mmapBase ?? Math.floor((this.stackTop - gap) / PAGE) * PAGE;
  }

  /**
   * Most the grows-down stack may grow to (RLIMIT_STACK's soft limit):
   * setrlimit changes it for the next fault, as Linux reads the limit then.
   * mmapBase stays where exec placed it.
   */
  get stackLimit(): number {
    return this.pager.limits.stackLimit;
  }

  set stackLimit(bytes: number) {
    this.pager.limits.stackLimit = bytes;
  }

  /** A memory manager on `platform`'s memory with a new address space. */
  static forPlatform(platform: Platform, options: Omit<MemoryManagerOptions, 'memory' | 'addressSpace'> = {}): MemoryManager {
    return new MemoryManager({
      memory: platform.memory,
      addressSpace: platform.newAddressSpace(),
      newAddressSpace: () => platform.newAddressSpace(),
      minUserAddress: platform.minUserAddress,
      maxUserAddress: platform.maxUserAddress,
      ...options,
    });
  }

  get addressSpace(): AddressSpace {
    return this.pager.as;
  }

  get stats(): Readonly<MmStats> {
    return this.pager.stats;
  }

  get tunables(): MmTunables {
    return this.pager.tunables;
  }

  /** The shared file pages this process's mappings use (file I/O keeps them coherent, see syscalls/filemap.ts). */
  get pageCache(): PageCache {
    return this.pager.cache;
  }

  /**
   * The page cache's pages of `file` (made on first use, charged to this
   * process's account), for a caller that keeps them beyond their last
   * mapping by holding a reference (FilePages.ref(null)).
   */
  cachedPages(file: MappedFile): FilePages {
    return this.pager.cache.attach(file, this.pager.frames, this.account);
  }

  /** The VMAs in address order (read only). */
  get vmas(): readonly Vma[] {
    return this.pager.vmas.all;
  }

  /** The VMA containing `addr`, if any. */
  vmaAt(addr: number): Readonly<Vma> | undefined {
    return this.pager.vmas.find(addr);
  }

  /** Bytes of frames charged to this process's account. */
  get memoryUsed(): number {
    return this.account.used;
  }

  /** Bytes of VMAs. */
  get mappedBytes(): number {
    return this.pager.vmas.total;
  }

  override handleFault(address: number, access: number): number {
    return this.#checked('page fault', super.handleFault(address, access));
  }

  /**
   * Describes the first broken invariant of this process's memory and of the
   * frames of every process on the same memory (see invariants.ts), or null.
   */
  checkInvariants(): string | null {
    const p = this.pager;
    return p.vmas.check(p.limits.min, p.limits.max) ?? checkMappings(p) ?? p.frames.check();
  }

  /** With checkMemory, throws MemoryInvariantError when `op` left an invariant broken; returns `result`. */
  #checked<T>(op: string, result: T): T {
    if (this.#checkMemory) {
      const bad = this.checkInvariants();
      if (bad !== null) throw new MemoryInvariantError(`${bad} (after ${op})`);
    }
    return result;
  }

  /** /proc/self/maps. */
  procMaps(): string {
    return formatMaps(this.pager.vmas.all);
  }

  // ---- Set-up by the loader ----

  /** Sets the start of the heap (the page-aligned end of the program's data); brk starts there. */
  setBrk(addr: number): void {
    this.#startBrk = this.#brk = pageUp(addr);
  }

  /**
   * Maps a grows-down "[stack]" VMA [top - size, top) with its top
   * `populate` bytes resident (the initial stack the loader writes); its
   * start, or -errno. The rest faults in as the program reaches it: every
   * resident page costs a fork a copy-on-write entry to revoke.
   */
  mapStack(top: number, size: number, populate = size): number {
    const start = top - pageUp(size);
    const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN;
    const r = this.#mmap(start, top - start, PROT_READ | PROT_WRITE, flags, null, 0, '[stack]');
    if (r >= 0) this.pager.populate(Math.max(r, top - pageUp(populate)), top);
    return this.#checked('mapStack', r);
  }

  /**
   * Maps the first `len` bytes of `file` as a named special mapping
   * ("[vdso]", "[vvar]") at `addr` (0: anywhere), private and populated:
   * its pages are the page cache's frames of `file`, shared with every
   * process that maps it and copied before a store, as any private file
   * page. Its address, or -errno.
   */
  mapSpecial(addr: number, file: MappedFile, len: number, prot: number, name: string): number {
    const flags = MAP_PRIVATE | (addr !== 0 ? MAP_FIXED_NOREPLACE : 0);
    const r = this.#mmap(addr, len, prot | PROT_READ, flags, file, 0, name);
    if (r < 0) return r;
    if (this.pager.populate(r, r + pageUp(len)) !== FAULT_OK) {
      this.munmap(r, len);
      return -E.ENOMEM;
    }
    return this.#checked('mapSpecial', r);
  }

  // ---- System calls ----

  /** brk(2): the new break, or the current one when the request fails. */
  brk(addr: number): number {
    return this.#checked('brk', this.#setBreak(addr));
  }

  #setBreak(addr: number): number {
    const old = this.#brk;
    if (!isInt(addr) || addr < this.#startBrk || addr > this.pager.limits.max || this.#startBrk === 0) return old;
    const newTop = pageUp(addr);
    const oldTop = pageUp(old);
    if (newTop < oldTop) this.pager.unmapRange(newTop, oldTop);
    if (newTop > oldTop) {
      const vmas = this.pager.vmas;
      const next = vmas.at(vmas.indexAbove(oldTop));
      const ceiling =
        next === undefined
          ? this.pager.limits.max
          : next.start - ((next.flags & VMA_GROWSDOWN) !== 0 ? this.pager.limits.stackGuardGap : PAGE);
      if (
        newTop > ceiling ||
        oldTop < this.mmapMinAddr ||
        newTop - this.#startBrk > this.account.limit ||
        vmas.total + (newTop - oldTop) > this.pager.limits.addressSpaceLimit
      ) {
        return old;
      }
      vmas.insert({ start: oldTop, end: newTop, prot: PROT_READ | PROT_WRITE, flags: 0, file: null, offset: 0, shm: null, name: '[heap]' });
      // The program grows its heap to use it from the old break on: its first
      // eagerBytes are made resident now, sparing the fault (a guest exit)
      // that the first store would take, as a small anonymous mmap is.
      this.pager.populate(oldTop, Math.min(newTop, oldTop + this.pager.tunables.eagerBytes));
    }
    this.#brk = addr;
    return addr;
  }

  /** mmap(2): the mapping's address, or -errno. `file` is ignored with MAP_ANONYMOUS. */
  mmap(addr: number, len: number, prot: number, flags: number, file?: MappedFile | null, offset = 0): number {
    return this.#checked('mmap', this.#mmap(addr, len, prot, flags, file ?? null, offset, ''));
  }

  #mmap(addr: number, len: number, prot: number, flags: number, file: MappedFile | null, offset: number, name: string): number {
    if (!isInt(addr, len, prot, flags, offset)) return -E.EINVAL;
    let type = flags & MAP_TYPE;
    if (type === MAP_SHARED_VALIDATE) {
      // Only a file mapping may ask for validation; for anonymous memory it is an unknown type (Linux).
      if (file === null && (flags & MAP_ANONYMOUS) !== 0) return -E.EINVAL;
      if ((flags & ~MAP_KNOWN) !== 0) return -E.EOPNOTSUPP;
      type = MAP_SHARED;
    } else if (type !== MAP_SHARED && type !== MAP_PRIVATE) {
      return -E.EINVAL;
    }
    if (len === 0 || offset < 0 || offset % PAGE !== 0) return -E.EINVAL;
    const max = this.pager.limits.max;
    if (len < 0 || len > max) return -E.ENOMEM;
    const size = pageUp(len);
    if (offset + size > Number.MAX_SAFE_INTEGER) return -E.EOVERFLOW;
    if ((flags & MAP_HUGETLB) !== 0) return -E.ENOMEM; // no hugetlbfs pool
    const shared = type === MAP_SHARED;
    const anon = (flags & MAP_ANONYMOUS) !== 0;
    const backing = anon ? null : file;
    if (!anon && backing === null) return -E.EBADF;
    if (backing !== null && backing.readable === false) return -E.EACCES;
    if (backing !== null && shared && (prot & PROT_WRITE) !== 0 && backing.writable === false) return -E.EACCES;
    const growsDown = (flags & MAP_GROWSDOWN) !== 0;
    if (growsDown && shared && anon) return -E.EINVAL;
    prot &= PROT_READ | PROT_WRITE | PROT_EXEC;

    const vmas = this.pager.vmas;
    const fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;
    let start: number;
    let replaced = 0;
    if (fixed) {
      if (addr % PAGE !== 0 || addr < 0) return -E.EINVAL;
      if (addr > max - size) return -E.ENOMEM;
      if (addr < this.mmapMinAddr) return -E.EPERM;
      if ((flags & MAP_FIXED_NOREPLACE) !== 0 && vmas.overlaps(addr, addr + size)) return -E.EEXIST;
      start = addr;
      replaced = this.#mappedIn(start, start + size);
    } else {
      start = this.#place(addr, size, flags, !anon || shared);
      if (start < 0) return -E.ENOMEM;
    }
    const accountable = !shared && (prot & PROT_WRITE) !== 0 && (flags & MAP_NORESERVE) === 0;
    if (
      (accountable && size > this.account.limit) ||
      vmas.total - replaced + size > this.pager.limits.addressSpaceLimit ||
      vmas.length >= MAX_MAP_COUNT
    ) {
      return -E.ENOMEM;
    }
    if (fixed) this.pager.unmapRange(start, start + size);
    let shm: SharedMemory | null = null;
    if (shared) {
      shm =
        backing !== null
          ? this.pager.cache.attach(backing, this.pager.frames, this.account)
          : new SharedMemory(this.pager.frames, this.account);
      shm.addMapper(this.pager);
    }
    const mayWrite = shared && (backing === null || (backing.writable !== false && backing.writeSealed?.() !== true));
    const vflags =
      (shared ? VMA_SHARED : 0) |
      (mayWrite ? VMA_MAYWRITE : 0) |
      (growsDown ? VMA_GROWSDOWN : 0) |
      ((flags & MAP_NORESERVE) !== 0 ? VMA_NORESERVE : 0) |
      ((flags & MAP_LOCKED) !== 0 ? VMA_LOCKED : 0);
    const v: Vma = { start, end: start + size, prot, flags: vflags, file: backing, offset: backing === null ? 0 : offset, shm, name };
    refVma(v);
    vmas.insert(v);

    if (prot !== PROT_NONE) {
      const t = this.pager.tunables;
      let eager = 0;
      if ((flags & MAP_POPULATE) !== 0) eager = size;
      else if (backing === null && size <= t.eagerBytes) eager = size;
      else if (backing !== null && !shared) eager = Math.min(size, pageUp(t.eagerFileBytes));
      if (eager > 0) this.pager.populate(start, start + eager);
    }
    return start;
  }

  /** munmap(2): 0 or -EINVAL. Unmapping nothing is fine. */
  munmap(addr: number, len: number): number {
    return this.#checked('munmap', this.#unmap(addr, len));
  }

  #unmap(addr: number, len: number): number {
    if (!isInt(addr, len) || addr < 0 || addr % PAGE !== 0 || len <= 0) return -E.EINVAL;
    const max = this.pager.limits.max;
    if (addr > max || len > max - addr) return -E.EINVAL;
    this.pager.unmapRange(addr, addr + pageUp(len));
    return 0;
  }

  /** mprotect(2): 0 or -errno (-ENOMEM when part of the range is not mapped; nothing changes then). */
  mprotect(addr: number, len: number, prot: number): number {
    return this.#checked('mprotect', this.#protect(addr, len, prot));
  }

  #protect(addr: number, len: number, prot: number): number {
    if (!isInt(addr, len, prot) || addr % PAGE !== 0) return -E.EINVAL;
    const grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
    prot &= ~grows;
    if (grows === (PROT_GROWSDOWN | PROT_GROWSUP) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) !== 0) {
      return -E.EINVAL;
    }
    if (len === 0) return 0;
    const max = this.pager.limits.max;
    if (addr < 0 || len < 0 || addr >= max || len > max - addr) return -E.ENOMEM;
    const vmas = this.pager.vmas;
    let start = addr;
    const end = addr + pageUp(len);
    if (grows !== 0) {
      const v = vmas.find(start);
      if (v === undefined) return -E.ENOMEM;
      if (grows === PROT_GROWSUP || (v.flags & VMA_GROWSDOWN) === 0) return -E.EINVAL;
      start = v.start;
    }
    if (!vmas.covers(start, end)) return -E.ENOMEM;
    prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
    const [first, last] = vmas.isolate(start, end);
    for (let i = first; i < last; i++) {
      const v = vmas.at(i)!;
      if (v.shm !== null && (v.flags & VMA_MAYWRITE) === 0 && (prot & PROT_WRITE) !== 0) {
        this.#mergeRange(first, last);
        return -E.EACCES;
      }
    }
    for (let i = first; i < last; i++) {
      const v = vmas.at(i)!;
      v.prot = prot;
      this.pager.reprotect(v.start, v.end, mapProt(v));
    }
    this.#mergeRange(first, last);
    return 0;
  }

  /** mremap(2): the (possibly new) address, or -errno. */
  mremap(oldAddr: number, oldLen: number, newLen: number, flags: number, newAddr = 0): number {
    return this.#checked('mremap', this.#remap(oldAddr, oldLen, newLen, flags, newAddr));
  }

  #remap(oldAddr: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
    if (!isInt(oldAddr, oldLen, newLen, flags, newAddr)) return -E.EINVAL;
    if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0) return -E.EINVAL;
    const mayMove = (flags & MREMAP_MAYMOVE) !== 0;
    const fixed = (flags & MREMAP_FIXED) !== 0;
    const dontUnmap = (flags & MREMAP_DONTUNMAP) !== 0;
    if ((fixed || dontUnmap) && !mayMove) return -E.EINVAL;
    if (dontUnmap && oldLen !== newLen) return -E.EINVAL;
    if (oldAddr % PAGE !== 0 || oldLen < 0 || newLen <= 0) return -E.EINVAL;
    const max = this.pager.limits.max;
    if (newLen > max) return -E.EINVAL;
    if (oldAddr < 0 || oldAddr >= max || oldLen > max - oldAddr) return -E.EFAULT;
    oldLen = pageUp(oldLen);
    newLen = pageUp(newLen);
    const vmas = this.pager.vmas;
    let v = vmas.find(oldAddr);
    if (v === undefined) return -E.EFAULT;
    if (oldLen === 0 && (v.shm === null || !mayMove)) return -E.EINVAL;
    if (oldAddr + oldLen > v.end) return -E.EFAULT;
    if (dontUnmap && (v.shm !== null || v.file !== null)) return -E.EINVAL;
    if (fixed) {
      if (newAddr % PAGE !== 0 || newAddr < 0 || newAddr > max - newLen) return -E.EINVAL;
      if (newAddr < oldAddr + oldLen && oldAddr < newAddr + newLen) return -E.EINVAL;
      if (newAddr < this.mmapMinAddr) return -E.EPERM;
    }
    const grow = newLen - Math.min(oldLen === 0 ? 0 : oldLen, newLen);
    const accountable = v.shm === null && (v.prot & PROT_WRITE) !== 0 && (v.flags & VMA_NORESERVE) === 0;
    if ((accountable && grow > this.account.limit) || vmas.total + grow > this.pager.limits.addressSpaceLimit) return -E.ENOMEM;

    if (!fixed && !dontUnmap && oldLen !== 0) {
      if (newLen <= oldLen) {
        this.pager.unmapRange(oldAddr + newLen, oldAddr + oldLen);
        return oldAddr;
      }
      const end = oldAddr + newLen;
      if (oldAddr + oldLen === v.end && end <= max && !vmas.overlaps(v.end, end) && end <= this.#ceiling(v.end)) {
        vmas.setBounds(v, v.start, end);
        vmas.mergeAt(vmas.indexAbove(end));
        return oldAddr;
      }
      if (!mayMove) return -E.ENOMEM;
    }
    let dest: number;
    if (fixed) {
      dest = newAddr;
      this.pager.unmapRange(dest, dest + newLen);
      if (oldLen > newLen) {
        this.pager.unmapRange(oldAddr + newLen, oldAddr + oldLen);
        oldLen = newLen;
      }
      v = vmas.find(oldAddr)!;
    } else {
      dest = this.#place(0, newLen, 0, v.file !== null || v.shm !== null);
      if (dest < 0) return -E.ENOMEM;
    }
    if (oldLen === 0) {
      const alias: Vma = { ...v, start: dest, end: dest + newLen, offset: v.offset + (oldAddr - v.start) };
      refVma(alias);
      vmas.insert(alias);
      return dest;
    }
    vmas.isolate(oldAddr, oldAddr + oldLen);
    const src = vmas.find(oldAddr)!;
    const moved: Vma = { ...src, start: dest, end: dest + newLen };
    this.pager.move(oldAddr, dest, oldLen, mapProt(src), src);
    if (dontUnmap) {
      vmas.mergeAt(vmas.indexAbove(oldAddr + oldLen));
      vmas.mergeAt(vmas.indexAbove(oldAddr));
    } else {
      vmas.remove(oldAddr, oldAddr + oldLen); // its pages moved; its shm reference passes to `moved`
    }
    vmas.insert(moved);
    return dest;
  }

  /** madvise(2): 0 or -errno. */
  madvise(addr: number, len: number, advice: number): number {
    return this.#checked('madvise', this.#advise(addr, len, advice));
  }

  #advise(addr: number, len: number, advice: number): number {
    if (!isInt(addr, len, advice) || addr < 0 || addr % PAGE !== 0 || len < 0) return -E.EINVAL;
    switch (advice) {
      case MADV_NORMAL:
      case MADV_RANDOM:
      case MADV_SEQUENTIAL:
      case MADV_WILLNEED:
      case MADV_DONTNEED:
      case MADV_FREE:
      case MADV_REMOVE:
      case MADV_DONTFORK:
      case MADV_DOFORK:
      case MADV_MERGEABLE:
      case MADV_UNMERGEABLE:
      case MADV_HUGEPAGE:
      case MADV_NOHUGEPAGE:
      case MADV_DONTDUMP:
      case MADV_DODUMP:
      case MADV_WIPEONFORK:
      case MADV_KEEPONFORK:
      case MADV_COLD:
      case MADV_PAGEOUT:
      case MADV_POPULATE_READ:
      case MADV_POPULATE_WRITE:
      case MADV_DONTNEED_LOCKED:
      case MADV_COLLAPSE:
        break;
      case MADV_HWPOISON:
      case MADV_SOFT_OFFLINE:
        return -E.EPERM;
      default:
        return -E.EINVAL;
    }
    const end = addr + pageUp(len);
    if (end > this.pager.limits.max) return -E.ENOMEM;
    if (end === addr) return 0;
    const vmas = this.pager.vmas;
    const pieces: Vma[] = [];
    for (let i = vmas.indexAbove(addr); i < vmas.length && vmas.at(i)!.start < end; i++) pieces.push(vmas.at(i)!);
    // Reject before changing anything, as Linux does for these checks.
    for (const v of pieces) {
      const anonPrivate = v.file === null && v.shm === null;
      if ((advice === MADV_FREE || advice === MADV_WIPEONFORK) && !anonPrivate) return -E.EINVAL;
      if ((advice === MADV_DONTNEED || advice === MADV_REMOVE) && (v.flags & VMA_LOCKED) !== 0) return -E.EINVAL;
      if (advice === MADV_REMOVE && anonPrivate) return -E.EINVAL;
      // madvise_remove: only a shared mapping of a file it may write (vma_is_shared_maywrite).
      if (advice === MADV_REMOVE && (v.shm === null || v.file?.writable === false)) return -E.EACCES;
    }
    for (const v of pieces) {
      const s = Math.max(addr, v.start);
      const e = Math.min(end, v.end);
      switch (advice) {
        case MADV_DONTNEED:
        case MADV_DONTNEED_LOCKED:
        case MADV_FREE:
          this.pager.drop(s, e);
          break;
        case MADV_REMOVE: {
          if (v.shm instanceof FilePages) {
            const r = v.shm.punch(pageIndex(v, s), pageIndex(v, e), v.file);
            if (r < 0) return r;
            break;
          }
          // A hole in the object: it leaves every mapping of it (an mremap alias too).
          v.shm!.discard(pageIndex(v, s), pageIndex(v, e));
          break;
        }
        case MADV_DONTFORK:
        case MADV_DOFORK:
        case MADV_WIPEONFORK:
        case MADV_KEEPONFORK:
          this.#setForkFlag(s, e, advice);
          break;
        case MADV_POPULATE_READ:
        case MADV_POPULATE_WRITE: {
          if (!accessAllowed(v.prot, advice === MADV_POPULATE_WRITE ? ACCESS_WRITE : ACCESS_READ)) return -E.EFAULT;
          const r = this.pager.populate(s, e);
          if (r !== FAULT_OK) return r === FAULT_OOM ? -E.ENOMEM : -E.EFAULT;
          break;
        }
        default:
          break;
      }
    }
    return vmas.covers(addr, end) ? 0 : -E.ENOMEM;
  }

  /**
   * msync(2): writes the dirty pages of shared file mappings in the range
   * back to their files, whatever the flags (MS_ASYNC too, so the host sees
   * them); MS_SYNC also makes them durable. As Linux: holes are -ENOMEM
   * after syncing the rest (at once for plain MS_ASYNC), MS_INVALIDATE on a
   * locked mapping is -EBUSY, and a write-back error is returned.
   */
  msync(addr: number, len: number, flags: number): number {
    return this.#checked('msync', this.#sync(addr, len, flags));
  }

  #sync(addr: number, len: number, flags: number): number {
    if (!isInt(addr, len, flags) || addr < 0 || addr % PAGE !== 0 || len < 0) return -E.EINVAL;
    if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) !== 0 || (flags & (MS_ASYNC | MS_SYNC)) === (MS_ASYNC | MS_SYNC)) {
      return -E.EINVAL;
    }
    const end = addr + pageUp(len);
    if (end > this.pager.limits.max) return -E.ENOMEM;
    const vmas = this.pager.vmas;
    let unmapped = 0;
    let at = addr;
    for (let i = vmas.indexAbove(addr); at < end; i++) {
      const v = vmas.at(i);
      if (v === undefined || v.start >= end) return -E.ENOMEM;
      if (at < v.start) {
        if (flags === MS_ASYNC) return -E.ENOMEM;
        unmapped = -E.ENOMEM;
      }
      if ((flags & MS_INVALIDATE) !== 0 && (v.flags & VMA_LOCKED) !== 0) return -E.EBUSY;
      let r = this.pager.writeback(v, Math.max(at, v.start), Math.min(end, v.end), true);
      if (r === 0 && (flags & MS_SYNC) !== 0 && v.shm instanceof FilePages) r = v.file?.sync?.() ?? 0;
      if (r < 0) return r;
      at = v.end;
    }
    return unmapped;
  }

  /** mlock(2) / mlock2(2): nothing is ever paged out, so this only validates. */
  mlock(addr: number, len: number, flags = 0): number {
    if (!isInt(addr, len, flags) || (flags & ~MLOCK_ONFAULT) !== 0 || addr < 0 || len < 0) return -E.EINVAL;
    return this.#requireMapped(addr - (addr % PAGE), len + (addr % PAGE));
  }

  munlock(addr: number, len: number): number {
    return this.mlock(addr, len);
  }

  mlockall(flags: number): number {
    if (!isInt(flags) || flags === 0 || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) !== 0 || flags === MCL_ONFAULT) {
      return -E.EINVAL;
    }
    return 0;
  }

  munlockall(): number {
    return 0;
  }

  /**
   * fork(2)'s copy of this memory for a child process: the same VMAs, the
   * same account, page cache and program break, private pages shared
   * copy-on-write (Pager.forkInto). -ENOMEM when the page tables cannot be
   * had; -ENOSYS without a way to make an address space.
   */
  fork(): MemoryManager | number {
    const make = this.#options.newAddressSpace;
    if (make === undefined) return -E.ENOSYS;
    const child = new MemoryManager({
      ...this.#options,
      account: this.account,
      pageCache: this.pager.cache,
      addressSpace: make(),
      mmapBase: this.mmapBase,
      stackLimit: this.stackLimit,
    });
    child.#startBrk = this.#startBrk;
    child.#brk = this.#brk;
    try {
      if (!this.pager.forkInto(child.pager)) {
        child.release();
        return -E.ENOMEM;
      }
    } catch (e) {
      child.release();
      if (e instanceof OutOfMemoryError) return -E.ENOMEM;
      throw e;
    }
    return this.#checked('fork', child);
  }

  /** The guest memory this process's frames come from. */
  get physical(): PhysicalMemory {
    return this.pager.mem;
  }

  /** Resident pages (VmRSS). */
  get residentPages(): number {
    return this.pager.pages.size;
  }

  /** The guest-physical address of the word at `va` when it lies in resident shared memory, else -1 (shared futex keys). */
  sharedAddress(va: number): number {
    return this.pager.sharedAddress(va);
  }

  /** Frees every frame and the address space. */
  release(): void {
    this.pager.releaseAll();
    this.pager.as.release();
  }

  // ---- Helpers ----

  /** MADV_DONTFORK/DOFORK/WIPEONFORK/KEEPONFORK on [start, end) of one VMA: its fork flag, the range split off as Linux does. */
  #setForkFlag(start: number, end: number, advice: number): void {
    const vmas = this.pager.vmas;
    const [first, last] = vmas.isolate(start, end);
    const flag = advice === MADV_DONTFORK || advice === MADV_DOFORK ? VMA_DONTFORK : VMA_WIPEONFORK;
    const on = advice === MADV_DONTFORK || advice === MADV_WIPEONFORK;
    for (let i = first; i < last; i++) {
      const v = vmas.at(i)!;
      v.flags = on ? v.flags | flag : v.flags & ~flag;
    }
    this.#mergeRange(first, last);
  }

  /** 0 if [addr, addr+len) is mapped throughout, -ENOMEM if not. */
  #requireMapped(addr: number, len: number): number {
    const end = addr + pageUp(len);
    if (end > this.pager.limits.max) return -E.ENOMEM;
    return this.pager.vmas.covers(addr, end) ? 0 : -E.ENOMEM;
  }

  #mergeRange(first: number, last: number): void {
    for (let i = last; i >= first; i--) this.pager.vmas.mergeAt(i);
  }

  /** Bytes of VMAs inside [start, end). */
  #mappedIn(start: number, end: number): number {
    const vmas = this.pager.vmas;
    let n = 0;
    for (let i = vmas.indexAbove(start); i < vmas.length && vmas.at(i)!.start < end; i++) {
      const v = vmas.at(i)!;
      n += Math.min(end, v.end) - Math.max(start, v.start);
    }
    return n;
  }

  /** How far a mapping ending in a gap may reach: the next VMA, less the guard gap below a stack. */
  #ceiling(at: number): number {
    const vmas = this.pager.vmas;
    const next = vmas.at(vmas.indexAbove(at));
    if (next === undefined) return this.pager.limits.max;
    return next.start - ((next.flags & VMA_GROWSDOWN) !== 0 ? this.pager.limits.stackGuardGap : 0);
  }

  /** Whether [start, start+size) is free, in user space, and clear of a stack's guard gap. */
  #free(start: number, size: number): boolean {
    return (
      start >= this.mmapMinAddr &&
      start <= this.pager.limits.max - size &&
      !this.pager.vmas.overlaps(start, start + size) &&
      start + size <= this.#ceiling(start)
    );
  }

  /**
   * Chooses an address for a non-fixed mapping: the hint if that range is
   * free, else top-down below mmapBase, else bottom-up above it. Large
   * anonymous private mappings are 2 MiB aligned so they can get 2 MiB pages.
   */
  #place(hint: number, size: number, flags: number, fileOrShared: boolean): number {
    if ((flags & MAP_32BIT) !== 0) return this.#bottomUp(LOW_32_START, LOW_32_END, size, PAGE);
    if (hint > 0) {
      const h = hint - (hint % PAGE);
      if (this.#free(h, size)) return h;
    }
    const align = !fileOrShared && size >= HUGE && this.pager.tunables.hugePages ? HUGE : PAGE;
    const low = this.mmapMinAddr;
    const top = this.#topDown(low, this.mmapBase, size, align);
    return top >= 0 ? top : this.#bottomUp(Math.max(low, this.mmapBase), this.pager.limits.max, size, align);
  }

  /** The highest `align`-aligned free range of `size` in [low, high), or -1. */
  #topDown(low: number, high: number, size: number, align: number): number {
    const vmas = this.pager.vmas;
    const gap = this.pager.limits.stackGuardGap;
    for (let j = vmas.indexAbove(high); j >= 0; j--) {
      const upper = vmas.at(j);
      const lower = vmas.at(j - 1);
      const top = Math.min(high, upper === undefined ? high : upper.start - ((upper.flags & VMA_GROWSDOWN) !== 0 ? gap : 0));
      const bottom = Math.max(low, lower === undefined ? low : lower.end);
      const at = Math.floor((top - size) / align) * align;
      if (at >= bottom && top - bottom >= size) return at;
      if (lower === undefined || lower.end <= low) break;
    }
    return -1;
  }

  /** The lowest `align`-aligned free range of `size` in [low, high), or -1. */
  #bottomUp(low: number, high: number, size: number, align: number): number {
    const vmas = this.pager.vmas;
    const gap = this.pager.limits.stackGuardGap;
    let bottom = low;
    for (let j = vmas.indexAbove(low); ; j++) {
      const upper = vmas.at(j);
      const top = Math.min(high, upper === undefined ? high : upper.start - ((upper.flags & VMA_GROWSDOWN) !== 0 ? gap : 0));
      const at = Math.ceil(bottom / align) * align;
      if (at + size <= top) return at;
      if (upper === undefined || upper.end >= high) return -1;
      bottom = Math.max(bottom, upper.end);
    }
  }
}
