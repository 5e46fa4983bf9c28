// The building blocks of /proc: directories whose entries are computed when
// they are looked up or listed, symlinks whose targets are computed when
// read, and read-only files whose text is generated when opened (a snapshot,
// as a seq_file is filled on the first read). Nothing can be created,
// removed or written (EACCES, as Linux answers for /proc).
//
// Memory: a guest can hold a snapshot open per descriptor, so each one is
// charged to the sandbox's memory account while it is open (as Linux
// charges seq_file buffers to the memory cgroup): past the limit, open
// fails with ENOMEM instead of growing the host.
import { E } from '../errno.js';
import type { MemoryAccount } from '../mm/account.js';
import {
  emptyStatfs,
  type DirEntry,
  FileDescription,
  type Filesystem,
  type Location,
  O_ACCMODE,
  O_RDONLY,
  ReadOnlyNode,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  type Stat,
  type StatFs,
  syntheticStat,
  type Timespec,
  now,
} from '../vfs/index.js';

export const PROC_SUPER_MAGIC = 0x9fa0;
/** Host bytes an open snapshot costs besides its text: the description and its buffer object. */
export const SNAPSHOT_COST = 256;

/** What snapshots are charged to. */
export type SnapshotAccount = Pick<MemoryAccount, 'charge' | 'uncharge'>;

/** Who owns a node: /proc/<pid> entries belong to the process's effective ids. */
export interface Owner {
  uid: number;
  gid: number;
}

const ROOT: Owner = { uid: 0, gid: 0 };

/** The filesystem part of /proc: device number, stable inode numbers by key, mount time. */
export class ProcFsBase implements Filesystem {
  dev = 0;
  readonly born: Timespec = now();
  readonly #inos = new Map<string, number>();
  #next = 2;

  /** `account`: what open files' snapshots are charged to (none: uncharged, for tests of other things). */
  constructor(
    readonly rootNode: () => ProcNode,
    readonly account: SnapshotAccount | null = null,
  ) {}

  root(): ProcNode {
    return this.rootNode();
  }

  /** The inode number for `key` ("/" for the root, "42/fd/3", ...): the same for the whole run. */
  ino(key: string): number {
    let n = this.#inos.get(key);
    if (n === undefined) {
      n = this.#next++;
      this.#inos.set(key, n);
    }
    return n;
  }
}

export abstract class ProcNode extends ReadOnlyNode {
  readonly ino: number;
  protected override readonly denied = -E.EACCES;

  constructor(
    readonly fs: ProcFsBase,
    key: string,
    readonly mode: number,
    readonly owner: Owner = ROOT,
  ) {
    super();
    this.ino = fs.ino(key);
  }

  get kind(): number {
    return this.mode & S_IFMT;
  }

  stat(): Stat {
    return syntheticStat(this.fs.dev, this.ino, this.mode, this.fs.born, {
      uid: this.owner.uid,
      gid: this.owner.gid,
      blksize: 1024,
    });
  }

  open(_flags: number): FileDescription | number {
    return -E.EACCES;
  }

  statfs(): StatFs {
    return emptyStatfs(PROC_SUPER_MAGIC);
  }
}

/** A directory listing `names()`, each looked up by `child()` (undefined: gone, ENOENT). */
export class ProcDir extends ProcNode {
  constructor(
    fs: ProcFsBase,
    key: string,
    private readonly names: () => string[],
    private readonly child: (name: string) => ProcNode | undefined,
    owner?: Owner,
    perm = 0o555,
  ) {
    super(fs, key, S_IFDIR | perm, owner);
  }

  override lookup(name: string): ProcNode | number {
    return this.child(name) ?? -E.ENOENT;
  }

  override readdir(): DirEntry[] {
    const out: DirEntry[] = [];
    for (const name of this.names()) {
      const n = this.child(name);
      if (n !== undefined) out.push({ name, ino: n.ino, kind: n.kind });
    }
    return out;
  }
}

/** A symlink whose text is computed when read (a negative errno: it has gone). */
export class ProcLink extends ProcNode {
  constructor(
    fs: ProcFsBase,
    key: string,
    private readonly target: () => string | number,
    owner?: Owner,
    perm = 0o777,
  ) {
    super(fs, key, S_IFLNK | perm, owner);
  }

  override readlink(): string | number {
    return this.target();
  }
}

/**
 * A magic link (VNode.jump): readlink shows `target`, following it goes to the
 * location `to` returns, a descriptor's object, the executable, a directory.
 * `size` is what lstat reports (Linux: 64 for fd links, 0 otherwise).
 */
export class ProcMagicLink extends ProcLink {
  constructor(
    fs: ProcFsBase,
    key: string,
    target: () => string | number,
    private readonly to: () => Location | number,
    owner?: Owner,
    perm?: number,
    private readonly size = 0,
  ) {
    super(fs, key, target, owner, perm);
  }

  jump(): Location | number {
    return this.to();
  }

  override stat(): Stat {
    return { ...super.stat(), size: this.size };
  }
}

/**
 * A read-only file whose bytes are generated at open: a binary string (one
 * character per byte, as guest paths and names are held) or bytes; a
 * negative errno fails the open (the process has gone).
 */
export class ProcFile extends ProcNode {
  constructor(
    fs: ProcFsBase,
    key: string,
    private readonly text: () => string | Uint8Array | number,
    owner?: Owner,
    perm = 0o444,
  ) {
    super(fs, key, S_IFREG | perm, owner);
  }

  /** ENOMEM when the sandbox's account cannot hold the snapshot. */
  override open(flags: number): FileDescription | number {
    if ((flags & O_ACCMODE) !== O_RDONLY) return -E.EACCES;
    const t = this.text();
    if (typeof t === 'number') return t;
    const data = typeof t === 'string' ? new Uint8Array(Buffer.from(t, 'latin1')) : t;
    const account = this.fs.account;
    const cost = SNAPSHOT_COST + data.length;
    if (account !== null && !account.charge(cost)) return -E.ENOMEM;
    return new SnapshotDescription(flags, this, data, account === null ? null : { account, cost });
  }
}

class SnapshotDescription extends FileDescription {
  constructor(
    flags: number,
    private readonly node: ProcNode,
    private data: Uint8Array,
    /** What opening charged, given back once by close(). */
    private charged: { account: SnapshotAccount; cost: number } | null,
  ) {
    super(flags);
  }

  override close(): void {
    this.charged?.account.uncharge(this.charged.cost);
    this.charged = null;
    this.data = new Uint8Array(0);
  }

  stat(): Stat {
    return this.node.stat();
  }

  protected override size(): number {
    return this.data.length;
  }

  protected override readAt(buf: Uint8Array, len: number, pos: number): number {
    if (pos >= this.data.length) return 0;
    const n = Math.min(len, this.data.length - pos);
    buf.set(this.data.subarray(pos, pos + n));
    return n;
  }
}
