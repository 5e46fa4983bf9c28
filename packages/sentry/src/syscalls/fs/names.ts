// Calls that act on names: access, readlink, mkdir, rmdir, unlink, rename,
// symlink, link, chmod, truncate, utimensat — each a thin decoding over the
// Vfs operation of the same name, which owns the rules and the errnos.
import { E } from '../../errno.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import { type Cred, type Location, S_IFLNK, type Timespec } from '../../vfs/index.js';
import { pathResized } from '../filemap.js';
import { checkNewSize } from './fsize.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import {
  AT_EACCESS,
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_REMOVEDIR,
  AT_SYMLINK_FOLLOW,
  AT_SYMLINK_NOFOLLOW,
  copyInArg,
  copyOutArg,
  credOf,
  dirOf,
  fileOf,
  pathArg,
  startOf,
} from './common.js';

/** A path argument and where it starts. */
interface Named {
  path: Uint8Array;
  at: Location;
}

function named(t: Task, a: SyscallArgs, dirfd: number, pathIdx: number, emptyOk = false): Named | number {
  const path = pathArg(t, a, pathIdx, emptyOk);
  if (typeof path === 'number') return path;
  const at = dirOf(t, dirfd, path);
  return typeof at === 'number' ? at : { path, at };
}

// ---- access ----

function accessAt(t: Task, a: SyscallArgs, dirfd: number, pathIdx: number, mode: number, flags: number): number {
  if ((flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) return -E.EINVAL;
  if ((mode & ~7) !== 0) return -E.EINVAL;
  const empty = (flags & AT_EMPTY_PATH) !== 0;
  const n = named(t, a, dirfd, pathIdx, empty);
  if (typeof n === 'number') return n;
  // access(2) checks with the real ids unless AT_EACCESS.
  const c = t.creds;
  const cred: Cred = flags & AT_EACCESS ? credOf(t) : { uid: c.uid, gid: c.gid, groups: c.groups };
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  return t.kernel.vfs.access(n.path, mode, { at: n.at, cred, follow, emptyPath: empty });
}

const access = (t: Task, a: SyscallArgs) => accessAt(t, a, AT_FDCWD, 0, a.int(1), 0);
const faccessat = (t: Task, a: SyscallArgs) => accessAt(t, a, a.int(0), 1, a.int(2), 0);
const faccessat2 = (t: Task, a: SyscallArgs) => accessAt(t, a, a.int(0), 1, a.int(2), a.int(3));

// ---- readlink ----

/** readlinkat(dirfd, path, buf, size): the target, cut to `size`, no NUL. An empty path reads a symlink opened with O_PATH. */
function readlinkAt(t: Task, a: SyscallArgs, dirfd: number, pathIdx: number): number {
  const size = a.int(pathIdx + 2);
  if (size <= 0) return -E.EINVAL;
  const n = named(t, a, dirfd, pathIdx, true);
  if (typeof n === 'number') return n;
  const empty = n.path.length === 0;
  if (empty && n.at.node.kind !== S_IFLNK) return -E.ENOENT;
  const target = t.kernel.vfs.readlink(n.path, { at: n.at, cred: credOf(t), emptyPath: empty });
  if (typeof target === 'number') return target;
  const out = target.subarray(0, size);
  const r = copyOutArg(t, a, pathIdx + 1, out);
  return r < 0 ? r : out.length;
}

const readlink = (t: Task, a: SyscallArgs) => readlinkAt(t, a, AT_FDCWD, 0);
const readlinkat = (t: Task, a: SyscallArgs) => readlinkAt(t, a, a.int(0), 1);

// ---- mkdir, rmdir, unlink ----

function mkdirAt(t: Task, a: SyscallArgs, dirfd: number, pathIdx: number): number {
  const n = named(t, a, dirfd, pathIdx);
  if (typeof n === 'number') return n;
  return t.kernel.vfs.mkdir(n.path, a.uint(pathIdx + 1), { at: n.at, cred: credOf(t), umask: t.fs.umask });
}

function removeAt(t: Task, a: SyscallArgs, dirfd: number, pathIdx: number, dir: boolean): number {
  const n = named(t, a, dirfd, pathIdx);
  if (typeof n === 'number') return n;
  const o = { at: n.at, cred: credOf(t) };
  return dir ? t.kernel.vfs.rmdir(n.path, o) : t.kernel.vfs.unlink(n.path, o);
}

function unlinkat(t: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  if ((flags & ~AT_REMOVEDIR) !== 0) return -E.EINVAL;
  return removeAt(t, a, a.int(0), 1, flags !== 0);
}

// ---- rename, link, symlink ----

function renameAt(t: Task, a: SyscallArgs, oldfd: number, newfd: number, flags: number, twoDirs: boolean): number {
  const src = named(t, a, oldfd, twoDirs ? 1 : 0);
  if (typeof src === 'number') return src;
  const dst = named(t, a, newfd, twoDirs ? 3 : 1);
  if (typeof dst === 'number') return dst;
  return t.kernel.vfs.rename(src.path, dst.path, flags, { at: src.at, newAt: dst.at, cred: credOf(t) });
}

const rename = (t: Task, a: SyscallArgs) => renameAt(t, a, AT_FDCWD, AT_FDCWD, 0, false);
const renameat = (t: Task, a: SyscallArgs) => renameAt(t, a, a.int(0), a.int(2), 0, true);
const renameat2 = (t: Task, a: SyscallArgs) => renameAt(t, a, a.int(0), a.int(2), a.uint(4), true);

function linkAt(t: Task, a: SyscallArgs, oldfd: number, newfd: number, flags: number, twoDirs: boolean): number {
  if ((flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) !== 0) return -E.EINVAL;
  const empty = (flags & AT_EMPTY_PATH) !== 0;
  const src = named(t, a, oldfd, twoDirs ? 1 : 0, empty);
  if (typeof src === 'number') return src;
  const dst = named(t, a, newfd, twoDirs ? 3 : 1);
  if (typeof dst === 'number') return dst;
  const follow = (flags & AT_SYMLINK_FOLLOW) !== 0;
  return t.kernel.vfs.link(src.path, dst.path, { at: src.at, newAt: dst.at, cred: credOf(t), follow, emptyPath: empty });
}

const link = (t: Task, a: SyscallArgs) => linkAt(t, a, AT_FDCWD, AT_FDCWD, 0, false);
const linkat = (t: Task, a: SyscallArgs) => linkAt(t, a, a.int(0), a.int(2), a.int(4), true);

function symlinkAt(t: Task, a: SyscallArgs, dirfd: number, linkIdx: number): number {
  const target = pathArg(t, a, 0);
  if (typeof target === 'number') return target;
  const n = named(t, a, dirfd, linkIdx);
  if (typeof n === 'number') return n;
  return t.kernel.vfs.symlink(target, n.path, { at: n.at, cred: credOf(t) });
}

const symlink = (t: Task, a: SyscallArgs) => symlinkAt(t, a, AT_FDCWD, 1);
const symlinkat = (t: Task, a: SyscallArgs) => symlinkAt(t, a, a.int(1), 2);

// ---- chmod, truncate ----

function chmodAt(t: Task, a: SyscallArgs, dirfd: number, pathIdx: number): number {
  const n = named(t, a, dirfd, pathIdx);
  if (typeof n === 'number') return n;
  return t.kernel.vfs.chmod(n.path, a.uint(pathIdx + 1), { at: n.at, cred: credOf(t) });
}

/** fchmod on a pipe or another nameless object succeeds and changes nothing anyone can see. */
function fchmod(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0));
  if (typeof f === 'number') return f;
  if (f.location === null) return 0;
  return t.kernel.vfs.chmod('', a.uint(1), { at: f.location, cred: credOf(t), emptyPath: true });
}

function truncate(t: Task, a: SyscallArgs): number {
  const n = named(t, a, AT_FDCWD, 0);
  if (typeof n === 'number') return n;
  const len = a.i64(1);
  if (len < 0) return -E.EINVAL;
  const big = checkNewSize(t, len);
  if (big < 0) return big;
  const r = t.kernel.vfs.truncate(n.path, len, { at: n.at, cred: credOf(t) });
  if (r === 0) pathResized(t, () => t.kernel.vfs.stat(n.path, { at: n.at, cred: credOf(t) }));
  return r;
}

// ---- utimensat, futimesat ----

/**
 * Sets times on what `pathIdx` names, or with a NULL path on `dirfd` itself
 * (as utimensat(fd, NULL, ...) does; with AT_FDCWD that is EFAULT). The Vfs
 * interprets UTIME_NOW and UTIME_OMIT.
 */
function utimesAt(t: Task, a: SyscallArgs, dirfd: number, pathIdx: number, times: [Timespec, Timespec] | null, flags: number): number {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) return -E.EINVAL;
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  const vfs = t.kernel.vfs;
  if (a.ptr(pathIdx) === 0 && dirfd !== AT_FDCWD) {
    if (flags & AT_SYMLINK_NOFOLLOW) return -E.EINVAL;
    const f = fileOf(t, dirfd, true);
    if (typeof f === 'number') return f;
    return f.location === null ? 0 : vfs.utimens('', times, { at: f.location, cred: credOf(t), emptyPath: true });
  }
  const empty = (flags & AT_EMPTY_PATH) !== 0;
  const path = pathArg(t, a, pathIdx, empty);
  if (typeof path === 'number') return path;
  const s = startOf(t, dirfd, path);
  if (typeof s === 'number') return s;
  if (s.at === null) return 0;
  return vfs.utimens(path, times, { at: s.at, cred: credOf(t), follow, emptyPath: empty });
}

function utimensat(t: Task, a: SyscallArgs): number {
  let times: [Timespec, Timespec] | null = null;
  if (a.ptr(2) !== 0) {
    const b = copyInArg(t, a, 2, 32);
    if (typeof b === 'number') return b;
    const v = new DataView(b.buffer);
    const ts = (o: number): Timespec => ({ sec: Number(v.getBigInt64(o, true)), nsec: Number(v.getBigInt64(o + 8, true)) });
    times = [ts(0), ts(16)];
  }
  return utimesAt(t, a, a.int(0), 1, times, a.int(3));
}

/** futimesat(dirfd, path, struct timeval[2]): microseconds, which must be below one second. */
function futimesat(t: Task, a: SyscallArgs): number {
  let times: [Timespec, Timespec] | null = null;
  if (a.ptr(2) !== 0) {
    const b = copyInArg(t, a, 2, 32);
    if (typeof b === 'number') return b;
    const v = new DataView(b.buffer);
    const tv = (o: number): Timespec | null => {
      const usec = Number(v.getBigInt64(o + 8, true));
      return usec < 0 || usec >= 1e6 ? null : { sec: Number(v.getBigInt64(o, true)), nsec: usec * 1000 };
    };
    const at = tv(0);
    const mt = tv(16);
    if (at === null || mt === null) return -E.EINVAL;
    times = [at, mt];
  }
  return utimesAt(t, a, a.int(0), 1, times, 0);
}

export const NAME_SYSCALLS: readonly SyscallSpec[] = [
  ['access', ['path', 'int'], access],
  ['faccessat', ['dirfd', 'path', 'int'], faccessat],
  ['faccessat2', ['dirfd', 'path', 'int', 'atflags'], faccessat2],
  ['readlink', ['path', 'ptr', 'int'], readlink],
  ['readlinkat', ['dirfd', 'path', 'ptr', 'int'], readlinkat],
  ['mkdir', ['path', 'mode'], (t, a) => mkdirAt(t, a, AT_FDCWD, 0)],
  ['mkdirat', ['dirfd', 'path', 'mode'], (t, a) => mkdirAt(t, a, a.int(0), 1)],
  ['rmdir', ['path'], (t, a) => removeAt(t, a, AT_FDCWD, 0, true)],
  ['unlink', ['path'], (t, a) => removeAt(t, a, AT_FDCWD, 0, false)],
  ['unlinkat', ['dirfd', 'path', 'atflags'], unlinkat],
  ['rename', ['path', 'path'], rename],
  ['renameat', ['dirfd', 'path', 'dirfd', 'path'], renameat],
  ['renameat2', ['dirfd', 'path', 'dirfd', 'path', 'hex'], renameat2],
  ['link', ['path', 'path'], link],
  ['linkat', ['dirfd', 'path', 'dirfd', 'path', 'atflags'], linkat],
  ['symlink', ['path', 'path'], symlink],
  ['symlinkat', ['path', 'dirfd', 'path'], symlinkat],
  ['chmod', ['path', 'mode'], (t, a) => chmodAt(t, a, AT_FDCWD, 0)],
  ['fchmod', ['fd', 'mode'], fchmod],
  ['fchmodat', ['dirfd', 'path', 'mode'], (t, a) => chmodAt(t, a, a.int(0), 1)],
  ['truncate', ['path', 'off'], truncate],
  ['utimensat', ['dirfd', 'path', 'ptr', 'atflags'], utimensat],
  ['futimesat', ['dirfd', 'path', 'ptr'], futimesat],
];
