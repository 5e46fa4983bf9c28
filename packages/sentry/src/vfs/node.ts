import { E } from '../errno.js';
import type { FileDescription } from './file.js';
import type { Location } from './location.js';
import type { Stat, StatFs, Timespec } from './stat.js';

/** Credentials a permission check is made against. */
export interface Cred {
  uid: number;
  gid: number;
  groups?: readonly number[];
}

export const ROOT_CRED: Cred = { uid: 0, gid: 0 };

/** One directory entry as a filesystem lists it (without "." and ".."). */
export interface DirEntry {
  /** Binary string (see path.ts). */
  name: string;
  ino: number;
  /** S_IFMT bits of the entry's mode. */
  kind: number;
}

/** Attribute changes; absent fields are left alone. */
export interface SetAttr {
  mode?: number;
  size?: number;
  atime?: Timespec;
  mtime?: Timespec;
}

/** A mountable filesystem. `dev` is assigned once, when it is mounted. */
export interface Filesystem {
  dev: number;
  root(): VNode;
}

/**
 * An inode-like object of one filesystem. The VFS walks paths itself and calls
 * these with single, validated components (never "", ".", ".." or containing
 * "/"); it has already checked permissions, read-only mounts, and the type of
 * the node (directory methods are only called on directories). Every method
 * returns a negative errno instead of throwing.
 */
export interface VNode {
  readonly fs: Filesystem;
  /** S_IFMT bits: stable for the life of the node. */
  readonly kind: number;
  stat(): Stat | number;
  lookup(name: string): VNode | number;
  readlink(): string | number;
  /**
   * Only on a magic link (/proc/<pid>/fd/N, exe, cwd, root): where following
   * it leads, taken from the kernel's own state, not by resolving the text
   * readlink() shows. The walk lands on that location as it is; it is never
   * a host path.
   */
  jump?(): Location | number;
  readdir(): DirEntry[] | number;
  /**
   * Opens this node, which is neither a directory (the VFS opens those itself
   * from readdir) nor a symlink. O_TRUNC is applied here.
   */
  open(flags: number): FileDescription | number;
  /**
   * Creates the regular file `name` (which does not exist) and opens it with
   * `flags`; the new file's own mode does not restrict this first open.
   */
  create(name: string, mode: number, flags: number, cred: Cred): FileDescription | number;
  mkdir(name: string, mode: number, cred: Cred): number;
  symlink(name: string, target: string, cred: Cred): number;
  /**
   * Creates the special file `name` (which does not exist): `mode` holds
   * its type and permissions. Only socket inodes (S_IFSOCK, made by a
   * socket's bind) are made; absent on filesystems that cannot hold them
   * (the VFS answers EPERM).
   */
  mknod?(name: string, mode: number, cred: Cred): number;
  link(name: string, target: VNode): number;
  unlink(name: string): number;
  /** Removes the directory `name`; ENOTEMPTY unless it is empty. */
  rmdir(name: string): number;
  /** Moves `name` to `newDir`/`newName` on the same filesystem (flags: RENAME_*). */
  rename(name: string, newDir: VNode, newName: string, flags: number): number;
  /**
   * For rename's loop check, on a directory: is directory `other` this one
   * or beneath it? Decided on the filesystem's own nodes, never on path
   * text (a cwd's or dirfd's path goes stale when an ancestor is renamed).
   * Absent on filesystems whose rename cannot make a loop.
   */
  encloses?(other: VNode): boolean;
  setattr(attr: SetAttr): number;
  statfs(): StatFs | number;
}

/** Defaults for a filesystem whose namespace cannot be changed. */
export abstract class ReadOnlyNode implements VNode {
  abstract readonly fs: Filesystem;
  abstract readonly kind: number;
  abstract stat(): Stat | number;
  abstract open(flags: number): FileDescription | number;
  abstract statfs(): StatFs | number;
  protected readonly denied: number = -E.EROFS;

  lookup(_name: string): VNode | number {
    return -E.ENOTDIR;
  }
  readlink(): string | number {
    return -E.EINVAL;
  }
  readdir(): DirEntry[] | number {
    return -E.ENOTDIR;
  }
  create(_name: string, _mode: number, _flags: number, _cred: Cred): FileDescription | number {
    return this.denied;
  }
  mkdir(_name: string, _mode: number, _cred: Cred): number {
    return this.denied;
  }
  symlink(_name: string, _target: string, _cred: Cred): number {
    return this.denied;
  }
  link(_name: string, _target: VNode): number {
    return this.denied;
  }
  unlink(_name: string): number {
    return this.denied;
  }
  rmdir(_name: string): number {
    return this.denied;
  }
  rename(_name: string, _newDir: VNode, _newName: string, _flags: number): number {
    return this.denied;
  }
  setattr(_attr: SetAttr): number {
    return this.denied;
  }
}
