import { E } from '../errno.js';
import { MemoryAccount } from '../mm/account.js';
import { type Account, MemStore } from './budget.js';
import {
  makedev,
  O_ACCMODE,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_TMPFILE,
  O_TRUNC,
  O_WRONLY,
  PATH_MAX,
  R_OK,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_ISGID,
  UTIME_NOW,
  UTIME_OMIT,
  W_OK,
  X_OK,
} from './constants.js';
import { createDevFs, type DevOptions } from './devfs.js';
import { DirDescription, type FileDescription, PathDescription } from './file.js';
import { HostFdBudget } from './host-fds.js';
import { type HideEntry, HostFs } from './hostfs.js';
import { Location, type Mount } from './location.js';
import type { Cred, DirEntry, Filesystem, VNode } from './node.js';
import { SyntheticFs } from './synthetic.js';
import { OverlayFs } from './overlay.js';
import { dirnameOf, joinPath, type PathArg, toBinary, toBytes } from './path.js';
import {
  FsEvents,
  IN_ATTRIB,
  IN_CREATE,
  IN_DELETE,
  IN_ISDIR,
  IN_MODIFY,
  IN_MOVE_SELF,
  IN_MOVED_FROM,
  IN_MOVED_TO,
  IN_OPEN,
} from './notify.js';
import { inGroup, isOwner, permits, stickyBlocks } from './perm.js';
import { now, type Stat, type StatFs, ST_RDONLY, type Timespec } from './stat.js';
import { canonicalGuestPath, type HostMode, parseVolume, type Volume } from './volume.js';
import { type LastMode, type Namespace, walk, type Walked } from './walk.js';
import { WriteAccess } from './write-access.js';

/**
 * A root assembled in code rather than one host directory (default-root.ts):
 * `build` fills an empty, writable in-memory root before the volumes are
 * mounted, leaving alone every path at or beneath one of `taken` (the
 * volumes' mount points: a volume replaces what the layout would put there).
 */
export interface RootLayout {
  build(vfs: Vfs, o: { overlay: boolean; taken: readonly string[] }): void;
}

export interface VfsOptions {
  /** Host directory shown as "/" (default "/"), never written; or a layout built under an in-memory root. */
  root?: string | RootLayout;
  /** In-memory writable layer over the root's host directories (default true); without it writes to them fail with EROFS. */
  overlay?: boolean;
  /**
   * The sandbox's memory account: file contents, inodes and names of every
   * in-memory filesystem are charged to it (with guest memory).
   */
  account?: Account;
  /** Limit of the account made when none is given (default 1 GiB). */
  memoryLimit?: number;
  /** Most in-memory inodes, all mounts together (default: one per 8 KiB of the account's limit). */
  maxInodes?: number;
  /** `HOST:GUEST[:ro]` strings or parsed volumes. */
  volumes?: (string | Volume)[];
  /** Synthetic /dev (default true), with its options. */
  dev?: boolean | DevOptions;
  /**
   * Host descriptors the sandbox's open host files (root and volumes) may
   * hold at once (default 4096); beyond it opens fail with ENFILE.
   */
  hostFds?: number;
  /** Default credentials of calls that pass none (default root). */
  uid?: number;
  gid?: number;
}

/** Where a relative path starts (default: the root) and whose permissions apply. */
export interface AtOpts {
  at?: Location;
  cred?: Cred;
  /** AT_EMPTY_PATH: an empty path names `at` itself. */
  emptyPath?: boolean;
}

export interface FollowOpts extends AtOpts {
  /** Follow a symlink in the last component (default: as the operation does on Linux). */
  follow?: boolean;
}

export interface CreateOpts extends AtOpts {
  umask?: number;
}

export interface TwoPathOpts extends FollowOpts {
  /** Start of the second path (default: `at`). */
  newAt?: Location;
}

const DOTS = new Set(['.', '..', '/']);

function nodeKey(loc: Location): string | null {
  const st = loc.node.stat();
  return typeof st === 'number' ? null : `${st.dev}:${st.ino}`;
}

/**
 * The guest's file namespace: a mount table of filesystems under one root, and
 * the path operations the syscall layer calls. Every method returns a
 * negative Linux errno on failure and never throws for anything the guest
 * controls. Paths are bytes or text (see path.ts).
 */
export class Vfs implements Namespace {
  readonly root: Location;
  cred: Cred;
  umask = 0o022;
  private readonly mounts = new Map<string, Mount>();
  /** Empty read-only directories standing in for missing ancestors of mount points. */
  private readonly stubs = new SyntheticFs();
  private readonly stubDirs = new Map<string, VNode>();
  private devs = 0;
  /** Directories removed while something may still refer to them, by "dev:ino" (inode numbers are never reused in a run). */
  private readonly removedDirs = new Set<string>();
  /** The sandbox's memory account (also charged for open directories' listings). */
  private readonly account: Account;
  /** Which files are open for writing and which run as programs (ETXTBSY). */
  readonly writeAccess = new WriteAccess();
  /** The host filesystems (root and volumes), sharing one descriptor budget. */
  private readonly hostFs: HostFs[] = [];
  private readonly fdBudget: HostFdBudget;
  /** The store every in-memory filesystem of the sandbox charges. */
  private readonly store: MemStore;
  /** Filesystem events of the namespace (inotify listens): the operations below and the descriptions they open report them. */
  readonly events = new FsEvents();

  constructor(opts: VfsOptions = {}) {
    const overlay = opts.overlay ?? true;
    const account = opts.account ?? new MemoryAccount(opts.memoryLimit ?? 2 ** 30);
    const store = new MemStore(account, opts.maxInodes);
    this.store = store;
    this.account = account;
    this.fdBudget = new HostFdBudget(opts.hostFds);
    const layout = typeof opts.root === 'object' ? opts.root : null;
    const hostRoot = typeof opts.root === 'string' ? opts.root : '/';
    const rootFs = layout
      ? new OverlayFs(null, { store, rootMode: 0o755 })
      : overlay
        ? new OverlayFs(hostRoot, { store })
        : new HostFs(hostRoot, true);
    this.track(rootFs, null);
    const m = this.attach('/', rootFs, !overlay && !layout);
    this.root = new Location(m, rootFs.root(), '/', null);
    this.cred = { uid: opts.uid ?? 0, gid: opts.gid ?? 0 };
    if (opts.dev !== false) {
      this.mount('/dev', createDevFs(typeof opts.dev === 'object' ? opts.dev : {}));
      this.mount('/dev/shm', new OverlayFs(null, { store }));
    }
    const volumes = (opts.volumes ?? []).map((v) => (typeof v === 'string' ? parseVolume(v) : v));
    layout?.build(this, { overlay, taken: volumes.map((v) => canonicalGuestPath(v.guest)) });
    for (const vol of volumes) this.mountHost(vol.guest, vol.host, vol.mode);
  }

  /**
   * Mounts host directory `host` at guest path `guest` as `mode` says
   * (configuration: it throws, as mount() does). An overlay's memory is
   * charged to the sandbox. `hide` keeps entries from the guest.
   */
  mountHost(guest: string, host: string, mode: HostMode, hide: HideEntry | null = null): void {
    const fs = mode === 'overlay' ? new OverlayFs(host, { store: this.store }) : new HostFs(host, mode === 'ro');
    this.track(fs, hide);
    this.mount(guest, fs, { readOnly: mode === 'ro' });
  }

  /**
   * For files on no mounted filesystem (memfd_create's): a device number of
   * their own and the store the sandbox's in-memory files are charged to.
   */
  detachedMemory(): { dev: number; store: MemStore } {
    return { dev: makedev(0, ++this.devs), store: this.store };
  }

  /** The host layer of `fs`, if any, gets the sandbox's descriptor budget and `hide`, and is released by close(). */
  private track(fs: HostFs | OverlayFs, hide: HideEntry | null): void {
    const host = fs instanceof OverlayFs ? fs.lower : fs;
    if (!host) return;
    host.fdBudget = this.fdBudget;
    host.hide = hide;
    this.hostFs.push(host);
  }

  /** Releases the host directory handles kept for lookups (a later call reopens them). */
  close(): void {
    for (const fs of this.hostFs) fs.close();
  }

  /** Forgets everything learnt of the host trees: the next walk sees the host as it is now. */
  forgetHost(): void {
    for (const fs of this.hostFs) fs.forget();
  }

  /** Whether the host path of a host tree (the root's, a volume's) now leads to another directory, or nowhere (HostFs.rootMoved). */
  hostRootsMoved(): boolean {
    return this.hostFs.some((fs) => fs.rootMoved());
  }

  /**
   * Attaches `fs` at the absolute guest path `path` (text), which need not
   * exist in the filesystem below: the mount table is consulted before any
   * lookup. For configuration — a synthetic /proc, volumes — so it throws.
   */
  mount(path: string, fs: Filesystem, opts: { readOnly?: boolean } = {}): void {
    const p = canonicalGuestPath(path);
    this.attach(p, fs, opts.readOnly ?? false);
    if (this.stubs.dev === 0) this.stubs.dev = makedev(0, ++this.devs);
    for (let a = dirnameOf(p); a !== '/' && !this.stubDirs.has(a); a = dirnameOf(a)) {
      this.stubDirs.set(a, this.stubs.root().addDir(a));
    }
  }

  /** The mount table in the order filesystems were mounted, "/" first (/proc/mounts). */
  mountTable(): Mount[] {
    return [...this.mounts.values()];
  }

  private attach(path: string, fs: Filesystem, readOnly: boolean): Mount {
    if (this.mounts.has(path)) throw new Error(`tsv: already mounted: ${path}`);
    if (fs.dev !== 0) throw new Error('tsv: filesystem already mounted');
    fs.dev = makedev(0, ++this.devs);
    const m: Mount = { path, fs, readOnly };
    this.mounts.set(path, m);
    return m;
  }

  // ---- Namespace (used by walk) ----

  child(dir: Location, name: string): Location | number {
    const path = joinPath(dir.path, name);
    const m = this.mounts.get(path);
    if (m) return new Location(m, m.fs.root(), path, dir);
    const n = dir.node.lookup(name);
    const stub = n === -E.ENOENT ? this.stubDirs.get(path) : undefined;
    if (stub) return new Location(dir.mount, stub, path, dir);
    return typeof n === 'number' ? n : new Location(dir.mount, n, path, dir);
  }

  searchable(dir: Location, cred: Cred): boolean {
    return cred.uid === 0 || this.may(dir, X_OK, cred) === 0;
  }

  // ---- helpers ----

  private credOf(o: AtOpts): Cred {
    return o.cred ?? this.cred;
  }

  private walkPath(path: PathArg, o: AtOpts, last: LastMode): Walked | number {
    const p = toBinary(path);
    const at = o.at ?? this.root;
    if (p.length === 0 && o.emptyPath) return { parent: at.parent ?? at, name: '.', loc: at, slash: false };
    return walk(this, p, at, last, this.credOf(o));
  }

  private find(path: PathArg, o: AtOpts, follow: boolean): Location | number {
    const w = this.walkPath(path, o, follow ? 'follow' : 'nofollow');
    return typeof w === 'number' ? w : (w.loc ?? -E.ENOENT);
  }

  /** 0 if `cred` has `want` (R_OK|W_OK|X_OK) on `loc`, else -EACCES. */
  private may(loc: Location, want: number, cred: Cred): number {
    const st = loc.node.stat();
    if (typeof st === 'number') return st;
    return permits(st, cred, want) ? 0 : -E.EACCES;
  }

  private mayCreate(dir: Location, cred: Cred): number {
    if (this.isRemoved(dir)) return -E.ENOENT;
    return dir.mount.readOnly ? -E.EROFS : this.may(dir, W_OK | X_OK, cred);
  }

  private mayDelete(dir: Location, victim: Location, cred: Cred): number {
    const r = this.may(dir, W_OK | X_OK, cred);
    if (r < 0) return r;
    const ds = dir.node.stat();
    const vs = victim.node.stat();
    if (typeof ds === 'number') return ds;
    if (typeof vs === 'number') return vs;
    return stickyBlocks(ds, vs, cred) ? -E.EPERM : 0;
  }

  private isMountPoint(loc: Location): boolean {
    return loc.path === loc.mount.path;
  }

  private hasMountBelow(path: string): boolean {
    for (const p of this.mounts.keys()) if (p.startsWith(`${path}/`)) return true;
    return false;
  }

  private mask(mode: number, o: CreateOpts): number {
    return mode & ~(o.umask ?? this.umask);
  }

  /** Directory listing, plus mount points (and their stand-in ancestors) the directory itself lacks. */
  private listDir(loc: Location): DirEntry[] | number {
    const list = loc.node.readdir();
    if (typeof list === 'number') return list;
    for (const p of [...this.mounts.keys(), ...this.stubDirs.keys()]) {
      if (p === '/' || dirnameOf(p) !== loc.path) continue;
      const name = p.slice(p.lastIndexOf('/') + 1);
      const child = this.child(loc, name);
      const st = typeof child === 'number' ? child : child.node.stat();
      if (!list.some((e) => e.name === name) && typeof st !== 'number') list.push({ name, ino: st.ino, kind: S_IFDIR });
    }
    return list;
  }

  private openDir(loc: Location, flags: number): FileDescription | number {
    const self = loc.node.stat();
    if (typeof self === 'number') return self;
    const up = loc.parent?.node.stat() ?? self;
    const dots = { self: self.ino, parent: typeof up === 'number' ? self.ino : up.ino };
    return new DirDescription(flags, loc.node, () => this.listDir(loc), dots, this.account);
  }

  /** Sets where `d` was opened; a regular file opened for writing becomes a writer of it (WriteAccess). */
  private placed(d: FileDescription | number, loc: Location): FileDescription | number {
    if (typeof d === 'number') return d;
    d.location = loc;
    const key = d.writable ? this.writeKey(loc) : undefined;
    if (key !== undefined) d.writer = { access: this.writeAccess, key };
    return d;
  }

  /** The WriteAccess key of a regular file (undefined for anything else). */
  private writeKey(loc: Location): string | undefined {
    if (loc.node.kind !== S_IFREG) return undefined;
    const st = loc.node.stat();
    return typeof st === 'number' ? undefined : WriteAccess.keyOf(st);
  }

  /** A running program's file: writing it is ETXTBSY. */
  private runsAsProgram(loc: Location): boolean {
    const key = this.writeKey(loc);
    return key !== undefined && this.writeAccess.denied(key);
  }

  // ---- operations ----

  /** Resolves a path to a location (chdir, a dirfd, *at starting points). */
  resolve(path: PathArg, o: FollowOpts = {}): Location | number {
    return this.find(path, o, o.follow ?? true);
  }

  stat(path: PathArg, o: FollowOpts = {}): Stat | number {
    const loc = this.find(path, o, o.follow ?? true);
    return typeof loc === 'number' ? loc : loc.node.stat();
  }

  lstat(path: PathArg, o: AtOpts = {}): Stat | number {
    return this.stat(path, { ...o, follow: false });
  }

  /**
   * open(2)/openat(2). `flags` are Linux O_* bits (O_CLOEXEC is the fd
   * table's; O_TMPFILE is EOPNOTSUPP); `mode` is used with O_CREAT, less umask.
   */
  open(path: PathArg, flags: number, mode = 0, o: CreateOpts = {}): FileDescription | number {
    // Linux 6.4+: O_CREAT with O_DIRECTORY is rejected outright.
    if ((flags & O_CREAT) !== 0 && (flags & O_DIRECTORY) !== 0 && (flags & O_TMPFILE) !== O_TMPFILE) return -E.EINVAL;
    const cred = this.credOf(o);
    const excl = (flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL);
    const w = this.walkPath(path, o, flags & O_NOFOLLOW || excl ? 'nofollow' : 'follow');
    if (typeof w === 'number') return w;
    // O_TMPFILE names a directory; no filesystem here supports unnamed files in it.
    if ((flags & O_TMPFILE) === O_TMPFILE) return !w.loc ? -E.ENOENT : w.loc.node.kind !== S_IFDIR ? -E.ENOTDIR : -E.EOPNOTSUPP;
    // O_ACCMODE (3) is allowed, as in Linux: it needs read and write permission and permits neither.
    const acc = flags & O_ACCMODE;
    if (!w.loc) {
      if (!(flags & O_CREAT) || flags & O_PATH) return -E.ENOENT;
      if (w.slash) return -E.EISDIR;
      const r = this.mayCreate(w.parent, cred);
      if (r < 0) return r;
      const d = w.parent.node.create(w.name, this.mask(mode & 0o7777, o), flags, cred);
      if (typeof d === 'number') return d;
      const loc = this.child(w.parent, w.name);
      if (typeof loc === 'number') d.close();
      if (typeof loc === 'number') return loc;
      this.events.entry(w.parent, w.name, IN_CREATE, loc.node);
      return this.opened(this.placed(d, loc), loc, 0);
    }
    if (excl) return -E.EEXIST;
    const loc = w.loc;
    const kind = loc.node.kind;
    if (flags & O_DIRECTORY && kind !== S_IFDIR && !(flags & O_PATH && kind === S_IFLNK)) return -E.ENOTDIR;
    if (flags & O_PATH) return this.placed(new PathDescription(flags, loc.node), loc);
    if (kind === S_IFLNK) return -E.ELOOP;
    if (kind === S_IFDIR && (acc !== O_RDONLY || flags & O_CREAT)) return -E.EISDIR;
    const writes = acc !== O_RDONLY || (flags & O_TRUNC && kind === S_IFREG);
    if (writes && loc.mount.readOnly && (kind === S_IFREG || kind === S_IFDIR)) return -E.EROFS;
    const r = this.may(loc, (acc !== O_WRONLY ? R_OK : 0) | (writes ? W_OK : 0), cred);
    if (r < 0) return r;
    if (writes && this.runsAsProgram(loc)) return -E.ETXTBSY;
    const d = this.placed(kind === S_IFDIR ? this.openDir(loc, flags) : loc.node.open(flags), loc);
    return this.opened(d, loc, flags & O_TRUNC && kind === S_IFREG ? IN_MODIFY : 0);
  }

  /** An open description reports its writes and close; its open is reported now, then `then` (O_TRUNC's IN_MODIFY), in Linux's order. */
  private opened(d: FileDescription | number, loc: Location, then: number): FileDescription | number {
    if (typeof d === 'number') return d;
    d.events = this.events;
    this.events.opened(d, loc);
    this.events.at(loc, IN_OPEN);
    if (then !== 0) this.events.at(loc, then);
    return d;
  }

  /** access(2)/faccessat(2): `mode` is F_OK or R_OK|W_OK|X_OK. */
  access(path: PathArg, mode: number, o: FollowOpts = {}): number {
    if (mode & ~7) return -E.EINVAL;
    const loc = this.find(path, o, o.follow ?? true);
    if (typeof loc === 'number') return loc;
    if (mode === 0) return 0;
    const kind = loc.node.kind;
    if (mode & W_OK && loc.mount.readOnly && (kind === S_IFREG || kind === S_IFDIR || kind === S_IFLNK)) return -E.EROFS;
    return this.may(loc, mode, this.credOf(o));
  }

  mkdir(path: PathArg, mode: number, o: CreateOpts = {}): number {
    const w = this.walkPath(path, o, 'parent');
    if (typeof w === 'number') return w;
    if (w.loc) return -E.EEXIST;
    const cred = this.credOf(o);
    const r = this.mayCreate(w.parent, cred);
    const done = r < 0 ? r : w.parent.node.mkdir(w.name, this.mask(mode & 0o1777, o), cred);
    if (done === 0) this.events.entry(w.parent, w.name, IN_CREATE | IN_ISDIR, null);
    return done;
  }

  /** Makes a special file (mknod(2) as bind uses it: S_IFSOCK), its permissions less the umask; EPERM where the filesystem has none. */
  mknod(path: PathArg, mode: number, o: CreateOpts = {}): number {
    const w = this.walkPath(path, o, 'parent');
    if (typeof w === 'number') return w;
    if (w.loc) return -E.EEXIST;
    if (w.slash) return -E.ENOENT;
    const cred = this.credOf(o);
    const r = this.mayCreate(w.parent, cred);
    if (r < 0) return r;
    const node = w.parent.node;
    return node.mknod ? node.mknod(w.name, (mode & S_IFMT) | this.mask(mode & 0o7777, o), cred) : -E.EPERM;
  }

  rmdir(path: PathArg, o: AtOpts = {}): number {
    const w = this.walkPath(path, o, 'parent');
    if (typeof w === 'number') return w;
    if (w.name === '.') return -E.EINVAL;
    if (w.name === '..') return -E.ENOTEMPTY;
    if (w.name === '/') return -E.EBUSY;
    if (w.parent.mount.readOnly) return -E.EROFS;
    if (!w.loc) return -E.ENOENT;
    if (w.loc.node.kind !== S_IFDIR) return -E.ENOTDIR;
    if (this.isMountPoint(w.loc)) return -E.EBUSY;
    const r = this.mayDelete(w.parent, w.loc, this.credOf(o));
    if (r < 0) return r;
    const key = nodeKey(w.loc);
    const done = w.parent.node.rmdir(w.name);
    if (done === 0 && key !== null) this.removedDirs.add(key);
    if (done === 0 && key !== null) this.events.removed(w.loc.node, key);
    if (done === 0) this.events.entry(w.parent, w.name, IN_DELETE | IN_ISDIR, null);
    return done;
  }

  /**
   * True when `loc` is a directory that has been removed (a working
   * directory can outlive its removal): nothing can be created in it and it
   * has no path any more (Linux: ENOENT).
   */
  isRemoved(loc: Location): boolean {
    if (this.removedDirs.size === 0) return false;
    const key = nodeKey(loc);
    return key !== null && this.removedDirs.has(key);
  }

  unlink(path: PathArg, o: AtOpts = {}): number {
    const w = this.walkPath(path, o, 'parent');
    if (typeof w === 'number') return w;
    if (DOTS.has(w.name)) return -E.EISDIR;
    if (w.parent.mount.readOnly) return -E.EROFS;
    if (!w.loc) return -E.ENOENT;
    if (w.loc.node.kind === S_IFDIR) return -E.EISDIR;
    if (w.slash) return -E.ENOTDIR;
    const r = this.mayDelete(w.parent, w.loc, this.credOf(o));
    if (r < 0) return r;
    // Taken before: a host file's node may not stat once its name is gone.
    const st = this.events.active ? w.loc.node.stat() : null;
    const done = w.parent.node.unlink(w.name);
    if (done === 0 && st !== null && typeof st !== 'number') this.unlinked(w.parent, w.name, w.loc.node, st);
    return done;
  }

  /** Linux's order: the inode's link count changed (IN_ATTRIB), it is gone if that was its last name (`st` is from before), the directory lost the entry. */
  private unlinked(dir: Location, name: string, node: VNode, st: Stat): void {
    const key = `${st.dev}:${st.ino}`;
    this.events.self(node, IN_ATTRIB, key);
    if (st.nlink <= 1) this.events.removed(node, key);
    this.events.entry(dir, name, IN_DELETE, node);
  }

  /** rename(2)/renameat2(2) with RENAME_NOREPLACE and RENAME_EXCHANGE (EINVAL where a filesystem cannot). */
  rename(oldPath: PathArg, newPath: PathArg, flags = 0, o: TwoPathOpts = {}): number {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) return -E.EINVAL;
    if (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE) return -E.EINVAL;
    const ws = this.walkPath(oldPath, o, 'parent');
    if (typeof ws === 'number') return ws;
    const wd = this.walkPath(newPath, { ...o, at: o.newAt ?? o.at }, 'parent');
    if (typeof wd === 'number') return wd;
    if (DOTS.has(ws.name) || DOTS.has(wd.name)) return -E.EBUSY;
    if (ws.parent.mount !== wd.parent.mount) return -E.EXDEV;
    if (ws.parent.mount.readOnly) return -E.EROFS;
    const src = ws.loc;
    const dst = wd.loc;
    if (!src) return -E.ENOENT;
    if (flags & RENAME_NOREPLACE && dst) return -E.EEXIST;
    if (flags & RENAME_EXCHANGE && !dst) return -E.ENOENT;
    if (this.isMountPoint(src) || this.hasMountBelow(src.path)) return -E.EBUSY;
    if (dst && (this.isMountPoint(dst) || this.hasMountBelow(dst.path))) return -E.EBUSY;
    const srcDir = src.node.kind === S_IFDIR;
    const dstDir = dst?.node.kind === S_IFDIR;
    if ((ws.slash || wd.slash) && !srcDir) return -E.ENOTDIR;
    const ss = src.node.stat();
    const ds = dst?.node.stat();
    if (typeof ss === 'number') return ss;
    if (typeof ds === 'number') return ds;
    if (ds && ds.ino === ss.ino && ds.dev === ss.dev) return 0;
    if (dst && !(flags & RENAME_EXCHANGE)) {
      if (srcDir && !dstDir) return -E.ENOTDIR;
      if (!srcDir && dstDir) return -E.EISDIR;
    }
    // A directory cannot move beneath itself (checked on the nodes: see VNode.encloses).
    if (srcDir && src.node.encloses?.(wd.parent.node) === true) return -E.EINVAL;
    if (dst && dstDir && flags & RENAME_EXCHANGE && dst.node.encloses?.(ws.parent.node) === true) return -E.EINVAL;
    const cred = this.credOf(o);
    const r1 = this.mayDelete(ws.parent, src, cred);
    if (r1 < 0) return r1;
    const r2 = dst ? this.mayDelete(wd.parent, dst, cred) : this.may(wd.parent, W_OK | X_OK, cred);
    if (r2 < 0) return r2;
    const done = ws.parent.node.rename(ws.name, wd.parent.node, wd.name, flags);
    if (done === 0 && this.events.active) {
      this.moved(ws.parent, ws.name, wd.parent, wd.name, src.node, `${ss.dev}:${ss.ino}`);
      if (dst && ds && flags & RENAME_EXCHANGE) this.moved(wd.parent, wd.name, ws.parent, ws.name, dst.node, `${ds.dev}:${ds.ino}`);
    }
    return done;
  }

  /** A move: IN_MOVED_FROM and IN_MOVED_TO with one cookie, then IN_MOVE_SELF on the inode (Linux's fsnotify_move). */
  private moved(from: Location, fromName: string, to: Location, toName: string, node: VNode, key: string): void {
    const cookie = this.events.nextCookie();
    this.events.entry(from, fromName, IN_MOVED_FROM, node, cookie);
    this.events.entry(to, toName, IN_MOVED_TO, node, cookie);
    this.events.self(node, IN_MOVE_SELF, key);
  }

  symlink(target: PathArg, linkPath: PathArg, o: AtOpts = {}): number {
    const t = toBinary(target);
    if (t.length === 0) return -E.ENOENT;
    if (t.length >= PATH_MAX) return -E.ENAMETOOLONG;
    const w = this.walkPath(linkPath, o, 'parent');
    if (typeof w === 'number') return w;
    if (w.loc) return -E.EEXIST;
    if (w.slash) return -E.ENOENT;
    const cred = this.credOf(o);
    const r = this.mayCreate(w.parent, cred);
    const done = r < 0 ? r : w.parent.node.symlink(w.name, t, cred);
    if (done === 0) this.events.entry(w.parent, w.name, IN_CREATE, null);
    return done;
  }

  /** link(2)/linkat(2); `follow` is AT_SYMLINK_FOLLOW (default off, as linkat). */
  link(oldPath: PathArg, newPath: PathArg, o: TwoPathOpts = {}): number {
    const src = this.find(oldPath, o, o.follow ?? false);
    if (typeof src === 'number') return src;
    const w = this.walkPath(newPath, { ...o, at: o.newAt ?? o.at }, 'parent');
    if (typeof w === 'number') return w;
    if (w.loc) return -E.EEXIST;
    if (w.slash) return -E.ENOENT;
    if (src.mount !== w.parent.mount) return -E.EXDEV;
    const r = this.mayCreate(w.parent, this.credOf(o));
    if (r < 0) return r;
    if (src.node.kind === S_IFDIR) return -E.EPERM;
    const done = w.parent.node.link(w.name, src.node);
    if (done === 0) this.events.self(src.node, IN_ATTRIB);
    if (done === 0) this.events.entry(w.parent, w.name, IN_CREATE, src.node);
    return done;
  }

  /** readlink(2): the target bytes, EINVAL if not a symlink. */
  readlink(path: PathArg, o: AtOpts = {}): Uint8Array | number {
    const loc = this.find(path, o, false);
    if (typeof loc === 'number') return loc;
    if (loc.node.kind !== S_IFLNK) return -E.EINVAL;
    const t = loc.node.readlink();
    return typeof t === 'number' ? t : toBytes(t);
  }

  /** chmod(2)/fchmodat(2); only the owner (or root) may. */
  chmod(path: PathArg, mode: number, o: FollowOpts = {}): number {
    const loc = this.find(path, o, o.follow ?? true);
    if (typeof loc === 'number') return loc;
    if (loc.node.kind === S_IFLNK) return -E.EOPNOTSUPP;
    if (loc.mount.readOnly) return -E.EROFS;
    const st = loc.node.stat();
    if (typeof st === 'number') return st;
    const cred = this.credOf(o);
    if (!isOwner(st, cred)) return -E.EPERM;
    let m = mode & 0o7777;
    if (cred.uid !== 0 && !inGroup(cred, st.gid)) m &= ~S_ISGID;
    return this.changed(loc, loc.node.setattr({ mode: m }), IN_ATTRIB);
  }

  /** truncate(2). */
  truncate(path: PathArg, length: number, o: AtOpts = {}): number {
    if (!Number.isSafeInteger(length) || length < 0) return -E.EINVAL;
    const loc = this.find(path, o, true);
    if (typeof loc === 'number') return loc;
    if (loc.node.kind === S_IFDIR) return -E.EISDIR;
    if (loc.node.kind !== S_IFREG) return -E.EINVAL;
    if (loc.mount.readOnly) return -E.EROFS;
    const r = this.may(loc, W_OK, this.credOf(o));
    if (r < 0) return r;
    return this.runsAsProgram(loc) ? -E.ETXTBSY : this.changed(loc, loc.node.setattr({ size: length }), IN_MODIFY);
  }

  /** Reports `mask` on `loc` when `r` (a setattr's result) is a success; returns `r`. */
  private changed(loc: Location, r: number, mask: number): number {
    if (r === 0) this.events.at(loc, mask);
    return r;
  }

  /** statfs(2); ST_RDONLY is set on read-only mounts. */
  statfs(path: PathArg, o: AtOpts = {}): StatFs | number {
    const loc = this.find(path, o, true);
    if (typeof loc === 'number') return loc;
    const s = loc.node.statfs();
    if (typeof s !== 'number' && loc.mount.readOnly) s.flags |= ST_RDONLY;
    return s;
  }

  /**
   * utimensat(2): `times` is [atime, mtime] (nsec may be UTIME_NOW or
   * UTIME_OMIT), or null for "both now". Explicit times need ownership;
   * "now" needs ownership or write permission.
   */
  utimens(path: PathArg, times: [Timespec, Timespec] | null, o: FollowOpts = {}): number {
    const loc = this.find(path, o, o.follow ?? true);
    if (typeof loc === 'number') return loc;
    const t = now();
    const pick = (x: Timespec | undefined): Timespec | undefined | null => {
      if (!x || x.nsec === UTIME_NOW) return t;
      if (x.nsec === UTIME_OMIT) return undefined;
      return Number.isInteger(x.nsec) && x.nsec >= 0 && x.nsec < 1e9 && Number.isSafeInteger(x.sec) ? x : null;
    };
    const atime = pick(times?.[0]);
    const mtime = pick(times?.[1]);
    if (atime === null || mtime === null) return -E.EINVAL;
    if (!atime && !mtime) return 0;
    if (loc.mount.readOnly) return -E.EROFS;
    const st = loc.node.stat();
    if (typeof st === 'number') return st;
    const cred = this.credOf(o);
    const explicit = (atime && atime !== t) || (mtime && mtime !== t);
    if (!isOwner(st, cred)) {
      if (explicit) return -E.EPERM;
      if (!permits(st, cred, W_OK)) return -E.EACCES;
    }
    return this.changed(loc, loc.node.setattr({ ...(atime ? { atime } : {}), ...(mtime ? { mtime } : {}) }), IN_ATTRIB);
  }
}
