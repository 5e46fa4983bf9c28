import { E } from '../errno.js';
import { ENTRY_COST, type MemStore } from './budget.js';
import { S_IFDIR, S_IFMT } from './constants.js';
import { FileDescription } from './file.js';
import { FileBytes } from './filebytes.js';
import type { HostNode } from './hostfs.js';
import { now, type Stat, type Timespec } from './stat.js';

/** An in-memory inode: the upper layer of an overlay, or all of a tmpfs. */
export abstract class MemNode {
  nlink = 1;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  private released = false;

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

  /** Bytes charged with the inode besides INODE_COST (a symlink's target). */
  get extra(): number {
    return 0;
  }

  /** True while a name or an open description refers to the node. */
  protected held(): boolean {
    return this.nlink > 0;
  }

  /**
   * Gives the node's charges back once nothing refers to it (a node made by
   * MemStore.addInode). A stale lookup may still open a released file and
   * write to it: the next release frees those bytes again.
   */
  release(store: MemStore): void {
    if (this.held()) return;
    this.free(store);
    if (this.released) return;
    this.released = true;
    store.dropInode(this.extra);
  }

  /** Frees the contents; may run more than once. */
  protected free(_store: MemStore): void {}

  /** Marks a content change (mtime and ctime). */
  modified(): void {
    this.mtime = this.ctime = now();
  }

  protected abstract size(): number;

  /** Bytes of host memory the contents occupy (st_blocks). */
  protected allocated(): number {
    return this.size();
  }

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
      blocks: Math.ceil(this.allocated() / 4096) * 8,
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
  private readonly bytes = new FileBytes();
  /** Open descriptions: the bytes are kept while any exist, even after the last unlink. */
  opens = 0;

  protected size(): number {
    return this.bytes.length;
  }

  protected override allocated(): number {
    return this.bytes.allocated;
  }

  get length(): number {
    return this.bytes.length;
  }

  read(buf: Uint8Array, len: number, pos: number): number {
    return this.bytes.read(buf, len, pos);
  }

  /** A short count when the store fills part way, ENOSPC when nothing fit (as tmpfs). */
  write(store: MemStore, buf: Uint8Array, len: number, pos: number): number {
    if (len === 0) return 0;
    const n = this.bytes.write(store, buf, len, pos);
    if (n < 0) return -E.ENOSPC;
    this.modified();
    return n;
  }

  /** Sets the length; new bytes read as zeros and take no memory until written. */
  resize(store: MemStore, len: number): number {
    this.bytes.resize(store, len);
    this.modified();
    return 0;
  }

  protected override held(): boolean {
    return this.nlink > 0 || this.opens > 0;
  }

  protected override free(store: MemStore): void {
    this.bytes.clear(store);
  }
}

export class MemDir extends MemNode {
  readonly entries = new Map<string, MemNode>();
  /** Names deleted from the lower directory: lookups stop here. */
  readonly whiteouts = new Set<string>();
  /**
   * The directory this one was last entered in (null for a filesystem's
   * root): a directory has one name, so following these reaches the root.
   * Rename's loop check walks them (OverlayNode.encloses).
   */
  parent: MemDir | null = null;

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

  /** Adds or replaces entry `name`; a new name is charged. False (nothing changed) when the store is full. */
  put(store: MemStore, name: string, node: MemNode): boolean {
    if (!this.entries.has(name) && !store.charge(ENTRY_COST + name.length)) return false;
    this.entries.set(name, node);
    if (node instanceof MemDir) node.parent = this;
    return true;
  }

  /** Removes entry `name`, giving back its charge; the node it named, if any. */
  take(store: MemStore, name: string): MemNode | undefined {
    const e = this.entries.get(name);
    if (e) {
      this.entries.delete(name);
      store.uncharge(ENTRY_COST + name.length);
    }
    return e;
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

  override get extra(): number {
    return this.target.length;
  }
}

/** A special inode with no contents (a socket's bind makes one: S_IFSOCK). */
export class MemSpecial extends MemNode {
  protected size(): number {
    return 0;
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
