// Filesystem events, as Linux's fsnotify: the VFS and the open file
// descriptions report what happened to which inode and, when it was reached
// through a directory, under which name; a listener (inotify,
// ../fd/inotify/) hears them. Each Vfs has one FsEvents; while nobody
// listens every report is a null check.
//
// An inode is named by its "dev:ino" key. An event on a file is reported to
// the file and to its directory with the file's name (Linux's
// fsnotify_parent); directory-entry events (create, delete, moves) to the
// directory with the entry's name.
//
// IN_DELETE_SELF (and with it the watches' IN_IGNORED) says the inode is
// gone, which on Linux is when its last name is gone and nothing has it
// open any more (the dentry dies: fsnotify_inoderemove). So FsEvents counts
// the open descriptions of each inode (from the VFS's open to the final
// close, which a shared mapping delays as it holds its description), and an
// inode that loses its last name while open sends it at that close.
import type { FileDescription } from './file.js';
import type { Location } from './location.js';
import type { VNode } from './node.js';
import { S_IFDIR } from './constants.js';

export const IN_ACCESS = 0x1;
export const IN_MODIFY = 0x2;
export const IN_ATTRIB = 0x4;
export const IN_CLOSE_WRITE = 0x8;
export const IN_CLOSE_NOWRITE = 0x10;
export const IN_OPEN = 0x20;
export const IN_MOVED_FROM = 0x40;
export const IN_MOVED_TO = 0x80;
export const IN_CREATE = 0x100;
export const IN_DELETE = 0x200;
export const IN_DELETE_SELF = 0x400;
export const IN_MOVE_SELF = 0x800;
export const IN_ISDIR = 0x4000_0000;

/** One event: `mask` happened to inode `target` (null: not known), seen in directory `dir` as `name` (null: not through a directory). */
export interface FsEvent {
  mask: number;
  target: string | null;
  dir: string | null;
  name: string | null;
  cookie: number;
}

export interface FsListener {
  event(e: FsEvent): void;
}

function keyOf(node: VNode): string | null {
  const st = node.stat();
  return typeof st === 'number' ? null : `${st.dev}:${st.ino}`;
}

/** The last component of a canonical path (binary string). */
function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export class FsEvents {
  listener: FsListener | null = null;
  #cookie = 0;
  /** Open descriptions per inode key, each counted from opened() to closed(). */
  readonly #open = new Map<string, number>();
  readonly #keys = new WeakMap<FileDescription, string>();
  /** Inodes whose last name went while they were open: their IN_DELETE_SELF waits for the last close. */
  readonly #doomed = new Set<string>();

  get active(): boolean {
    return this.listener !== null;
  }

  /** A cookie tying a move's IN_MOVED_FROM to its IN_MOVED_TO. */
  nextCookie(): number {
    this.#cookie = (this.#cookie + 1) >>> 0 || 1;
    return this.#cookie;
  }

  /** `mask` happened to the node at `loc` (whose key is `key` when known: a host file's node may not stat once unlinked): to it, and to its directory under its name. */
  at(loc: Location, mask: number, key?: string): void {
    if (this.listener === null) return;
    const isDir = loc.node.kind === S_IFDIR ? IN_ISDIR : 0;
    const dir = loc.parent === null ? null : keyOf(loc.parent.node);
    this.listener.event({
      mask: mask | isDir,
      target: key ?? keyOf(loc.node),
      dir,
      name: dir === null ? null : baseName(loc.path),
      cookie: 0,
    });
  }

  /** `mask` happened to the entry `name` of directory `dir` (created, deleted, moved), whose node is `node` when known. */
  entry(dir: Location, name: string, mask: number, node: VNode | null, cookie = 0): void {
    if (this.listener === null) return;
    const isDir = node?.kind === S_IFDIR ? IN_ISDIR : 0;
    this.listener.event({ mask: mask | isDir, target: null, dir: keyOf(dir.node), name, cookie });
  }

  /** `mask` happened to the inode itself only (IN_DELETE_SELF, IN_MOVE_SELF, a link count's IN_ATTRIB); all but IN_DELETE_SELF say IN_ISDIR for a directory, as Linux. */
  self(node: VNode, mask: number, key = keyOf(node)): void {
    if (this.listener === null || key === null) return;
    const isDir = node.kind === S_IFDIR && mask !== IN_DELETE_SELF ? IN_ISDIR : 0;
    this.listener.event({ mask: mask | isDir, target: key, dir: null, name: null, cookie: 0 });
  }

  /** An open description was written or truncated. */
  file(f: FileDescription, mask: number): void {
    if (this.listener !== null && f.location !== null) this.at(f.location, mask);
  }

  /** `f` was opened at `loc`: the inode counts as open until closed(f). */
  opened(f: FileDescription, loc: Location): void {
    const key = keyOf(loc.node);
    if (key === null) return;
    this.#keys.set(f, key);
    this.#open.set(key, (this.#open.get(key) ?? 0) + 1);
  }

  /** The final close of `f` (IN_CLOSE_WRITE or IN_CLOSE_NOWRITE); the last one of an inode with no name left sends its IN_DELETE_SELF. */
  closed(f: FileDescription, mask: number): void {
    const key = this.#keys.get(f);
    if (this.listener !== null && f.location !== null) this.at(f.location, mask, key);
    if (key === undefined) return;
    this.#keys.delete(f);
    const n = (this.#open.get(key) ?? 1) - 1;
    if (n > 0) {
      this.#open.set(key, n);
      return;
    }
    this.#open.delete(key);
    if (this.#doomed.delete(key) && f.location !== null) this.self(f.location.node, IN_DELETE_SELF, key);
  }

  /** The inode `key` (`node`) lost its last name: IN_DELETE_SELF now, or at the last close of what has it open. */
  removed(node: VNode, key: string): void {
    if (this.#open.has(key)) this.#doomed.add(key);
    else this.self(node, IN_DELETE_SELF, key);
  }
}
