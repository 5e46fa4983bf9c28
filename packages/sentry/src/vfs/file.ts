import { E } from '../errno.js';
import {
  O_ACCMODE,
  O_APPEND,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  S_IFDIR,
  SEEK_CUR,
  SEEK_DATA,
  SEEK_END,
  SEEK_HOLE,
  SEEK_SET,
} from './constants.js';
import { encodeDirent64 } from './dirent.js';
import type { Location } from './location.js';
import { type FsEvents, IN_MODIFY } from './notify.js';
import type { DirEntry, VNode } from './node.js';
import type { Stat } from './stat.js';
import type { Account } from './budget.js';
import type { WriteAccess } from './write-access.js';

/** Largest file offset the VFS handles exactly (JS numbers). */
const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/**
 * An open file description (Linux `struct file`): the offset, the open flags
 * and the object it reads and writes. Subclasses supply positional access;
 * this class owns the offset, access-mode checks, O_APPEND and lseek.
 * Buffers are host memory: the syscall layer copies to and from the guest.
 */
export abstract class FileDescription {
  pos = 0;
  /** Where it was opened (set by the VFS): for fchdir, *at() and /proc/self/fd. */
  location: Location | null = null;
  /** Where its writes, truncation and close are reported (set by the VFS's open). */
  events: FsEvents | null = null;
  /**
   * Set by the VFS on a regular file opened for writing: its entry in the
   * sandbox's WriteAccess, counted from the first descriptor (or mapping)
   * that holds this description until the final close (kernel/fdtable.ts).
   */
  writer: { readonly access: WriteAccess; readonly key: string } | null = null;

  /** `flags` is mutable for fcntl(F_SETFL). */
  constructor(public flags: number) {}

  abstract stat(): Stat | number;

  get readable(): boolean {
    const acc = this.flags & O_ACCMODE;
    return (this.flags & O_PATH) === 0 && (acc === O_RDONLY || acc === O_RDWR);
  }

  get writable(): boolean {
    const acc = this.flags & O_ACCMODE;
    return (this.flags & O_PATH) === 0 && (acc === O_WRONLY || acc === O_RDWR);
  }

  /** False for streams (pipes, ttys): pread/pwrite give ESPIPE. */
  protected get seekable(): boolean {
    return true;
  }

  protected readAt(_buf: Uint8Array, _len: number, _pos: number): number {
    return -E.EINVAL;
  }

  protected writeAt(_buf: Uint8Array, _len: number, _pos: number): number {
    return -E.EINVAL;
  }

  /** Current size, for SEEK_END and O_APPEND. */
  protected size(): number {
    return 0;
  }

  protected resize(_len: number): number {
    return -E.EINVAL;
  }

  read(buf: Uint8Array, len = buf.length): number {
    if (!this.readable) return -E.EBADF;
    const n = this.readAt(buf, clampLen(buf, len), this.pos);
    if (n > 0) this.pos += n;
    return n;
  }

  pread(buf: Uint8Array, len: number, offset: number): number {
    if (!this.readable) return -E.EBADF;
    if (!this.seekable) return -E.ESPIPE;
    if (!validOffset(offset)) return -E.EINVAL;
    return this.readAt(buf, clampLen(buf, len), offset);
  }

  write(buf: Uint8Array, len = buf.length): number {
    if (!this.writable) return -E.EBADF;
    if (this.flags & O_APPEND) this.pos = this.size();
    const n = this.writeAt(buf, clampLen(buf, len), this.pos);
    if (n > 0) this.pos += n;
    if (n > 0) this.events?.file(this, IN_MODIFY);
    return n;
  }

  /** Like Linux, pwrite on an O_APPEND description appends regardless of `offset`. */
  pwrite(buf: Uint8Array, len: number, offset: number): number {
    if (!this.writable) return -E.EBADF;
    if (!this.seekable) return -E.ESPIPE;
    if (!validOffset(offset)) return -E.EINVAL;
    const n = this.writeAt(buf, clampLen(buf, len), this.flags & O_APPEND ? this.size() : offset);
    if (n > 0) this.events?.file(this, IN_MODIFY);
    return n;
  }

  lseek(offset: number, whence: number): number {
    if (this.flags & O_PATH) return -E.EBADF;
    if (!this.seekable) return -E.ESPIPE;
    if (!Number.isSafeInteger(offset)) return -E.EINVAL;
    let p: number;
    switch (whence) {
      case SEEK_SET:
        p = offset;
        break;
      case SEEK_CUR:
        p = this.pos + offset;
        break;
      case SEEK_END:
        p = this.size() + offset;
        break;
      case SEEK_DATA:
      case SEEK_HOLE: {
        // No holes are tracked: all data up to the size, one hole at the end.
        const size = this.size();
        if (offset < 0 || offset >= size) return -E.ENXIO;
        p = whence === SEEK_DATA ? offset : size;
        break;
      }
      default:
        return -E.EINVAL;
    }
    if (!validOffset(p)) return -E.EINVAL;
    this.pos = p;
    return p;
  }

  /** ftruncate: EINVAL unless open for writing (as Linux). */
  truncate(len: number): number {
    if (this.flags & O_PATH) return -E.EBADF;
    if (!this.writable || !validOffset(len)) return -E.EINVAL;
    const r = this.resize(len);
    if (r === 0) this.events?.file(this, IN_MODIFY);
    return r;
  }

  /**
   * open(2) of /proc/<pid>/fd/N when this description has no location (a
   * pipe, a standard stream): a new description of the same object with
   * `flags` (its own offset and status flags), or a negative errno. Objects
   * that cannot be reopened answer ENXIO, as Linux does for sockets.
   */
  reopen(_flags: number): FileDescription | number {
    return -E.ENXIO;
  }

  getdents64(_buf: Uint8Array): number {
    return this.flags & O_PATH ? -E.EBADF : -E.ENOTDIR;
  }

  fsync(): number {
    return this.flags & O_PATH ? -E.EBADF : 0;
  }

  close(): void {}
}

function clampLen(buf: Uint8Array, len: number): number {
  return Number.isInteger(len) && len > 0 ? Math.min(len, buf.length) : 0;
}

function validOffset(p: number): boolean {
  return Number.isSafeInteger(p) && p >= 0 && p <= MAX_OFFSET;
}

/** A description that only names a node: O_PATH opens. */
export class PathDescription extends FileDescription {
  constructor(
    flags: number,
    private readonly node: VNode,
  ) {
    super(flags);
  }

  stat(): Stat | number {
    return this.node.stat();
  }
}

/** Inode numbers of "." and "..", listed first by getdents64. */
export interface Dots {
  self: number;
  parent: number;
}

/**
 * An open directory. The listing is a snapshot taken by the first getdents64
 * and again after a rewind (lseek to 0); the offset is an index into it, so a
 * read resumes exactly where the previous one stopped.
 */
/** Host memory one listed entry of a directory snapshot costs beyond its name (object and array slot). */
export const DIRENT_COST = 96;

export class DirDescription extends FileDescription {
  private entries: DirEntry[] | null = null;
  /** What the snapshot in `entries` is charged to `account`. */
  private charged = 0;

  /**
   * `account`, when given, is charged for the listing this description
   * holds between getdents64 calls (each open directory keeps its own, as
   * Linux's readdir position needs a stable list); without room the call
   * fails with ENOMEM instead of growing the host's memory.
   */
  constructor(
    flags: number,
    private readonly node: VNode,
    private readonly list: () => DirEntry[] | number,
    private readonly dots: Dots,
    private readonly account?: Pick<Account, 'charge' | 'uncharge'>,
  ) {
    super(flags);
  }

  override close(): void {
    this.drop();
  }

  private drop(): void {
    this.entries = null;
    this.account?.uncharge(this.charged);
    this.charged = 0;
  }

  stat(): Stat | number {
    return this.node.stat();
  }

  protected override readAt(): number {
    return -E.EISDIR;
  }

  override lseek(offset: number, whence: number): number {
    if (this.flags & O_PATH) return -E.EBADF;
    const p = whence === SEEK_SET ? offset : whence === SEEK_CUR ? this.pos + offset : -1;
    if (!Number.isSafeInteger(p) || p < 0) return -E.EINVAL;
    if (p === 0) this.drop();
    this.pos = p;
    return p;
  }

  override getdents64(buf: Uint8Array): number {
    if (this.flags & O_PATH) return -E.EBADF;
    if (this.entries === null) {
      const listed = this.list();
      if (typeof listed === 'number') return listed;
      let cost = 0;
      for (const e of listed) cost += DIRENT_COST + e.name.length;
      if (this.account !== undefined && !this.account.charge(cost)) return -E.ENOMEM;
      this.charged = cost;
      this.entries = [{ name: '.', ino: this.dots.self, kind: S_IFDIR }, { name: '..', ino: this.dots.parent, kind: S_IFDIR }, ...listed];
    }
    let written = 0;
    while (this.pos < this.entries.length) {
      const e = this.entries[this.pos]!;
      const n = encodeDirent64(buf, written, e, this.pos + 1);
      if (n === 0) return written === 0 ? -E.EINVAL : written;
      written += n;
      this.pos++;
    }
    return written;
  }
}
