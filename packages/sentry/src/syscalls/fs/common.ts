// What the file system calls share: descriptor look-up, path arguments
// (copied from the guest, checked against PATH_MAX) and the starting point
// of a relative path (AT_FDCWD or a directory descriptor).
import { E } from '../../errno.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import { PATH_MAX } from '../../kernel/usercopy.js';
import { type Cred, type FileDescription, type Location, O_PATH, S_IFDIR } from '../../vfs/index.js';

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_EACCESS = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800;
export const AT_EMPTY_PATH = 0x1000;
export const AT_STATX_SYNC_TYPE = 0x6000;

const SLASH = 0x2f;

/** The description behind `fd`, or -EBADF. O_PATH descriptions only where `allowPath` says so (as fdget_raw). */
export function fileOf(t: Task, fd: number, allowPath = false): FileDescription | number {
  const f = t.fds.get(fd);
  if (f === undefined) return -E.EBADF;
  if (!allowPath && (f.flags & O_PATH) !== 0) return -E.EBADF;
  return f;
}

/** Credentials for permission checks: the filesystem uid/gid (= effective on Linux without setfsuid). */
export function credOf(t: Task): Cred {
  return { uid: t.creds.euid, gid: t.creds.egid, groups: t.creds.groups };
}

/**
 * The path at argument `i`: -EFAULT for a bad pointer, -ENAMETOOLONG past
 * PATH_MAX, -ENOENT when empty (unless `emptyOk`, for AT_EMPTY_PATH).
 */
export function pathArg(t: Task, a: SyscallArgs, i: number, emptyOk = false): Uint8Array | number {
  const addr = a.ptr(i);
  if (addr <= 0) return -E.EFAULT;
  const p = t.mm.readCString(addr, PATH_MAX);
  if (typeof p === 'number') return p;
  if (p.length === 0 && !emptyOk) return -E.ENOENT;
  return p;
}

/**
 * Where a path given with `dirfd` starts. An absolute path ignores `dirfd`
 * altogether (as Linux does, even a bad one); a relative one needs AT_FDCWD
 * or a directory descriptor (EBADF, ENOTDIR). An empty path (AT_EMPTY_PATH)
 * names the descriptor itself, whatever it is: `file` is set and `at` is its
 * location, null for a pipe or another object without a name.
 */
export interface Start {
  at: Location | null;
  file: FileDescription | null;
}

export function startOf(t: Task, dirfd: number, path: Uint8Array): Start | number {
  if (path.length > 0 && path[0] === SLASH) return { at: t.fs.root, file: null };
  if (dirfd === AT_FDCWD) return { at: t.fs.cwd, file: null };
  const f = t.fds.get(dirfd);
  if (f === undefined) return -E.EBADF;
  if (path.length === 0) return { at: f.location, file: f };
  const loc = f.location;
  if (loc === null || loc.node.kind !== S_IFDIR) return -E.ENOTDIR;
  return { at: loc, file: null };
}

/** startOf for calls that need a location (never a nameless object): -ENOENT for those, as Linux finds no path. */
export function dirOf(t: Task, dirfd: number, path: Uint8Array): Location | number {
  const s = startOf(t, dirfd, path);
  if (typeof s === 'number') return s;
  return s.at ?? -E.ENOENT;
}

/** Copies a host buffer to guest `addr` (argument `i`): 0 or -EFAULT. */
export function copyOutArg(t: Task, a: SyscallArgs, i: number, bytes: Uint8Array): number {
  const addr = a.ptr(i);
  if (addr <= 0) return -E.EFAULT;
  return t.mm.copyOut(addr, bytes);
}

/** Reads `len` bytes at guest argument `i`: the bytes, or -EFAULT. */
export function copyInArg(t: Task, a: SyscallArgs, i: number, len: number): Uint8Array | number {
  const addr = a.ptr(i);
  if (addr <= 0) return -E.EFAULT;
  const b = new Uint8Array(len);
  const r = t.mm.copyIn(addr, b);
  return r < 0 ? r : b;
}
