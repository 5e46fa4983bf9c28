import * as fs from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { E, hostErrno } from '../errno.js';
import { O_ACCMODE, O_RDONLY, O_TRUNC, RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from './constants.js';
import { FileDescription } from './file.js';
import { InoTable } from './ino.js';
import type { Cred, DirEntry, Filesystem, SetAttr, VNode } from './node.js';
import { hostPath, joinPath } from './path.js';
import { hostStat, hostStatfs, ST_RDONLY, type Stat, type StatFs, type Timespec } from './stat.js';

const H = fs.constants;
/** Every host open refuses a symlink in the last component and never blocks (a FIFO swapped in). */
const SAFE = H.O_NOFOLLOW | H.O_NONBLOCK;

function lstat(p: string): BigIntStats {
  return fs.lstatSync(hostPath(p), { bigint: true });
}

/** Runs `f` and turns a host exception into a negative errno. */
function guard<T>(f: () => T): T | number {
  try {
    return f();
  } catch (e) {
    return hostErrno(e);
  }
}

/** Opens `p` without following a final symlink, runs `f` on the fd, closes it. */
function withFd<T>(p: string, flags: number, f: (fd: number) => T): T {
  const fd = fs.openSync(hostPath(p), flags | SAFE);
  try {
    return f(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function seconds(t: Timespec): number {
  return t.sec + t.nsec / 1e9;
}

/**
 * A host directory tree. Lookups take one component at a time with lstat and
 * never follow a host symlink: symlinks are returned as nodes for the VFS to
 * resolve inside the sandbox namespace. Host paths are therefore always
 * `root/c1/c2/...` with components that were lstat'ed as real directories; a
 * concurrent host process could still swap one for a symlink between the
 * walk and the operation, which final opens narrow with O_NOFOLLOW and an
 * (dev, ino) check. Only regular files and directories are ever opened:
 * device nodes give EACCES (as on a nodev mount), sockets ENXIO.
 */
export class HostFs implements Filesystem {
  dev = 0;
  private readonly top: HostNode;

  /** Throws if `hostRoot` is not a directory: that is the operator's error, not the guest's. */
  constructor(
    hostRoot: string,
    readonly readOnly: boolean,
    readonly inos: InoTable = new InoTable(),
  ) {
    const real = fs.realpathSync(hostRoot);
    const st = fs.statSync(real, { bigint: true });
    if (!st.isDirectory()) throw new Error(`tsv: not a directory: ${hostRoot}`);
    this.top = new HostNode(this, Buffer.from(real).toString('latin1'), st);
  }

  root(): HostNode {
    return this.top;
  }

  mapStat(s: BigIntStats): Stat {
    return hostStat(s, this.dev, this.inos.forHost(s.dev, s.ino));
  }
}

export class HostNode implements VNode {
  readonly kind: number;

  constructor(
    readonly fs: HostFs,
    /** Host path as a binary string. */
    readonly path: string,
    private readonly st: BigIntStats,
  ) {
    this.kind = Number(st.mode) & S_IFMT;
  }

  private child(name: string): string {
    return joinPath(this.path, name);
  }

  stat(): Stat | number {
    return guard(() => this.fs.mapStat(lstat(this.path)));
  }

  lookup(name: string): HostNode | number {
    const p = this.child(name);
    return guard(() => new HostNode(this.fs, p, lstat(p)));
  }

  readlink(): string | number {
    return guard(() => fs.readlinkSync(hostPath(this.path), { encoding: 'buffer' }).toString('latin1'));
  }

  readdir(): DirEntry[] | number {
    const names = guard(() => fs.readdirSync(hostPath(this.path), { encoding: 'buffer' }));
    if (typeof names === 'number') return names;
    const out: DirEntry[] = [];
    for (const raw of names) {
      const name = raw.toString('latin1');
      const s = guard(() => lstat(this.child(name)));
      if (typeof s === 'number') continue; // vanished meanwhile
      out.push({ name, ino: this.fs.inos.forHost(s.dev, s.ino), kind: Number(s.mode) & S_IFMT });
    }
    return out;
  }

  open(flags: number): FileDescription | number {
    if (this.kind === S_IFSOCK) return -E.ENXIO;
    if (this.kind !== S_IFREG) return -E.EACCES;
    const acc = flags & O_ACCMODE;
    if (acc !== O_RDONLY && this.fs.readOnly) return -E.EROFS;
    const hostFlags = acc | SAFE | (flags & O_TRUNC && !this.fs.readOnly ? H.O_TRUNC : 0);
    return guard(() => {
      const fd = fs.openSync(hostPath(this.path), hostFlags);
      const s = fs.fstatSync(fd, { bigint: true });
      if (s.ino !== this.st.ino || s.dev !== this.st.dev || !s.isFile()) {
        fs.closeSync(fd);
        return -E.ENOENT; // replaced since the walk looked at it
      }
      return new HostFileDescription(flags, this.fs, fd);
    });
  }

  create(name: string, mode: number, flags: number, _cred: Cred): FileDescription | number {
    if (this.fs.readOnly) return -E.EROFS;
    return guard(() => {
      const fd = fs.openSync(hostPath(this.child(name)), (flags & O_ACCMODE) | H.O_CREAT | H.O_EXCL | SAFE, mode);
      fs.fchmodSync(fd, mode); // not narrowed by the host umask
      return new HostFileDescription(flags, this.fs, fd);
    });
  }

  mkdir(name: string, mode: number, _cred: Cred): number {
    if (this.fs.readOnly) return -E.EROFS;
    const p = this.child(name);
    return guard(() => {
      fs.mkdirSync(hostPath(p), { mode });
      withFd(p, H.O_RDONLY | H.O_DIRECTORY, (fd) => fs.fchmodSync(fd, mode)); // not narrowed by the host umask
      return 0;
    });
  }

  symlink(name: string, target: string, _cred: Cred): number {
    if (this.fs.readOnly) return -E.EROFS;
    return guard(() => (fs.symlinkSync(hostPath(target), hostPath(this.child(name))), 0));
  }

  link(name: string, target: VNode): number {
    if (this.fs.readOnly) return -E.EROFS;
    if (!(target instanceof HostNode) || target.fs !== this.fs) return -E.EXDEV;
    return guard(() => (fs.linkSync(hostPath(target.path), hostPath(this.child(name))), 0));
  }

  unlink(name: string): number {
    if (this.fs.readOnly) return -E.EROFS;
    return guard(() => (fs.unlinkSync(hostPath(this.child(name))), 0));
  }

  rmdir(name: string): number {
    if (this.fs.readOnly) return -E.EROFS;
    return guard(() => (fs.rmdirSync(hostPath(this.child(name))), 0));
  }

  /** Node has no renameat2: NOREPLACE is checked then renamed (the guest cannot race it), EXCHANGE is EINVAL. */
  rename(name: string, newDir: VNode, newName: string, flags: number): number {
    if (this.fs.readOnly) return -E.EROFS;
    if (!(newDir instanceof HostNode) || newDir.fs !== this.fs) return -E.EXDEV;
    if (flags & RENAME_EXCHANGE) return -E.EINVAL;
    const to = newDir.child(newName);
    if (flags & RENAME_NOREPLACE && typeof guard(() => lstat(to)) !== 'number') return -E.EEXIST;
    return guard(() => (fs.renameSync(hostPath(this.child(name)), hostPath(to)), 0));
  }

  setattr(attr: SetAttr): number {
    if (this.fs.readOnly) return -E.EROFS;
    return guard(() => {
      const { mode, size, atime, mtime } = attr;
      if (mode !== undefined) {
        // The fd form cannot follow a swapped-in symlink; the path form covers files we may not open.
        try {
          withFd(this.path, H.O_RDONLY, (fd) => fs.fchmodSync(fd, mode & 0o7777));
        } catch (e) {
          if ((e as { code?: string }).code !== 'EACCES') throw e;
          fs.chmodSync(hostPath(this.path), mode & 0o7777);
        }
      }
      if (size !== undefined) withFd(this.path, H.O_WRONLY, (fd) => fs.ftruncateSync(fd, size));
      if (atime || mtime) {
        const s = lstat(this.path);
        const a = atime ? seconds(atime) : Number(s.atimeNs) / 1e9;
        const m = mtime ? seconds(mtime) : Number(s.mtimeNs) / 1e9;
        if (this.kind === S_IFLNK) fs.lutimesSync(hostPath(this.path), a, m);
        else withFd(this.path, H.O_RDONLY, (fd) => fs.futimesSync(fd, a, m));
      }
      return 0;
    });
  }

  statfs(): StatFs | number {
    return guard(() => hostStatfs(fs.statfsSync(hostPath(this.path), { bigint: true }), this.fs.dev, this.fs.readOnly ? ST_RDONLY : 0));
  }
}

/** An open host regular file: positional reads and writes on a host fd. */
export class HostFileDescription extends FileDescription {
  private fd: number;

  constructor(
    flags: number,
    private readonly fs: HostFs,
    fd: number,
  ) {
    super(flags);
    this.fd = fd;
  }

  private io<T>(f: (fd: number) => T): T | number {
    return this.fd < 0 ? -E.EBADF : guard(() => f(this.fd));
  }

  stat(): Stat | number {
    return this.io((fd) => this.fs.mapStat(fs.fstatSync(fd, { bigint: true })));
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
    if (this.fd >= 0) guard(() => fs.closeSync(this.fd));
    this.fd = -1;
  }
}
