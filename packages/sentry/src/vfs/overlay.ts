import { E } from '../errno.js';
import { MemoryAccount } from '../mm/account.js';
import { O_ACCMODE, O_RDONLY, O_TRUNC, RENAME_EXCHANGE, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID } from './constants.js';
import { MemStore } from './budget.js';
import type { FileDescription } from './file.js';
import { CHUNK } from './filebytes.js';
import { HostFs, type HostNode } from './hostfs.js';
import { InoTable } from './ino.js';
import { MemDir, MemFile, MemFileDescription, type MemNode, MemSpecial, MemSymlink } from './mem.js';
import type { Cred, DirEntry, Filesystem, SetAttr, VNode } from './node.js';
import { now, OVERLAYFS_SUPER_MAGIC, ST_VALID, type Stat, type StatFs, TMPFS_MAGIC } from './stat.js';

/** Largest size statfs reports for a store without a limit. */
const STATFS_UNLIMITED = 2 ** 50;

export interface OverlayOptions {
  /** The sandbox's budget, shared with its other in-memory mounts; default a store of its own with `limit`. */
  store?: MemStore;
  /** Bytes the in-memory layer may hold when no `store` is given (default 1 GiB); beyond it writes fail with ENOSPC. */
  limit?: number;
  /** Mode of the root when there is no lower layer (default 01777, like /tmp). */
  rootMode?: number;
}

/**
 * A writable in-memory layer over a read-only host directory (or over nothing:
 * then it is a tmpfs). Changes live in memory and vanish with the object; the
 * lower tree is never written. A lower file is copied up whole on its first
 * change, keeping its inode number; deleting a lower name leaves a whiteout;
 * a directory made in memory is opaque. As in overlayfs without redirect_dir,
 * renaming a directory that has a lower part is EXDEV (mv falls back to copy).
 */
export class OverlayFs implements Filesystem {
  private device = 0;
  readonly inos = new InoTable();
  readonly store: MemStore;
  readonly lower: HostFs | null;
  private readonly top: OverlayNode;

  constructor(lowerRoot: string | null, opts: OverlayOptions = {}) {
    this.store = opts.store ?? new MemStore(new MemoryAccount(opts.limit ?? 2 ** 30));
    this.lower = lowerRoot === null ? null : new HostFs(lowerRoot, true, this.inos);
    const l = this.lower?.root() ?? null;
    const s = l?.stat();
    const dir =
      s && typeof s !== 'number'
        ? new MemDir(s.ino, s.mode, s.uid, s.gid, l)
        : new MemDir(this.inos.fresh(), S_IFDIR | (opts.rootMode ?? 0o1777), 0, 0, null);
    this.top = new OverlayNode(this, null, '', dir, null);
  }

  get dev(): number {
    return this.device;
  }

  set dev(d: number) {
    this.device = d;
    if (this.lower) this.lower.dev = d;
  }

  root(): OverlayNode {
    return this.top;
  }
}

/** Group of a new entry: the directory's if it is set-group-ID, else the creator's. */
function newGid(dir: MemDir, cred: Cred): number {
  return dir.mode & S_ISGID ? dir.gid : cred.gid;
}

/**
 * A name in the overlay: its upper (memory) node, its lower (host) node, or
 * both for a merged directory (the MemDir's `lower`). Nodes are made per
 * lookup; `parent` and `name` say where a copy-up must put the upper copy.
 */
export class OverlayNode implements VNode {
  readonly kind: number;

  constructor(
    readonly fs: OverlayFs,
    private readonly parent: OverlayNode | null,
    private readonly name: string,
    private up: MemNode | null,
    private readonly low: HostNode | null,
  ) {
    this.kind = up ? up.kind : low!.kind;
  }

  /** The upper node, including one made by a copy-up through another lookup of this name. */
  private upper(): MemNode | null {
    if (this.up || !this.parent) return this.up;
    const dir = this.parent.upper();
    const e = dir instanceof MemDir ? dir.entries.get(this.name) : undefined;
    if (e && e.kind === this.kind) this.up = e;
    return this.up;
  }

  /** The host directory whose entries show through this one, if any. */
  private lowerDir(): HostNode | null {
    const u = this.upper();
    return u ? (u instanceof MemDir ? u.lower : null) : this.low;
  }

  /** True if some of this node lives on the host (so it cannot be renamed). */
  private hasLower(): boolean {
    const u = this.upper();
    return u ? u instanceof MemDir && u.lower !== null : true;
  }

  private lowerHas(dir: MemDir, name: string): boolean {
    return dir.lower !== null && typeof dir.lower.lookup(name) !== 'number';
  }

  private dev(): number {
    return this.fs.dev;
  }

  stat(): Stat | number {
    const u = this.upper();
    return u ? u.stat(this.fs.dev) : this.low!.stat();
  }

  lookup(name: string): OverlayNode | number {
    const u = this.upper();
    if (u instanceof MemDir) {
      const e = u.entries.get(name);
      if (e) return new OverlayNode(this.fs, this, name, e, null);
      if (u.whiteouts.has(name)) return -E.ENOENT;
    }
    const ld = this.lowerDir();
    if (!ld) return -E.ENOENT;
    const l = ld.lookup(name);
    return typeof l === 'number' ? l : new OverlayNode(this.fs, this, name, null, l);
  }

  readlink(): string | number {
    const u = this.upper();
    if (u) return u instanceof MemSymlink ? u.target : -E.EINVAL;
    return this.low!.readlink();
  }

  readdir(): DirEntry[] | number {
    const u = this.upper();
    const out: DirEntry[] = [];
    if (u instanceof MemDir) for (const [name, n] of u.entries) out.push({ name, ino: n.ino, kind: n.kind });
    const ld = this.lowerDir();
    if (ld) {
      const below = ld.readdir();
      if (typeof below === 'number') return below;
      for (const e of below) {
        if (u instanceof MemDir && (u.entries.has(e.name) || u.whiteouts.has(e.name))) continue;
        out.push(e);
      }
    }
    return out;
  }

  open(flags: number): FileDescription | number {
    const changes = (flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0;
    const u = changes ? this.copyUp() : this.upper();
    if (typeof u === 'number') return u;
    if (u === null) return this.low!.open(flags);
    if (!(u instanceof MemFile)) return -E.EACCES;
    if (flags & O_TRUNC && u.length > 0) u.resize(this.fs.store, 0);
    return new MemFileDescription(flags, u, this.fs.store, () => this.fs.dev);
  }

  /** Gives this name an upper node, copying the lower one (and its parents) up first. */
  copyUp(): MemNode | number {
    const have = this.upper();
    if (have) return have;
    const dir = this.parent!.copyUp();
    if (typeof dir === 'number') return dir;
    const l = this.low!;
    const s = l.stat();
    if (typeof s === 'number') return s;
    const n = this.copyOf(l, s);
    if (typeof n === 'number') return n;
    n.atime = { sec: s.atimeSec, nsec: s.atimeNsec };
    n.mtime = { sec: s.mtimeSec, nsec: s.mtimeNsec };
    n.ctime = { sec: s.ctimeSec, nsec: s.ctimeNsec };
    if (!(dir as MemDir).put(this.fs.store, this.name, n)) return this.discard(n);
    this.up = n;
    return n;
  }

  /** An in-memory copy of lower node `l`, its inode and contents charged. */
  private copyOf(l: HostNode, s: Stat): MemNode | number {
    const store = this.fs.store;
    const target = l.kind === S_IFLNK ? l.readlink() : '';
    if (typeof target === 'number') return target;
    // Host devices, FIFOs and sockets are not copied into memory.
    if (l.kind !== S_IFREG && l.kind !== S_IFDIR && l.kind !== S_IFLNK) return -E.EPERM;
    if (!store.addInode(target.length)) return -E.ENOSPC;
    if (l.kind === S_IFDIR) return new MemDir(s.ino, s.mode, s.uid, s.gid, l);
    if (l.kind === S_IFLNK) return new MemSymlink(s.ino, s.mode, s.uid, s.gid, target);
    const f = new MemFile(s.ino, s.mode, s.uid, s.gid);
    const r = this.copyData(l, f, s.size);
    return r < 0 ? this.discard(f, r) : f;
  }

  /** Reads the lower file into `f` a chunk at a time (never a second whole copy). */
  private copyData(l: HostNode, f: MemFile, size: number): number {
    const store = this.fs.store;
    if (!store.fits(size)) return -E.ENOSPC;
    const d = l.open(O_RDONLY);
    if (typeof d === 'number') return d;
    const chunk = new Uint8Array(Math.min(size, CHUNK));
    let got = 0;
    let r = 0;
    while (got < size && r === 0) {
      const n = d.pread(chunk, Math.min(CHUNK, size - got), got);
      if (n <= 0)
        r = n < 0 ? n : -E.EIO; // the host file shrank under us
      else if (f.write(store, chunk, n, got) !== n) r = -E.ENOSPC;
      else got += n;
    }
    d.close();
    return r;
  }

  /** Frees a node that was charged but never named; `err` (default ENOSPC) for the caller to return. */
  private discard(n: MemNode, err = -E.ENOSPC): number {
    n.nlink = 0;
    n.release(this.fs.store);
    return err;
  }

  /** This directory's upper MemDir (copied up if needed). */
  private dir(): MemDir | number {
    const d = this.copyUp();
    return typeof d === 'number' ? d : d instanceof MemDir ? d : -E.ENOTDIR;
  }

  /** Makes a node named `name` here, charging its inode (with `extra` bytes) and its name. */
  private add(name: string, extra: number, make: (d: MemDir) => MemNode): OverlayNode | number {
    const d = this.dir();
    if (typeof d === 'number') return d;
    if (!this.fs.store.addInode(extra)) return -E.ENOSPC;
    const n = make(d);
    return this.enter(d, name, n) ? new OverlayNode(this.fs, this, name, n, null) : this.discard(n);
  }

  /** Names `n` in `d`; false (nothing changed) when the name cannot be charged. */
  private enter(d: MemDir, name: string, n: MemNode): boolean {
    if (!d.put(this.fs.store, name, n)) return false;
    d.whiteouts.delete(name);
    d.modified();
    return true;
  }

  create(name: string, mode: number, flags: number, cred: Cred): FileDescription | number {
    const n = this.add(name, 0, (d) => new MemFile(this.fs.inos.fresh(), S_IFREG | (mode & 0o7777), cred.uid, newGid(d, cred)));
    return typeof n === 'number' ? n : n.open(flags & ~O_TRUNC);
  }

  mkdir(name: string, mode: number, cred: Cred): number {
    const r = this.add(name, 0, (d) => {
      const sgid = d.mode & S_ISGID;
      return new MemDir(this.fs.inos.fresh(), S_IFDIR | (mode & 0o7777) | sgid, cred.uid, newGid(d, cred), null);
    });
    return typeof r === 'number' ? r : 0;
  }

  symlink(name: string, target: string, cred: Cred): number {
    const r = this.add(
      name,
      target.length,
      (d) => new MemSymlink(this.fs.inos.fresh(), S_IFLNK | 0o777, cred.uid, newGid(d, cred), target),
    );
    return typeof r === 'number' ? r : 0;
  }

  mknod(name: string, mode: number, cred: Cred): number {
    const r = this.add(name, 0, (d) => new MemSpecial(this.fs.inos.fresh(), mode, cred.uid, newGid(d, cred)));
    return typeof r === 'number' ? r : 0;
  }

  link(name: string, target: VNode): number {
    if (!(target instanceof OverlayNode) || target.fs !== this.fs) return -E.EXDEV;
    const t = target.copyUp();
    if (typeof t === 'number') return t;
    if (t instanceof MemDir) return -E.EPERM;
    // As Linux: a file whose last name is gone (open, or a stale lookup) cannot get a new one.
    if (t.nlink === 0) return -E.ENOENT;
    const d = this.dir();
    if (typeof d === 'number') return d;
    if (!this.enter(d, name, t)) return -E.ENOSPC;
    t.nlink++;
    t.ctime = now();
    return 0;
  }

  /** Drops `name` from the upper dir, leaving a whiteout if the lower dir has it. */
  private drop(d: MemDir, name: string): void {
    const e = d.take(this.fs.store, name);
    if (e) {
      e.nlink--;
      e.release(this.fs.store);
    }
    if (this.lowerHas(d, name)) d.whiteouts.add(name);
    d.modified();
  }

  unlink(name: string): number {
    const d = this.dir();
    if (typeof d === 'number') return d;
    this.drop(d, name);
    return 0;
  }

  rmdir(name: string): number {
    const child = this.lookup(name);
    if (typeof child === 'number') return child;
    const list = child.readdir();
    if (typeof list === 'number') return list;
    if (list.length > 0) return -E.ENOTEMPTY;
    return this.unlink(name);
  }

  /**
   * Is directory `other` this directory or beneath it? Walked up from
   * `other` on the nodes: through the memory layer by each MemDir's parent,
   * or, for a directory only the host has, through the lower nodes (a
   * memory-only directory has nothing but memory beneath it). A directory is
   * matched by its memory node or by its lower inode, so a merged directory
   * is found from either side.
   */
  encloses(other: VNode): boolean {
    if (!(other instanceof OverlayNode) || other.fs !== this.fs) return false;
    const up = this.upper();
    const low = this.lowerDir();
    const isThis = (h: HostNode | null): boolean => low !== null && h !== null && h.key === low.key;
    const start = other.upper();
    if (start instanceof MemDir) {
      for (let d: MemDir | null = start; d; d = d.parent) if (d === up || isThis(d.lower)) return true;
      return false;
    }
    for (let h: HostNode | null = other.lowerDir(); h; h = h.parent) if (isThis(h)) return true;
    return false;
  }

  rename(name: string, newDir: VNode, newName: string, flags: number): number {
    if (!(newDir instanceof OverlayNode) || newDir.fs !== this.fs) return -E.EXDEV;
    const src = this.lookup(name);
    if (typeof src === 'number') return src;
    if (src.kind === S_IFDIR && src.hasLower()) return -E.EXDEV;
    const dst = newDir.lookup(newName);
    const exchange = (flags & RENAME_EXCHANGE) !== 0;
    if (typeof dst !== 'number') {
      if (exchange && dst.kind === S_IFDIR && dst.hasLower()) return -E.EXDEV;
      if (!exchange && dst.kind === S_IFDIR) {
        const list = dst.readdir();
        if (typeof list === 'number') return list;
        if (list.length > 0) return -E.ENOTEMPTY;
      }
    } else if (exchange) {
      return dst;
    }
    const s = src.copyUp();
    if (typeof s === 'number') return s;
    const other = exchange && typeof dst !== 'number' ? dst.copyUp() : null;
    if (typeof other === 'number') return other;
    const sd = this.dir();
    const dd = newDir.dir();
    if (typeof sd === 'number') return sd;
    if (typeof dd === 'number') return dd;
    const store = this.fs.store;
    if (other) {
      // Both names exist: swapping them charges nothing.
      sd.put(store, name, other);
      dd.put(store, newName, s);
    } else {
      const old = dd.entries.get(newName);
      // Two names of one inode: nothing to do (and taking `name` after the put would lose it).
      if (old === s) return 0;
      if (!dd.put(store, newName, s)) return -E.ENOSPC;
      sd.take(store, name);
      if (this.lowerHas(sd, name)) sd.whiteouts.add(name);
      if (old) {
        old.nlink--;
        old.release(store);
      }
    }
    dd.whiteouts.delete(newName);
    sd.modified();
    dd.modified();
    return 0;
  }

  setattr(attr: SetAttr): number {
    const u = this.copyUp();
    if (typeof u === 'number') return u;
    if (attr.size !== undefined) {
      if (!(u instanceof MemFile)) return -E.EINVAL;
      const r = u.resize(this.fs.store, attr.size);
      if (r < 0) return r;
    }
    if (attr.mode !== undefined) u.mode = (u.mode & S_IFMT) | (attr.mode & 0o7777);
    if (attr.atime) u.atime = attr.atime;
    if (attr.mtime) u.mtime = attr.mtime;
    u.ctime = now();
    return 0;
  }

  statfs(): StatFs | number {
    // Every in-memory mount of the sandbox shares one budget (with guest memory): each reports all of it.
    const store = this.fs.store;
    const limit = Math.min(store.account.limit, STATFS_UNLIMITED);
    const free = Math.max(0, Math.floor((limit - store.account.used) / 4096));
    return {
      type: this.fs.lower ? OVERLAYFS_SUPER_MAGIC : TMPFS_MAGIC,
      bsize: 4096,
      blocks: Math.floor(limit / 4096),
      bfree: free,
      bavail: free,
      files: store.maxInodes,
      ffree: Math.max(0, store.maxInodes - store.inodes),
      fsid: [this.dev(), 0],
      namelen: 255,
      frsize: 4096,
      flags: ST_VALID,
    };
  }
}
