import * as fs from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { E, hostErrno } from '../errno.js';
import {
  O_ACCMODE,
  O_RDONLY,
  O_TRUNC,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
} from './constants.js';
import { FileDescription } from './file.js';
import { type Facts, HostCache } from './host-cache.js';
import { DirFdCache, HOST_O_PATH, HostFdBudget, procAt, procFd } from './host-fds.js';
import { InoTable } from './ino.js';
import type { Cred, DirEntry, Filesystem, SetAttr, VNode } from './node.js';
import { hostPath } from './path.js';
import { hostStat, hostStatfs, ST_RDONLY, type Stat, type StatFs, type Timespec } from './stat.js';
import { WeakValues } from './weak-values.js';

const H = fs.constants;
/** Every host open refuses a symlink in the last component and never blocks (a FIFO swapped in). */
const SAFE = H.O_NOFOLLOW | H.O_NONBLOCK;
/** A handle on a directory entry itself, symlinks included. */
const PIN = HOST_O_PATH | H.O_NOFOLLOW;
const DIR_PIN = PIN | H.O_DIRECTORY;
/** Directory handles one HostFs keeps open besides its root's. */
const DIR_FDS = 32;

/** Runs `f` and turns a host exception into a negative errno. */
function guard<T>(f: () => T): T | number {
  try {
    return f();
  } catch (e) {
    return hostErrno(e);
  }
}

function lstat(p: Buffer): BigIntStats {
  return fs.lstatSync(p, { bigint: true });
}

function fstat(fd: number): BigIntStats {
  return fs.fstatSync(fd, { bigint: true });
}

function seconds(t: Timespec): number {
  return t.sec + t.nsec / 1e9;
}

/** One path component, as the VNode contract promises; checked again because it is all that stands between a name and a host path walk. */
function isComponent(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/**
 * Mode bits a guest may put on a host file: never set-user-ID or
 * set-group-ID (a guest must not plant privileged programs on the host), and
 * the sticky bit only on directories, where it restricts deletion.
 */
export function hostMode(kind: number, mode: number): number {
  return mode & (kind === S_IFDIR ? 0o1777 : 0o777);
}

/**
 * Decides from its lstat whether entry `name` of directory `dir` is kept
 * from the guest: a hidden entry is ENOENT to lookups and absent from
 * listings, so no walk ever reaches it.
 */
export type HideEntry = (dir: HostNode, name: string, st: BigIntStats) => boolean;

/**
 * A host directory tree, confined so that no guest operation — renames,
 * symlinks, kept directory descriptors, races between its own calls — makes
 * the host touch anything outside it.
 *
 * A node is an inode (host dev, ino) plus where it was last seen: its parent
 * node and its name there. Every host call is made on a directory handle
 * (an O_PATH descriptor) through "/proc/self/fd/<fd>/<name>", the openat()
 * node:fs lacks: the only symlink the host follows is that magic link to the
 * handle's own directory, and the last component is never followed
 * (O_NOFOLLOW, lstat, or calls that act on the name itself). Handles come
 * from dirFd(), which reopens a directory from the nearest cached ancestor,
 * one component at a time with O_NOFOLLOW|O_DIRECTORY, checking each inode;
 * a directory that is no longer where its parents say is ENOENT. Nodes are
 * shared per inode while alive, and a rename through this filesystem moves
 * the renamed node, so a kept descriptor or working directory follows its
 * directory as on Linux. Guest symlinks are returned as nodes for the VFS to
 * resolve inside the sandbox namespace.
 *
 * Host changes underneath are handled as well as they can be: a handle
 * follows its inode (like an open directory on Linux), and each use checks,
 * by the magic link's text, that the directory is still beneath the root, so
 * a directory the host moves out becomes ENOENT. What remains is a race with
 * a host process moving a directory out between that check and the call.
 * All calls are synchronous and the Sentry runs one system call at a time,
 * so the guest cannot race itself between a check and its use.
 *
 * Only regular files and directories are ever opened: device nodes give
 * EACCES (as on a nodev mount), sockets ENXIO.
 *
 * A read-only tree (the default root's system directories, an overlay's
 * lower layer, a read-only volume: nothing the sandbox does changes it) is
 * cached as the walks see it: lookups (found, or ENOENT), stat results,
 * symlink targets and listings are asked of the host once and then answered
 * from memory, within a bound (HostCache). The rule for host changes during
 * a run: the tree is a snapshot taken lazily, name by name — what a run has
 * seen stays as it saw it while cached, and a change on the host may or may
 * not be seen. Opens and reads still go to the host (through the checked
 * handles above), so a file's contents are always current and nothing
 * outside the root is ever reached. A writable tree (a read-write volume)
 * is not cached: every call asks the host.
 */
export class HostFs implements Filesystem {
  private device = 0;
  /** Host descriptors open files may hold; the Vfs gives all filesystems of a sandbox one budget. */
  fdBudget = new HostFdBudget();
  /** Entries kept from the guest (see HideEntry); none by default. Set before the filesystem is mounted. */
  hide: HideEntry | null = null;
  /** What walks have learnt of a read-only tree; null for a writable one, which is never cached. */
  readonly cache: HostCache<HostNode> | null;
  /** The root's real host path, as a binary string. */
  readonly hostRoot: string;
  /** The host path it was made from (symlinks and all). */
  private readonly configuredRoot: string;
  private readonly top: HostNode;
  private readonly nodes = new WeakValues<HostNode>();
  private readonly dirs: DirFdCache<HostNode>;

  /** Throws if `hostRoot` is not a directory or host /proc is missing: those are the operator's errors, not the guest's. */
  constructor(
    hostRoot: string,
    readonly readOnly: boolean,
    readonly inos: InoTable = new InoTable(),
    dirFds = DIR_FDS,
  ) {
    this.configuredRoot = hostRoot;
    const real = fs.realpathSync(hostRoot, { encoding: 'buffer' });
    const st = fs.statSync(real, { bigint: true });
    if (!st.isDirectory()) throw new Error(`tsv: not a directory: ${hostRoot}`);
    this.hostRoot = real.toString('latin1');
    this.cache = readOnly ? new HostCache() : null;
    this.top = new HostNode(this, null, '', st);
    this.dirs = new DirFdCache(this, Math.max(2, dirFds));
    const probe = this.withNode(this.top, (fd) => fs.statSync(procFd(fd), { bigint: true }).ino === st.ino);
    if (probe !== true) throw new Error(`tsv: cannot open ${hostRoot} through /proc/self/fd (is /proc mounted?)`);
  }

  get dev(): number {
    return this.device;
  }

  /** Set when mounted, after `hide`: what was cached before (with device 0, unhidden) is forgotten. */
  set dev(d: number) {
    this.device = d;
    this.cache?.clear();
  }

  root(): HostNode {
    return this.top;
  }

  /** Fact `key` of node `n`: cached if this tree is, else `find()`. */
  known<K extends keyof Facts>(n: HostNode, key: K, find: () => NonNullable<Facts[K]> | number): NonNullable<Facts[K]> | number {
    return this.cache ? this.cache.fact(n, key, find) : find();
  }

  mapStat(s: BigIntStats): Stat {
    return hostStat(s, this.dev, this.inos.forHost(s.dev, s.ino));
  }

  /** Closes the directory handles (they reopen on demand). Open files keep their own descriptors. */
  close(): void {
    this.dirs.close();
  }

  /** Forgets what walks learnt of the host (and closes the directory handles): the next walk asks the host again. */
  forget(): void {
    this.cache?.clear();
    this.dirs.close();
  }

  /**
   * Whether the host path this tree was made from now leads elsewhere: a
   * symlink on it retargeted, the directory replaced or gone. The tree
   * keeps the directory it was made from, so it would not show that.
   */
  rootMoved(): boolean {
    try {
      const real = fs.realpathSync(this.configuredRoot, { encoding: 'buffer' }).toString('latin1');
      return real !== this.hostRoot || !this.top.holds(fs.statSync(hostPath(real), { bigint: true }));
    } catch {
      return true;
    }
  }

  /** Directory handles held now (the root's included). */
  get dirHandles(): number {
    return this.dirs.size;
  }

  // ---- confinement: every host call goes through dirFd() ----

  /**
   * The O_PATH handle of directory `n`, or a negative errno. The cache owns
   * it: use it before calling dirFd() again.
   */
  private dirFd(n: HostNode): number {
    const down: HostNode[] = [];
    let c = n;
    let cached = this.dirs.get(c);
    while (cached === undefined && c.parent !== null) {
      down.push(c);
      c = c.parent;
      cached = this.dirs.get(c);
    }
    let fd: number = cached ?? this.reopenRoot();
    while (fd >= 0 && down.length > 0) {
      const d = down.pop()!;
      const parent: number = fd;
      fd = guard(() => this.pinned(fs.openSync(procAt(parent, d.name), DIR_PIN), d));
      if (fd === -E.ENOTDIR || fd === -E.ELOOP) fd = -E.ENOENT; // no longer the directory the node names
      if (fd >= 0) this.dirs.put(d, fd);
    }
    return fd < 0 || this.beneathRoot(fd) ? fd : -E.ENOENT;
  }

  private reopenRoot(): number {
    return guard(() => {
      const fd = this.pinned(fs.openSync(hostPath(this.hostRoot), HOST_O_PATH | H.O_DIRECTORY), this.top);
      if (fd >= 0) this.dirs.put(this.top, fd, true);
      return fd;
    });
  }

  /** `fd` if it holds the inode `n` names, else closes it: -ENOENT (what the walk saw has been replaced). */
  private pinned(fd: number, n: HostNode): number {
    if (n.holds(fstat(fd))) return fd;
    fs.closeSync(fd);
    return -E.ENOENT;
  }

  /** Is the directory `fd` holds still beneath the root? Its magic link's text is its current host path. */
  private beneathRoot(fd: number): boolean {
    if (this.hostRoot === '/') return true;
    const p = guard(() => fs.readlinkSync(procFd(fd), { encoding: 'buffer' }).toString('latin1'));
    return typeof p === 'string' && (p === this.hostRoot || p.startsWith(`${this.hostRoot}/`));
  }

  /** Runs `f` on the host path of entry `name` of directory `dir`; `f` must not follow its last component. */
  entry<T>(dir: HostNode, name: string, f: (p: Buffer) => T): T | number {
    if (!isComponent(name)) return -E.EINVAL;
    const fd = this.dirFd(dir);
    return fd < 0 ? fd : guard(() => f(procAt(fd, name)));
  }

  /** Runs `f` on an O_PATH handle of exactly the inode `n` (ENOENT if its name now holds another). */
  withNode<T>(n: HostNode, f: (fd: number) => T): T | number {
    if (n.kind === S_IFDIR || n.parent === null) {
      const fd = this.dirFd(n);
      return fd < 0 ? fd : guard(() => f(fd));
    }
    return this.entry(n.parent, n.name, (p) => {
      const fd = this.pinned(fs.openSync(p, PIN), n);
      if (fd < 0) return fd;
      try {
        return f(fd);
      } finally {
        fs.closeSync(fd);
      }
    });
  }

  /** A handle of directory `n` that the caller owns and closes (for calls naming two directories). */
  ownDirFd(n: HostNode): number {
    const fd = this.dirFd(n);
    return fd < 0 ? fd : guard(() => fs.openSync(procFd(fd), HOST_O_PATH | H.O_DIRECTORY));
  }

  // ---- nodes ----

  /** The node of the inode `st` found as `name` in `dir`: the live one if there is one (now placed there), else a new one. */
  adopt(dir: HostNode, name: string, st: BigIntStats): HostNode {
    const key = `${st.dev}:${st.ino}`;
    const kind = Number(st.mode) & S_IFMT;
    const old = this.nodes.get(key);
    if (old && old.kind === kind && this.place(old, dir, name)) return old;
    const n = new HostNode(this, dir, name, st);
    if (!old || old.kind !== kind) this.nodes.set(key, n); // a different kind: the inode number was reused
    return n;
  }

  /** After a rename of `from`/`fromName` to `to`/`toName`: the moved node, if alive and known by that name, is now there. */
  moved(st: BigIntStats, from: HostNode, fromName: string, to: HostNode, toName: string): void {
    const n = this.nodes.get(`${st.dev}:${st.ino}`);
    if (n && n.parent?.key === from.key && n.name === fromName) this.place(n, to, toName);
  }

  /** Records `n` as `name` in `dir`, unless that would make a directory its own ancestor (a host bind-mount loop). */
  private place(n: HostNode, dir: HostNode, name: string): boolean {
    if (n.kind === S_IFDIR) for (let a: HostNode | null = dir; a; a = a.parent) if (a.key === n.key) return false;
    n.parent = dir;
    n.name = name;
    return true;
  }

  /** An open host file, counted against the budget: `open` returns its descriptor (or throws, or a negative errno). */
  openFile(flags: number, open: () => number): FileDescription | number {
    const budget = this.fdBudget;
    if (!budget.take()) return -E.ENFILE;
    const fd = guard(open);
    if (fd < 0) {
      budget.give();
      return fd;
    }
    return new HostFileDescription(flags, this, fd, budget);
  }
}

export class HostNode implements VNode {
  readonly kind: number;
  /** The host inode, "dev:ino". */
  readonly key: string;
  private readonly hostDev: bigint;
  private readonly hostIno: bigint;

  constructor(
    readonly fs: HostFs,
    /** Where the inode was last seen (null for the root); only HostFs moves it. */
    public parent: HostNode | null,
    public name: string,
    st: BigIntStats,
  ) {
    this.kind = Number(st.mode) & S_IFMT;
    this.hostDev = st.dev;
    this.hostIno = st.ino;
    this.key = `${st.dev}:${st.ino}`;
  }

  /** Is `s` the stat of this node's inode? (The type too: a freed inode number is soon reused.) */
  holds(s: BigIntStats): boolean {
    return s.ino === this.hostIno && s.dev === this.hostDev && (Number(s.mode) & S_IFMT) === this.kind;
  }

  /** Runs `f` on the entry that names this node and its lstat, after checking it still names it (stat, readlink, lutimes). */
  private atEntry<T>(f: (s: BigIntStats, p: Buffer) => T): T | number {
    if (this.parent === null) return -E.EINVAL;
    return this.fs.entry(this.parent, this.name, (p) => {
      const s = lstat(p);
      return this.holds(s) ? f(s, p) : -E.ENOENT;
    });
  }

  stat(): Stat | number {
    return this.fs.known(this, 'stat', () => {
      if (this.kind === S_IFDIR || this.parent === null) return this.fs.withNode(this, (fd) => this.fs.mapStat(fstat(fd)));
      return this.atEntry((s) => this.fs.mapStat(s));
    });
  }

  lookup(name: string): HostNode | number {
    const find = (): HostNode | number => {
      const st = this.fs.entry(this, name, lstat);
      if (typeof st === 'number') return st;
      return this.fs.hide?.(this, name, st) ? -E.ENOENT : this.fs.adopt(this, name, st);
    };
    return this.fs.cache ? this.fs.cache.child(this, name, find) : find();
  }

  readlink(): string | number {
    return this.fs.known(this, 'target', () => this.atEntry((_s, p) => fs.readlinkSync(p, { encoding: 'buffer' }).toString('latin1')));
  }

  /** A new array each time: the caller may add to it. */
  readdir(): DirEntry[] | number {
    const list = this.fs.known(this, 'list', () => this.listHost());
    return typeof list === 'number' ? list : list.slice();
  }

  private listHost(): DirEntry[] | number {
    return this.fs.withNode(this, (fd) => {
      const out: DirEntry[] = [];
      for (const raw of fs.readdirSync(procFd(fd), { encoding: 'buffer' })) {
        const name = raw.toString('latin1');
        const s = guard(() => lstat(procAt(fd, name)));
        if (typeof s === 'number' || this.fs.hide?.(this, name, s)) continue; // vanished meanwhile, or hidden
        out.push({ name, ino: this.fs.inos.forHost(s.dev, s.ino), kind: Number(s.mode) & S_IFMT });
      }
      return out;
    });
  }

  open(flags: number): FileDescription | number {
    if (this.kind === S_IFSOCK) return -E.ENXIO;
    if (this.kind !== S_IFREG || this.parent === null) return -E.EACCES;
    const acc = flags & O_ACCMODE;
    if (acc !== O_RDONLY && this.fs.readOnly) return -E.EROFS;
    const hostFlags = acc | SAFE | (flags & O_TRUNC && !this.fs.readOnly ? H.O_TRUNC : 0);
    const dir = this.parent;
    return this.fs.openFile(flags, () => {
      const fd = this.fs.entry(dir, this.name, (p) => {
        const fd = fs.openSync(p, hostFlags);
        if (this.holds(fstat(fd))) return fd;
        fs.closeSync(fd);
        return -E.ENOENT; // replaced since the walk looked at it
      });
      return fd === -E.ELOOP ? -E.ENOENT : fd; // replaced by a symlink
    });
  }

  create(name: string, mode: number, flags: number, _cred: Cred): FileDescription | number {
    if (this.fs.readOnly) return -E.EROFS;
    const m = hostMode(S_IFREG, mode);
    return this.fs.openFile(flags, () =>
      this.fs.entry(this, name, (p) => {
        const fd = fs.openSync(p, (flags & O_ACCMODE) | H.O_CREAT | H.O_EXCL | SAFE, m);
        try {
          fs.fchmodSync(fd, m); // not narrowed by the host umask
        } catch (e) {
          fs.closeSync(fd);
          throw e;
        }
        return fd;
      }),
    );
  }

  mkdir(name: string, mode: number, _cred: Cred): number {
    if (this.fs.readOnly) return -E.EROFS;
    const m = hostMode(S_IFDIR, mode);
    return this.fs.entry(this, name, (p) => {
      fs.mkdirSync(p, { mode: m });
      // Not narrowed by the host umask, and without the set-group-ID bit a host parent would pass on.
      const fd = fs.openSync(p, DIR_PIN);
      try {
        fs.chmodSync(procFd(fd), m);
      } finally {
        fs.closeSync(fd);
      }
      return 0;
    });
  }

  symlink(name: string, target: string, _cred: Cred): number {
    if (this.fs.readOnly) return -E.EROFS;
    return this.fs.entry(this, name, (p) => (fs.symlinkSync(hostPath(target), p), 0));
  }

  /** link(2) does not follow the source's last component either: a symlink is linked itself. */
  link(name: string, target: VNode): number {
    if (this.fs.readOnly) return -E.EROFS;
    if (!(target instanceof HostNode) || target.fs !== this.fs) return -E.EXDEV;
    if (target.parent === null || target.kind === S_IFDIR) return -E.EPERM;
    const src = this.fs.ownDirFd(target.parent);
    if (src < 0) return src;
    try {
      const from = procAt(src, target.name);
      return this.fs.entry(this, name, (p) => (target.holds(lstat(from)) ? (fs.linkSync(from, p), 0) : -E.ENOENT));
    } finally {
      fs.closeSync(src);
    }
  }

  unlink(name: string): number {
    if (this.fs.readOnly) return -E.EROFS;
    return this.fs.entry(this, name, (p) => (fs.unlinkSync(p), 0));
  }

  rmdir(name: string): number {
    if (this.fs.readOnly) return -E.EROFS;
    return this.fs.entry(this, name, (p) => (fs.rmdirSync(p), 0));
  }

  /** VNode.encloses, on where the nodes were last seen; the host's rename(2) checks the real tree again. */
  encloses(other: VNode): boolean {
    if (!(other instanceof HostNode) || other.fs !== this.fs) return false;
    for (let a: HostNode | null = other; a; a = a.parent) if (a.key === this.key) return true;
    return false;
  }

  /** Node has no renameat2: NOREPLACE is checked then renamed (the guest cannot race it), EXCHANGE is EINVAL. */
  rename(name: string, newDir: VNode, newName: string, flags: number): number {
    if (this.fs.readOnly) return -E.EROFS;
    if (!(newDir instanceof HostNode) || newDir.fs !== this.fs) return -E.EXDEV;
    if (flags & RENAME_EXCHANGE) return -E.EINVAL;
    if (!isComponent(newName)) return -E.EINVAL;
    const dst = this.fs.ownDirFd(newDir);
    if (dst < 0) return dst;
    try {
      const to = procAt(dst, newName);
      if (flags & RENAME_NOREPLACE && typeof guard(() => lstat(to)) !== 'number') return -E.EEXIST;
      const st = this.fs.entry(this, name, (p) => {
        const s = lstat(p);
        fs.renameSync(p, to);
        return s;
      });
      if (typeof st === 'number') return st;
      this.fs.moved(st, this, name, newDir, newName);
      return 0;
    } finally {
      fs.closeSync(dst);
    }
  }

  setattr(attr: SetAttr): number {
    if (this.fs.readOnly) return -E.EROFS;
    const { mode, size, atime, mtime } = attr;
    if (this.kind === S_IFLNK) {
      if (mode !== undefined || size !== undefined) return -E.EOPNOTSUPP;
      return this.atEntry((s, p) => {
        fs.lutimesSync(p, atime ? seconds(atime) : Number(s.atimeNs) / 1e9, mtime ? seconds(mtime) : Number(s.mtimeNs) / 1e9);
        return 0;
      });
    }
    // Through the handle's magic link, each call reaches exactly this inode.
    return this.fs.withNode(this, (fd) => {
      const p = procFd(fd);
      if (mode !== undefined) fs.chmodSync(p, hostMode(this.kind, mode));
      if (size !== undefined) fs.truncateSync(p, size);
      if (atime || mtime) {
        const s = fstat(fd);
        fs.utimesSync(p, atime ? seconds(atime) : Number(s.atimeNs) / 1e9, mtime ? seconds(mtime) : Number(s.mtimeNs) / 1e9);
      }
      return 0;
    });
  }

  statfs(): StatFs | number {
    const flags = this.fs.readOnly ? ST_RDONLY : 0;
    return this.fs.withNode(this, (fd) => hostStatfs(fs.statfsSync(procFd(fd), { bigint: true }), this.fs.dev, flags));
  }
}

/** An open host regular file: positional reads and writes on a host fd, returned to its budget on close. */
export class HostFileDescription extends FileDescription {
  private fd: number;

  constructor(
    flags: number,
    private readonly fs: HostFs,
    fd: number,
    private readonly budget: HostFdBudget,
  ) {
    super(flags);
    this.fd = fd;
  }

  private io<T>(f: (fd: number) => T): T | number {
    return this.fd < 0 ? -E.EBADF : guard(() => f(this.fd));
  }

  stat(): Stat | number {
    return this.io((fd) => this.fs.mapStat(fstat(fd)));
  }

  protected override readAt(buf: Uint8Array, len: number, pos: number): number {
    return this.io((fd) => fs.readSync(fd, buf, 0, len, pos));
  }

  protected override writeAt(buf: Uint8Array, len: number, pos: number): number {
    return this.io((fd) => fs.writeSync(fd, buf, 0, len, pos));
  }

  protected override size(): number {
    const s = this.io((fd) => fs.fstatSync(fd).size);
    return s < 0 ? 0 : s;
  }

  protected override resize(len: number): number {
    return this.io((fd) => (fs.ftruncateSync(fd, len), 0));
  }

  override fsync(): number {
    return this.io((fd) => (fs.fsyncSync(fd), 0));
  }

  override close(): void {
    if (this.fd < 0) return;
    guard(() => fs.closeSync(this.fd));
    this.fd = -1;
    this.budget.give();
  }
}
