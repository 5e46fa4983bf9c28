import { E } from '../errno.js';
import {
  O_ACCMODE,
  O_RDONLY,
  O_TRUNC,
  RENAME_EXCHANGE,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_ISGID,
} from './constants.js';
import type { FileDescription } from './file.js';
import { HostFs, type HostNode } from './hostfs.js';
import { InoTable } from './ino.js';
import { MemDir, MemFile, MemFileDescription, type MemNode, MemStore, MemSymlink } from './mem.js';
import type { Cred, DirEntry, Filesystem, SetAttr, VNode } from './node.js';
import { now, OVERLAYFS_SUPER_MAGIC, ST_VALID, type Stat, type StatFs, TMPFS_MAGIC } from './stat.js';

export interface OverlayOptions {
  /** Bytes the in-memory layer may hold (default 1 GiB); beyond it writes fail with ENOSPC. */
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
    this.store = new MemStore(opts.limit ?? 2 ** 30);
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
    let n: MemNode;
    if (l.kind === S_IFREG) {
      const data = this.readLower(l, s.size);
      if (typeof data === 'number') return data;
      const f = new MemFile(s.ino, s.mode, s.uid, s.gid);
      f.adopt(data);
      n = f;
    } else if (l.kind === S_IFDIR) {
      n = new MemDir(s.ino, s.mode, s.uid, s.gid, l);
    } else if (l.kind === S_IFLNK) {
      const t = l.readlink();
      if (typeof t === 'number') return t;
      n = new MemSymlink(s.ino, s.mode, s.uid, s.gid, t);
    } else {
      return -E.EPERM; // host devices, FIFOs and sockets are not copied into memory
    }
    n.atime = { sec: s.atimeSec, nsec: s.atimeNsec };
    n.mtime = { sec: s.mtimeSec, nsec: s.mtimeNsec };
    n.ctime = { sec: s.ctimeSec, nsec: s.ctimeNsec };
    (dir as MemDir).entries.set(this.name, n);
    this.up = n;
    return n;
  }

  private readLower(l: HostNode, size: number): Uint8Array | number {
    if (!this.fs.store.reserve(size)) return -E.ENOSPC;
    const d = l.open(O_RDONLY);
    let got = 0;
    const data = new Uint8Array(size);
    if (typeof d !== 'number') {
      for (let n = 1; got < size && n > 0; got += Math.max(n, 0)) n = d.pread(data.subarray(got), size - got, got);
      d.close();
    }
    if (typeof d === 'number' || got < size) {
      this.fs.store.used -= size;
      return typeof d === 'number' ? d : -E.EIO;
    }
    return data;
  }

  /** This directory's upper MemDir (copied up if needed). */
  private dir(): MemDir | number {
    const d = this.copyUp();
    return typeof d === 'number' ? d : d instanceof MemDir ? d : -E.ENOTDIR;
  }

  private add(name: string, make: (d: MemDir) => MemNode): OverlayNode | number {
    const d = this.dir();
    if (typeof d === 'number') return d;
    const n = make(d);
    d.entries.set(name, n);
    d.whiteouts.delete(name);
    d.modified();
    return new OverlayNode(this.fs, this, name, n, null);
  }

  create(name: string, mode: number, flags: number, cred: Cred): FileDescription | number {
    const n = this.add(name, (d) => new MemFile(this.fs.inos.fresh(), S_IFREG | (mode & 0o7777), cred.uid, newGid(d, cred)));
    return typeof n === 'number' ? n : n.open(flags & ~O_TRUNC);
  }

  mkdir(name: string, mode: number, cred: Cred): number {
    const r = this.add(name, (d) => {
      const sgid = d.mode & S_ISGID;
      return new MemDir(this.fs.inos.fresh(), S_IFDIR | (mode & 0o7777) | sgid, cred.uid, newGid(d, cred), null);
    });
    return typeof r === 'number' ? r : 0;
  }

  symlink(name: string, target: string, cred: Cred): number {
    const r = this.add(name, (d) => new MemSymlink(this.fs.inos.fresh(), S_IFLNK | 0o777, cred.uid, newGid(d, cred), target));
    return typeof r === 'number' ? r : 0;
  }

  link(name: string, target: VNode): number {
    if (!(target instanceof OverlayNode) || target.fs !== this.fs) return -E.EXDEV;
    const t = target.copyUp();
    if (typeof t === 'number') return t;
    if (t instanceof MemDir) return -E.EPERM;
    const r = this.add(name, () => t);
    if (typeof r === 'number') return r;
    t.nlink++;
    t.ctime = now();
    return 0;
  }

  /** Drops `name` from the upper dir, leaving a whiteout if the lower dir has it. */
  private drop(d: MemDir, name: string): void {
    const e = d.entries.get(name);
    if (e) {
      d.entries.delete(name);
      e.nlink--;
      if (e instanceof MemFile) e.release(this.fs.store);
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
    if (other) {
      sd.entries.set(name, other);
    } else {
      const old = dd.entries.get(newName);
      if (old && old !== s) {
        old.nlink--;
        if (old instanceof MemFile) old.release(this.fs.store);
      }
      sd.entries.delete(name);
      if (this.lowerHas(sd, name)) sd.whiteouts.add(name);
    }
    dd.entries.set(newName, s);
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
    const { limit, used } = this.fs.store;
    const free = Math.max(0, Math.floor((limit - used) / 4096));
    return {
      type: this.fs.lower ? OVERLAYFS_SUPER_MAGIC : TMPFS_MAGIC,
      bsize: 4096,
      blocks: Math.floor(limit / 4096),
      bfree: free,
      bavail: free,
      files: 1 << 20,
      ffree: 1 << 20,
      fsid: [this.dev(), 0],
      namelen: 255,
      frsize: 4096,
      flags: ST_VALID,
    };
  }
}
