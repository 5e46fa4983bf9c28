// The frames MAP_SHARED mappings of one file share (per inode, in every
// address space), and what Linux's page cache does for them:
// - dirty tracking: a writable mapping maps a clean page write-protected, so
//   the first store faults and marks it dirty (the Pager marks the rest of
//   the fault-around window too, sparing guest exits; write-back of a page
//   marked but not stored to rewrites the bytes it read);
// - write-back of dirty pages to the file, never past its size at that time,
//   after which they are write-protected again everywhere;
// - coherence with file I/O: write() stores into cached frames, read() sees
//   dirty frames, truncation drops pages past the new end (touching them
//   again faults: SIGBUS).
// The same frames are the clean source of MAP_PRIVATE mappings of the file
// (the ELF loader's text and data among them): a read-only private page maps
// the cached frame itself, shared by every process and every exec of the
// file and charged once; a store to it copies it first (copy-on-write, as
// after fork: the frame has more than one reference).
//
// A PageCache holds one FilePages per file while any mapping refers to it,
// and keeps the pages of files no mapping refers to any more (idle) while
// they fit its budget and the file is unchanged (MappedFile.version), so the
// next exec of a program finds them; memory running short evicts them first.
import { E } from '../errno.js';
import type { MemoryAccount } from './account.js';
import { MAX_RW_COUNT } from './constants.js';
import type { Frames } from './frames.js';
import { indicesIn, SharedMemory } from './shared.js';
import type { MappedFile } from './vma.js';

const PAGE = 4096;
/** Pages gathered into one host write. */
const RUN_PAGES = 256;

/** Identifies a file: "dev:ino", or the MappedFile itself when it has no inode numbers. */
export type FileKey = string | MappedFile;

export function fileKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

export function keyOf(file: MappedFile): FileKey {
  return file.dev !== undefined && file.ino !== undefined ? fileKey(file.dev, file.ino) : file;
}

function canWrite(f: MappedFile): boolean {
  return f.writable !== false && f.pwrite !== undefined;
}

let scratch = new Uint8Array(0);

export class FilePages extends SharedMemory {
  override readonly holderName: string;
  /** Page indices stored to through a mapping since they were last written back. */
  readonly dirty = new Set<number>();
  /** Open files mapped by some VMA, with how many VMAs: each is held while mapped. */
  readonly #users = new Map<MappedFile, number>();
  readonly #onIdle: (fp: FilePages) => void;
  /** The first write-back failure nobody was told of yet (-errno), as Linux's per-file writeback error. */
  #error = 0;
  /** The file's version (MappedFile.version) the frames were read at; undefined when unknown or changed through a mapping. */
  stamp: string | undefined;

  constructor(pool: Frames, account: MemoryAccount, name: string, onIdle: (fp: FilePages) => void) {
    super(pool, account);
    this.holderName = `page cache of ${name}`;
    this.#onIdle = onIdle;
  }

  override ref(file: MappedFile | null): void {
    super.ref(file);
    if (file === null) return;
    const n = this.#users.get(file) ?? 0;
    if (n === 0) file.hold?.();
    this.#users.set(file, n + 1);
  }

  override unref(file: MappedFile | null): void {
    if (file !== null) {
      const n = (this.#users.get(file) ?? 1) - 1;
      if (n > 0) {
        this.#users.set(file, n);
      } else {
        // No dirty page may outlive the open files that could write it back.
        if (this.dirty.size > 0) this.writeback(0, Infinity, file, false);
        this.#users.delete(file);
        file.release?.();
      }
    }
    super.unref(file);
  }

  /** No VMA refers to the file any more: its PageCache keeps the frames or frees them. */
  protected override idle(): void {
    if (this.dirty.size > 0) this.stamp = undefined; // stores no file could take: the frames are not the file's bytes
    this.dirty.clear();
    this.#onIdle(this);
  }

  /** A hole (truncation, a failed read) also forgets that the pages were dirty. */
  override discard(from: number, to: number): void {
    super.discard(from, to);
    for (const i of indicesIn(this.dirty, from, to)) this.dirty.delete(i);
  }

  /**
   * Writes the dirty pages with index in [from, to) to the file, through
   * `via` if it can write, else through any mapped open file that can, up
   * to the file's current size; they are clean (write-protected) afterwards
   * even if writing failed, as Linux drops the page's error into the file's.
   * With `report`, 0 or the first failure not reported yet (-errno), which
   * is then forgotten; without (munmap, exit), 0, and a failure waits for
   * the next msync or fsync. Without any writable file the pages stay
   * dirty, in memory only.
   */
  writeback(from: number, to: number, via: MappedFile | null, report = true): number {
    const pages = indicesIn(this.dirty, from, to);
    const file = via !== null && canWrite(via) ? via : this.#anyWriter();
    if (pages.length === 0 || file === null) return report ? this.#takeError() : 0;
    const size = file.size?.() ?? Infinity;
    if (size < 0) this.#fail(size);
    for (let i = 0; i < pages.length && size >= 0; ) {
      let n = 1;
      while (i + n < pages.length && n < RUN_PAGES && pages[i + n] === pages[i]! + n) n++;
      const r = this.#writeRun(file, pages, i, n, size);
      if (r < 0) this.#fail(r);
      i += n;
    }
    for (const p of pages) this.dirty.delete(p);
    for (const m of this.mappers) m.protectShared(this, pages[0]!, pages[pages.length - 1]! + 1);
    return report ? this.#takeError() : 0;
  }

  /** write() stored `data` at byte `offset` of the file: cached pages take the new bytes. */
  written(offset: number, data: Uint8Array): void {
    if (this.frames.size === 0) return;
    const end = offset + data.length;
    for (let i = Math.floor(offset / PAGE); i * PAGE < end; i++) {
      const f = this.frames.get(i);
      if (f === undefined) continue;
      const s = Math.max(offset, i * PAGE);
      const e = Math.min(end, (i + 1) * PAGE);
      this.mem.bytes.set(data.subarray(s - offset, e - offset), f + s - i * PAGE);
    }
  }

  /** A read got `n` bytes at byte `offset` into `buf`: dirty pages (newer than the file) replace theirs. */
  overlay(offset: number, buf: Uint8Array, n: number): void {
    if (this.dirty.size === 0) return;
    const end = offset + n;
    for (let i = Math.floor(offset / PAGE); i * PAGE < end; i++) {
      const f = this.frames.get(i);
      if (f === undefined || !this.dirty.has(i)) continue;
      const s = Math.max(offset, i * PAGE);
      const e = Math.min(end, (i + 1) * PAGE);
      buf.set(this.mem.bytes.subarray(f + s - i * PAGE, f + e - i * PAGE), s - offset);
    }
  }

  /**
   * The file is now `size` bytes long: pages wholly past the end leave every
   * mapping and are freed (touching them again is SIGBUS, as Linux), and the
   * rest of the last page reads as zeros.
   */
  truncated(size: number): void {
    const keep = Math.ceil(size / PAGE);
    this.discard(keep, Infinity);
    const f = size % PAGE === 0 ? undefined : this.frames.get(keep - 1);
    if (f !== undefined) this.mem.bytes.fill(0, f + (size % PAGE), f + PAGE);
  }

  /**
   * MADV_REMOVE: file pages [from, to) read as zeros from now on, in every
   * mapping and in the file. The VFS cannot punch holes, so zeros are
   * written within the file's size: at most MAX_RW_COUNT bytes, the work one
   * write(2) may do; a longer range is EOPNOTSUPP (a filesystem without hole
   * punching) and changes nothing. 0 or -errno.
   */
  punch(from: number, to: number, via: MappedFile | null): number {
    const file = via !== null && canWrite(via) ? via : this.#anyWriter();
    if (file === null) return -E.EACCES;
    const size = file.size?.() ?? 0;
    if (size < 0) return size;
    if (Math.min(to * PAGE, size) - from * PAGE > MAX_RW_COUNT) return -E.EOPNOTSUPP;
    for (const [i, f] of this.frames) {
      if (i < from || i >= to) continue;
      this.mem.bytes.fill(0, f, f + PAGE);
      this.dirty.delete(i);
    }
    const end = Math.min(to * PAGE, size);
    if (scratch.length < RUN_PAGES * PAGE) scratch = new Uint8Array(RUN_PAGES * PAGE);
    for (let at = from * PAGE; at < end; ) {
      const n = Math.min(end - at, RUN_PAGES * PAGE);
      scratch.fill(0, 0, n);
      const w = file.pwrite!(scratch, n, at);
      if (w <= 0) return w < 0 ? w : -E.EIO;
      at += w;
    }
    return 0;
  }

  #anyWriter(): MappedFile | null {
    for (const f of this.#users.keys()) if (canWrite(f)) return f;
    return null;
  }

  /** Writes the `n` consecutive pages starting at pages[i], clipped to `size`: 0 or -errno. */
  #writeRun(file: MappedFile, pages: readonly number[], i: number, n: number, size: number): number {
    const start = pages[i]! * PAGE;
    const len = Math.min(size, start + n * PAGE) - start;
    if (len <= 0) return 0;
    if (scratch.length < RUN_PAGES * PAGE) scratch = new Uint8Array(RUN_PAGES * PAGE);
    const bytes = this.mem.bytes;
    for (let k = 0; k < n; k++) {
      const f = this.frames.get(pages[i + k]!);
      if (f === undefined) scratch.fill(0, k * PAGE, (k + 1) * PAGE);
      else scratch.set(bytes.subarray(f, f + PAGE), k * PAGE);
    }
    for (let done = 0; done < len; ) {
      const w = file.pwrite!(scratch.subarray(done, len), len - done, start + done);
      if (w < 0) return w;
      if (w === 0) return -E.EIO;
      done += w;
    }
    return 0;
  }

  #fail(err: number): void {
    if (this.#error === 0) this.#error = err;
  }

  #takeError(): number {
    const e = this.#error;
    this.#error = 0;
    return e;
  }
}

/** Bytes of idle files' pages a PageCache keeps by default. */
const IDLE_BUDGET = 64 << 20;

/**
 * The FilePages of every file some mapping refers to, by FileKey, and of
 * idle files (least recently used first, within a budget of bytes). Share
 * one between processes.
 */
export class PageCache {
  readonly #files = new Map<FileKey, FilePages>();
  /** Idle files, least recently used first. */
  readonly #idle = new Map<FilePages, FileKey>();
  readonly #budget: number;
  readonly #pools = new WeakSet<Frames>();
  readonly #reclaim = (): boolean => this.evictIdle();

  /** `idleBudget`: bytes of idle files' pages kept (0: none, a file's pages go when its last mapping does). */
  constructor(idleBudget = IDLE_BUDGET) {
    this.#budget = idleBudget;
  }

  /** Files with cached pages: 0 means file I/O has nothing to keep coherent. */
  get size(): number {
    return this.#files.size;
  }

  get(key: FileKey): FilePages | undefined {
    return this.#files.get(key);
  }

  /**
   * The cached pages of `file`, made on first use, for a VMA to refer to
   * (a shared mapping) or for a private mapping to read through while it
   * holds a reference. An idle file's pages are used again if the file is
   * unchanged since they were read, else dropped.
   */
  attach(file: MappedFile, pool: Frames, account: MemoryAccount): FilePages {
    const key = keyOf(file);
    let fp = this.#files.get(key);
    if (fp !== undefined && this.#idle.has(fp)) {
      this.#idle.delete(fp);
      if (fp.stamp === undefined || fp.stamp !== file.version?.()) {
        this.#evict(fp, key);
        fp = undefined;
      }
    }
    if (fp === undefined) {
      fp = new FilePages(pool, account, file.name ?? String(key), (idle) => this.#idled(idle, key));
      fp.stamp = file.version?.();
      this.#files.set(key, fp);
      if (!this.#pools.has(pool)) {
        this.#pools.add(pool);
        pool.addReclaimer(this.#reclaim);
      }
    }
    return fp;
  }

  /** Frees every idle file's pages; whether there were any. */
  evictIdle(): boolean {
    const any = this.#idle.size > 0;
    for (const [fp, key] of this.#idle) this.#evict(fp, key);
    return any;
  }

  #idled(fp: FilePages, key: FileKey): void {
    if (fp.stamp === undefined || typeof key !== 'string' || fp.frames.size === 0) {
      this.#evict(fp, key);
      return;
    }
    this.#idle.set(fp, key);
    let bytes = 0;
    for (const f of this.#idle.keys()) bytes += f.frames.size * PAGE;
    for (const [f, k] of this.#idle) {
      if (bytes <= this.#budget) break;
      bytes -= f.frames.size * PAGE;
      this.#evict(f, k);
    }
  }

  #evict(fp: FilePages, key: FileKey): void {
    this.#idle.delete(fp);
    if (this.#files.get(key) === fp) this.#files.delete(key);
    fp.releaseFrames();
  }
}
