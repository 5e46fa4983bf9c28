// memfd: an anonymous in-memory file (Linux mm/memfd.c over shmem).
//
// The file is an in-memory inode (../vfs/mem.ts MemFile) that no directory
// names (nlink 0, as Linux shows), on a device of its own per sandbox, its
// bytes and inode charged to the sandbox's store like /dev/shm's files; it
// lives while a description (or a shared mapping, which holds one) refers
// to it. Its descriptions are regular files: read, write, lseek, ftruncate,
// and mmap through the page cache (MAP_SHARED memory is shared across fork
// because the page cache is). /proc/<pid>/fd shows `/memfd:NAME (deleted)`,
// and opening that link reopens the same file.
//
// Seals (F_ADD_SEALS, F_GET_SEALS) belong to the file: F_SEAL_SEAL forbids
// more seals, F_SEAL_SHRINK/GROW forbid truncating below/above the size
// and writes past it, F_SEAL_WRITE and F_SEAL_FUTURE_WRITE forbid writes
// and writable shared mappings (EPERM); F_SEAL_WRITE itself is EBUSY
// while a shared mapping that may write exists (../mm/vma.ts VMA_MAYWRITE:
// made through a writable description before the file was write-sealed,
// in any process, whatever its protection now); F_SEAL_EXEC fixes the
// execute bits and on an executable file brings the write seals with it,
// as Linux 6.3+.
import { E } from '../errno.js';
import type { MemStore } from '../vfs/budget.js';
import {
  emptyStatfs,
  type FileDescription,
  type Filesystem,
  Location,
  MemFileDescription,
  type Mount,
  O_RDWR,
  O_TRUNC,
  ReadOnlyNode,
  S_IFDIR,
  S_IFREG,
  type SetAttr,
  type Stat,
  type StatFs,
  type Vfs,
  type VNode,
} from '../vfs/index.js';
import { MemFile } from '../vfs/mem.js';
import { anonStat } from './anon.js';

export const MFD_CLOEXEC = 0x1;
export const MFD_ALLOW_SEALING = 0x2;
export const MFD_HUGETLB = 0x4;
export const MFD_NOEXEC_SEAL = 0x8;
export const MFD_EXEC = 0x10;
export const F_SEAL_SEAL = 0x1;
export const F_SEAL_SHRINK = 0x2;
export const F_SEAL_GROW = 0x4;
export const F_SEAL_WRITE = 0x8;
export const F_SEAL_FUTURE_WRITE = 0x10;
export const F_SEAL_EXEC = 0x20;
export const ALL_SEALS = 0x3f;
const WRITE_SEALS = F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
/** NAME_MAX less "memfd:". */
export const MFD_NAME_MAX = 249;
const TMPFS_MAGIC = 0x01021994;
const EXEC_BITS = 0o111;
const ROOT_INO = 1;
/** What open(2) adds on 64-bit and memfd_create sets: F_GETFL shows it. */
const O_LARGEFILE = 0o100000;

/** Where a sandbox's memfds live: their device, store and inode numbers. */
export class MemfdSpace implements Filesystem {
  dev: number;
  readonly store: MemStore;
  #nextIno = ROOT_INO + 1;
  readonly #mount: Mount;

  constructor(dev: number, store: MemStore) {
    this.dev = dev;
    this.store = store;
    this.#mount = { path: '', fs: this, readOnly: false };
  }

  /** Linux's internal shmem mount has a root no path reaches; here it is an empty directory. */
  root(): VNode {
    return new EmptyRoot(this);
  }

  /**
   * A new memfd named `name` (text after "memfd:") with `flags`
   * (MFD_ALLOW_SEALING, MFD_NOEXEC_SEAL, MFD_EXEC), owned by uid/gid:
   * -ENOSPC when the store cannot take one more inode (Linux: ENOMEM or ENOSPC).
   */
  create(name: string, flags: number, uid: number, gid: number): MemfdDescription | number {
    if (!this.store.addInode(0)) return -E.ENOMEM;
    const noexec = (flags & MFD_NOEXEC_SEAL) !== 0;
    const file = new MemFile(this.#nextIno++, S_IFREG | (noexec ? 0o666 : 0o777), uid, gid);
    file.nlink = 0;
    const seals = noexec ? F_SEAL_EXEC : flags & MFD_ALLOW_SEALING ? 0 : F_SEAL_SEAL;
    const node = new MemfdNode(this, file, seals);
    const f = new MemfdDescription(O_RDWR | O_LARGEFILE, node);
    f.location = new Location(this.#mount, node, `/memfd:${name}`, null);
    return f;
  }
}

/** The inode of a memfd: its bytes and its seals. */
export class MemfdNode extends ReadOnlyNode {
  readonly kind = S_IFREG;
  /** The shared mappings that may write the file (Linux's i_mmap_writable): F_SEAL_WRITE is EBUSY while there are any. */
  writableMaps = 0;

  constructor(
    readonly fs: MemfdSpace,
    readonly file: MemFile,
    public seals: number,
  ) {
    super();
  }

  stat(): Stat {
    return this.file.stat(this.fs.dev);
  }

  /** A new description of the same file (open of /proc/<pid>/fd/N); O_TRUNC truncates it unless sealed. */
  open(flags: number): MemfdDescription | number {
    if (flags & O_TRUNC) {
      const r = this.setattr({ size: 0 });
      if (r < 0) return r;
    }
    return new MemfdDescription(flags, this);
  }

  /** chmod, truncate and times of the file; F_SEAL_EXEC forbids changing the execute bits. */
  override setattr(attr: SetAttr): number {
    if (attr.mode !== undefined && this.seals & F_SEAL_EXEC && ((attr.mode ^ this.file.mode) & EXEC_BITS) !== 0) return -E.EPERM;
    if (attr.size !== undefined) {
      const r = this.resizeCheck(attr.size);
      if (r < 0) return r;
      this.file.resize(this.fs.store, attr.size);
    }
    if (attr.mode !== undefined) this.file.mode = S_IFREG | (attr.mode & 0o7777);
    if (attr.atime !== undefined) this.file.atime = attr.atime;
    if (attr.mtime !== undefined) this.file.mtime = attr.mtime;
    return 0;
  }

  /** Whether the seals allow resizing to `len`: 0 or -EPERM. */
  resizeCheck(len: number): number {
    const size = this.file.length;
    if (this.seals & F_SEAL_SHRINK && len < size) return -E.EPERM;
    if (this.seals & F_SEAL_GROW && len > size) return -E.EPERM;
    return 0;
  }

  /** F_SEAL_WRITE or F_SEAL_FUTURE_WRITE: no write, and no shared mapping made from now on may write. */
  get writeSealed(): boolean {
    return (this.seals & WRITE_SEALS) !== 0;
  }

  /** Whether the seals allow writing `len` bytes at `pos`: 0 or -EPERM. */
  writeCheck(pos: number, len: number): number {
    if (this.writeSealed) return -E.EPERM;
    if (this.seals & F_SEAL_GROW && pos + len > this.file.length) return -E.EPERM;
    return 0;
  }

  statfs(): StatFs {
    return emptyStatfs(TMPFS_MAGIC);
  }
}

/** An open memfd: an in-memory file whose writes and truncation obey the seals. */
export class MemfdDescription extends MemFileDescription {
  readonly node: MemfdNode;

  constructor(flags: number, node: MemfdNode) {
    super(flags, node.file, node.fs.store, () => node.fs.dev);
    this.node = node;
  }

  protected override writeAt(buf: Uint8Array, len: number, pos: number): number {
    const r = this.node.writeCheck(pos, len);
    return r < 0 ? r : super.writeAt(buf, len, pos);
  }

  protected override resize(len: number): number {
    const r = this.node.resizeCheck(len);
    return r < 0 ? r : super.resize(len);
  }
}

/** The root of a MemfdSpace: an empty directory. */
class EmptyRoot extends ReadOnlyNode {
  readonly kind = S_IFDIR;

  constructor(readonly fs: MemfdSpace) {
    super();
  }

  stat(): Stat {
    return { ...anonStat(), dev: this.fs.dev, ino: ROOT_INO, mode: S_IFDIR | 0o1777, nlink: 2 };
  }

  override lookup(): number {
    return -E.ENOENT;
  }

  override readdir(): [] {
    return [];
  }

  open(): number {
    return -E.EISDIR;
  }

  statfs(): StatFs {
    return emptyStatfs(TMPFS_MAGIC);
  }
}

export function isMemfd(f: FileDescription): f is MemfdDescription {
  return f instanceof MemfdDescription;
}

/**
 * F_ADD_SEALS of known `seals` through a writable description (the caller
 * checked both): EPERM once the file is sealed against sealing; F_SEAL_WRITE
 * is EBUSY while a shared mapping may write the file.
 */
export function addSeals(f: MemfdDescription, seals: number): number {
  const node = f.node;
  if (node.seals & F_SEAL_SEAL) return -E.EPERM;
  if (seals & F_SEAL_WRITE && !(node.seals & F_SEAL_WRITE) && node.writableMaps > 0) return -E.EBUSY;
  let add = seals;
  if (add & F_SEAL_EXEC && node.file.mode & EXEC_BITS) add |= F_SEAL_SHRINK | F_SEAL_GROW | WRITE_SEALS;
  node.seals |= add;
  return 0;
}

/** mmap of a memfd: a writable shared mapping is EPERM under a write seal. */
export function mapSealed(f: FileDescription, shared: boolean, writable: boolean): boolean {
  return isMemfd(f) && shared && writable && f.node.writeSealed;
}

const spaces = new WeakMap<Vfs, MemfdSpace>();

/** The memfds of the sandbox whose namespace is `vfs`. */
export function memfdSpace(vfs: Vfs): MemfdSpace {
  let s = spaces.get(vfs);
  if (s === undefined) {
    const { dev, store } = vfs.detachedMemory();
    spaces.set(vfs, (s = new MemfdSpace(dev, store)));
  }
  return s;
}
