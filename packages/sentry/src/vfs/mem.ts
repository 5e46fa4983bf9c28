import { E } from '../errno.js';
import { S_IFDIR, S_IFMT } from './constants.js';
import { FileDescription } from './file.js';
import type { HostNode } from './hostfs.js';
import { now, type Stat, type Timespec } from './stat.js';

/**
 * Byte budget shared by the in-memory files of one filesystem. The guest can
 * ask for any size (ftruncate to 2^50, a write at a huge offset); memory is
 * only committed within the limit, beyond it the answer is ENOSPC.
 */
export class MemStore {
  used = 0;
  constructor(readonly limit: number) {}

  reserve(delta: number): boolean {
    if (this.used + delta > this.limit) return false;
    this.used += delta;
    return true;
  }
}

/** An in-memory inode: the upper layer of an overlay, or all of a tmpfs. */
export abstract class MemNode {
  nlink = 1;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;

  constructor(
    readonly ino: number,
    public mode: number,
    public uid: number,
    public gid: number,
  ) {
    this.atime = this.mtime = this.ctime = now();
  }

  get kind(): number {
    return this.mode & S_IFMT;
  }

  /** Marks a content change (mtime and ctime). */
  modified(): void {
    this.mtime = this.ctime = now();
  }

  protected abstract size(): number;

  protected links(): number {
    return this.nlink;
  }

  stat(dev: number): Stat {
    const size = this.size();
    return {
      dev,
      ino: this.ino,
      mode: this.mode,
      nlink: this.links(),
      uid: this.uid,
      gid: this.gid,
      rdev: 0,
      size,
      blksize: 4096,
      blocks: Math.ceil(size / 4096) * 8,
      atimeSec: this.atime.sec,
      atimeNsec: this.atime.nsec,
      mtimeSec: this.mtime.sec,
      mtimeNsec: this.mtime.nsec,
      ctimeSec: this.ctime.sec,
      ctimeNsec: this.ctime.nsec,
    };
  }
}

export class MemFile extends MemNode {
  private data: Uint8Array = new Uint8Array(0);
  private len = 0;
  /** Open descriptions: the bytes are kept while any exist, even after the last unlink. */
  opens = 0;

  protected size(): number {
    return this.len;
  }

  get length(): number {
    return this.len;
  }

  /** Replaces the content (copy-up); the bytes must already be reserved in `store`. */
  adopt(data: Uint8Array): void {
    this.data = data;
    this.len = data.length;
  }

  read(buf: Uint8Array, len: number, pos: number): number {
    if (pos >= this.len) return 0;
    const n = Math.min(len, this.len - pos);
    buf.set(this.data.subarray(pos, pos + n));
    return n;
  }

  write(store: MemStore, buf: Uint8Array, len: number, pos: number): number {
    if (len === 0) return 0;
    const end = pos + len;
    if (end > this.len) {
      const r = this.resize(store, end);
      if (r < 0) return r;
    }
    this.data.set(buf.subarray(0, len), pos);
    this.modified();
    return len;
  }

  /** Sets the length; new bytes read as zeros. */
  resize(store: MemStore, len: number): number {
    if (len > this.data.length) {
      const grown = Math.max(len, Math.min(this.data.length * 2, len + (64 << 20)));
      const cap = store.reserve(grown - this.data.length) ? grown : store.reserve(len - this.data.length) ? len : -1;
      if (cap < 0) return -E.ENOSPC;
      const next = new Uint8Array(cap);
      next.set(this.data.subarray(0, this.len));
      this.data = next;
    } else if (len < this.len) {
      this.data.fill(0, len, this.len);
    }
    this.len = len;
    this.modified();
    return 0;
  }

  /** Frees the bytes once no name and no open description refers to them. */
  release(store: MemStore): void {
    if (this.nlink > 0 || this.opens > 0) return;
    store.used -= this.data.length;
    this.data = new Uint8Array(0);
    this.len = 0;
  }
}

export class MemDir extends MemNode {
  readonly entries = new Map<string, MemNode>();
  /** Names deleted from the lower directory: lookups stop here. */
  readonly whiteouts = new Set<string>();

  constructor(
    ino: number,
    mode: number,
    uid: number,
    gid: number,
    /** The lower directory merged beneath, or null: opaque (created in memory). */
    public lower: HostNode | null,
  ) {
    super(ino, mode, uid, gid);
  }

  protected size(): number {
    return 4096;
  }

  /** Like overlayfs, a merged directory reports nlink 1 ("unknown"): its subdirectories are not counted. */
  protected override links(): number {
    if (this.lower) return 1;
    let n = 2;
    for (const e of this.entries.values()) if (e.kind === S_IFDIR) n++;
    return n;
  }
}

export class MemSymlink extends MemNode {
  constructor(
    ino: number,
    mode: number,
    uid: number,
    gid: number,
    readonly target: string,
  ) {
    super(ino, mode, uid, gid);
  }

  protected size(): number {
    return this.target.length;
  }
}

/** An open in-memory file. */
export class MemFileDescription extends FileDescription {
  private closed = false;

  constructor(
    flags: number,
    private readonly file: MemFile,
    private readonly store: MemStore,
    private readonly dev: () => number,
  ) {
    super(flags);
    file.opens++;
  }

  stat(): Stat | number {
    return this.closed ? -E.EBADF : this.file.stat(this.dev());
  }

  protected override readAt(buf: Uint8Array, len: number, pos: number): number {
    return this.closed ? -E.EBADF : this.file.read(buf, len, pos);
  }

  protected override writeAt(buf: Uint8Array, len: number, pos: number): number {
    return this.closed ? -E.EBADF : this.file.write(this.store, buf, len, pos);
  }

  protected override size(): number {
    return this.file.length;
  }

  protected override resize(len: number): number {
    return this.closed ? -E.EBADF : this.file.resize(this.store, len);
  }

  override close(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.opens--;
    this.file.release(this.store);
  }
}
