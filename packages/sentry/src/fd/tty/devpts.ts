// devpts, mounted at /dev/pts: one character device per live pseudo-
// terminal, /dev/pts/N (major 136, minor N, owned by whoever opened
// /dev/ptmx, group tty, mode 0620), gone when its master closes. Inode
// numbers are Linux's (root 1, N + 3), so ttyname() matches fstat against
// stat of the path as it does on Linux.
import { E } from '../../errno.js';
import {
  emptyStatfs,
  type DirEntry,
  type FileDescription,
  type Filesystem,
  makedev,
  now,
  ReadOnlyNode,
  type SetAttr,
  S_IFCHR,
  S_IFDIR,
  type Stat,
  type StatFs,
  syntheticStat,
} from '../../vfs/index.js';
import type { Pty } from './pty.js';

const DEVPTS_SUPER_MAGIC = 0x1cd1;
export const PTY_SLAVE_MAJOR = 136;
/** The tty group, as devpts's gid=5 mount option gives it. */
const TTY_GID = 5;

/** What devpts asks of the sandbox's terminals. */
export interface PtsTable {
  ptys(): Iterable<Pty>;
  pty(index: number): Pty | undefined;
  /** open(2) of /dev/pts/N: the slave, which may become the caller's controlling terminal. */
  openPts(pty: Pty, flags: number, stat: () => Stat): FileDescription | number;
}

export class DevPts implements Filesystem {
  dev = 0;
  readonly #root: PtsDir;
  /** The node of each live pty, made at its first lookup (its mode can change: chmod, mesg). */
  readonly #nodes = new WeakMap<Pty, PtsNode>();

  constructor(readonly table: PtsTable) {
    this.#root = new PtsDir(this);
  }

  root(): PtsDir {
    return this.#root;
  }

  nodeOf(pty: Pty): PtsNode {
    let n = this.#nodes.get(pty);
    if (n === undefined) {
      n = new PtsNode(this, pty);
      this.#nodes.set(pty, n);
    }
    return n;
  }
}

abstract class PtsBase extends ReadOnlyNode {
  protected override readonly denied = -E.EPERM;

  constructor(readonly fs: DevPts) {
    super();
  }

  statfs(): StatFs {
    return emptyStatfs(DEVPTS_SUPER_MAGIC, this.fs.dev);
  }
}

class PtsDir extends PtsBase {
  readonly kind = S_IFDIR;
  readonly #born = now();

  stat(): Stat {
    return syntheticStat(this.fs.dev, 1, S_IFDIR | 0o755, this.#born, { blksize: 1024 });
  }

  open(): number {
    return -E.EISDIR;
  }

  override lookup(name: string): PtsNode | number {
    if (!/^(0|[1-9][0-9]{0,8})$/.test(name)) return -E.ENOENT;
    const pty = this.fs.table.pty(Number(name));
    return pty === undefined ? -E.ENOENT : this.fs.nodeOf(pty);
  }

  override readdir(): DirEntry[] {
    return [...this.fs.table.ptys()].map((p) => ({ name: String(p.index), ino: p.index + 3, kind: S_IFCHR }));
  }
}

class PtsNode extends PtsBase {
  readonly kind = S_IFCHR;
  #perm = 0o620;
  #uid: number;
  #gid = TTY_GID;
  #changed = now();

  constructor(
    fs: DevPts,
    readonly pty: Pty,
  ) {
    super(fs);
    this.#uid = pty.uid;
  }

  stat(): Stat {
    return syntheticStat(this.fs.dev, this.pty.index + 3, S_IFCHR | this.#perm, this.#changed, {
      uid: this.#uid,
      gid: this.#gid,
      rdev: makedev(PTY_SLAVE_MAJOR, this.pty.index),
      blksize: 1024,
    });
  }

  open(flags: number): FileDescription | number {
    if (this.pty.hungUp) return -E.EIO;
    return this.fs.table.openPts(this.pty, flags, () => this.stat());
  }

  /** chmod (grantpt, mesg) is kept; the VFS has checked ownership. */
  override setattr(attr: SetAttr): number {
    if (attr.size !== undefined) return -E.EINVAL;
    if (attr.mode !== undefined) this.#perm = attr.mode & 0o7777;
    this.#changed = now();
    return 0;
  }
}
