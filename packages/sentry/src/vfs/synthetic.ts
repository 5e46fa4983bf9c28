import { E } from '../errno.js';
import { S_IFCHR, S_IFDIR, S_IFLNK } from './constants.js';
import { FileDescription } from './file.js';
import { InoTable } from './ino.js';
import { type DirEntry, type Filesystem, ReadOnlyNode } from './node.js';
import { emptyStatfs, now, type Stat, type StatFs, syntheticStat, TMPFS_MAGIC } from './stat.js';

/** Behaviour of a character device: what read and write do, ignoring the offset. */
export interface CharOps {
  read(buf: Uint8Array, len: number): number;
  write(buf: Uint8Array, len: number): number;
  /** A stream (a terminal) refuses pread/pwrite/lseek with ESPIPE. */
  stream?: boolean;
}

/** A device whose open makes a description of its own (a terminal); `stat` is the node's, for fstat. */
export interface DeviceOpener {
  open(flags: number, stat: () => Stat): FileDescription | number;
}

/**
 * A filesystem built in code: a fixed tree of directories, symlinks and
 * character devices, all owned by root. The guest cannot add or remove names
 * (EPERM). /dev is one; a synthetic /proc can use the same pieces or
 * implement VNode itself, and is attached with Vfs.mount().
 */
export class SyntheticFs implements Filesystem {
  dev = 0;
  readonly inos = new InoTable();
  readonly top: SynthDir;

  constructor(readonly magic = TMPFS_MAGIC) {
    this.top = new SynthDir(this, S_IFDIR | 0o755);
  }

  root(): SynthDir {
    return this.top;
  }
}

abstract class SynthNode extends ReadOnlyNode {
  readonly ino: number;
  private readonly born = now();
  protected override readonly denied = -E.EPERM;

  constructor(
    readonly fs: SyntheticFs,
    readonly mode: number,
    private readonly rdev = 0,
  ) {
    super();
    this.ino = fs.inos.fresh();
  }

  get kind(): number {
    return this.mode & 0o170000;
  }

  protected size(): number {
    return 0;
  }

  stat(): Stat {
    return syntheticStat(this.fs.dev, this.ino, this.mode, this.born, { rdev: this.rdev, size: this.size() });
  }

  open(_flags: number): FileDescription | number {
    return -E.EACCES;
  }

  statfs(): StatFs {
    return emptyStatfs(this.fs.magic, this.fs.dev);
  }
}

export class SynthDir extends SynthNode {
  private readonly children = new Map<string, SynthNode>();

  /** Adds (or returns) a subdirectory. */
  addDir(name: string, perm = 0o755): SynthDir {
    const have = this.children.get(name);
    if (have instanceof SynthDir) return have;
    const d = new SynthDir(this.fs, S_IFDIR | perm);
    this.children.set(name, d);
    return d;
  }

  addDevice(name: string, rdev: number, ops: CharOps | DeviceOpener, perm = 0o666): void {
    this.children.set(name, new SynthDevice(this.fs, S_IFCHR | perm, rdev, ops));
  }

  addSymlink(name: string, target: string): void {
    this.children.set(name, new SynthLink(this.fs, target));
  }

  override lookup(name: string): SynthNode | number {
    return this.children.get(name) ?? -E.ENOENT;
  }

  override readdir(): DirEntry[] {
    return [...this.children].map(([name, n]) => ({ name, ino: n.ino, kind: n.kind }));
  }
}

class SynthLink extends SynthNode {
  constructor(
    fs: SyntheticFs,
    private readonly target: string,
  ) {
    super(fs, S_IFLNK | 0o777);
  }

  protected override size(): number {
    return this.target.length;
  }

  override readlink(): string {
    return this.target;
  }
}

class SynthDevice extends SynthNode {
  constructor(
    fs: SyntheticFs,
    mode: number,
    rdev: number,
    private readonly ops: CharOps | DeviceOpener,
  ) {
    super(fs, mode, rdev);
  }

  override open(flags: number): FileDescription | number {
    const ops = this.ops;
    return 'open' in ops ? ops.open(flags, () => this.stat()) : new CharDescription(flags, this, ops);
  }
}

class CharDescription extends FileDescription {
  constructor(
    flags: number,
    private readonly node: SynthNode,
    private readonly ops: CharOps,
  ) {
    super(flags);
  }

  stat(): Stat {
    return this.node.stat();
  }

  protected override get seekable(): boolean {
    return !this.ops.stream;
  }

  protected override readAt(buf: Uint8Array, len: number): number {
    return this.ops.read(buf, len);
  }

  protected override writeAt(buf: Uint8Array, len: number): number {
    return this.ops.write(buf, len);
  }
}
