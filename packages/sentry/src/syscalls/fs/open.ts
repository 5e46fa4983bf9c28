// open, openat, creat and close, close_range.
import { E } from '../../errno.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import { type FileDescription, O_CLOEXEC, O_CREAT, O_EXCL, O_NOCTTY, O_PATH, O_TRUNC, O_WRONLY } from '../../vfs/index.js';
import { fileResized } from '../filemap.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import { AT_FDCWD, credOf, dirOf, pathArg } from './common.js';

/** x86-64 Linux adds O_LARGEFILE to every open; F_GETFL shows it. */
const O_LARGEFILE = 0o100000;
/** Flags that act at open time only and are not kept in the description (F_GETFL never shows them). */
const OPEN_ONLY = O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC;
const CLOSE_RANGE_UNSHARE = 2;
const CLOSE_RANGE_CLOEXEC = 4;

/** Installs a freshly opened description; it is closed again if no descriptor can take it. */
export function install(t: Task, f: FileDescription, cloexec: boolean): number {
  const fd = t.fds.add(f, cloexec);
  if (fd < 0) f.close();
  return fd;
}

function openAt(t: Task, dirfd: number, a: SyscallArgs, pathIdx: number, flags: number, mode: number): number {
  const path = pathArg(t, a, pathIdx);
  if (typeof path === 'number') return path;
  const at = dirOf(t, dirfd, path);
  if (typeof at === 'number') return at;
  if (t.fds.lowestFree() < 0) return -E.EMFILE; // checked before opening, so EMFILE creates nothing
  const f = t.kernel.vfs.open(path, flags, mode, { at, cred: credOf(t), umask: t.fs.umask });
  if (typeof f === 'number') return f;
  if ((flags & O_TRUNC) !== 0) fileResized(t, f);
  f.flags = (f.flags & ~OPEN_ONLY) | (f.flags & O_PATH ? 0 : O_LARGEFILE);
  return install(t, f, (flags & O_CLOEXEC) !== 0);
}

const open = (t: Task, a: SyscallArgs) => openAt(t, AT_FDCWD, a, 0, a.int(1), a.uint(2));
const openat = (t: Task, a: SyscallArgs) => openAt(t, a.int(0), a, 1, a.int(2), a.uint(3));
const creat = (t: Task, a: SyscallArgs) => openAt(t, AT_FDCWD, a, 0, O_CREAT | O_WRONLY | O_TRUNC, a.uint(1));

/** struct open_how: flags, mode, resolve (u64 each). */
const OPEN_HOW_SIZE = 24;
/** Open flags Linux knows (openat2 rejects any other bit, unlike open). */
const VALID_OPEN_FLAGS = 0o37777703;
const PAGE = 4096;

/**
 * openat2(dirfd, path, how, size): openat with strict checks. The RESOLVE_*
 * modes need per-call path-walk rules the VFS does not have yet: asking for
 * any of them is EINVAL rather than a walk that ignores them.
 */
function openat2(t: Task, a: SyscallArgs): number {
  const size = a.size(3);
  if (size < OPEN_HOW_SIZE) return -E.EINVAL;
  if (size > PAGE) return -E.E2BIG;
  const how = new Uint8Array(size);
  const addr = a.ptr(2);
  if (addr <= 0) return -E.EFAULT;
  const r = t.mm.copyIn(addr, how);
  if (r < 0) return r;
  // Bytes past the struct this kernel knows must be zero (E2BIG otherwise).
  for (let i = OPEN_HOW_SIZE; i < size; i++) if (how[i] !== 0) return -E.E2BIG;
  const v = new DataView(how.buffer);
  const flagsHi = v.getUint32(4, true);
  const flags = v.getUint32(0, true);
  const modeHi = v.getUint32(12, true);
  const mode = v.getUint32(8, true);
  const resolve = v.getUint32(16, true) + v.getUint32(20, true);
  if (flagsHi !== 0 || (flags & ~VALID_OPEN_FLAGS) !== 0 || modeHi !== 0 || (mode & ~0o7777) !== 0) return -E.EINVAL;
  if ((flags & (O_CREAT | 0o20000000)) === 0 && mode !== 0) return -E.EINVAL;
  if (resolve !== 0) return -E.EINVAL;
  return openAt(t, a.int(0), a, 1, flags | 0, mode);
}

function close(t: Task, a: SyscallArgs): number {
  return t.fds.close(a.int(0));
}

/** close_range(first, last, flags): closes (or marks close-on-exec) every open descriptor in [first, last]. */
function closeRange(t: Task, a: SyscallArgs): number {
  const first = a.uint(0);
  const last = a.uint(1);
  const flags = a.uint(2);
  if ((flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) !== 0 || first > last) return -E.EINVAL;
  // The table is not shared between processes yet, so UNSHARE has nothing to do.
  for (const [fd] of [...t.fds.entries()]) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) t.fds.setCloexec(fd, true);
    else t.fds.close(fd);
  }
  return 0;
}

export const OPEN_SYSCALLS: readonly SyscallSpec[] = [
  ['open', ['path', 'oflags', 'mode'], open],
  ['openat', ['dirfd', 'path', 'oflags', 'mode'], openat],
  ['creat', ['path', 'mode'], creat],
  ['openat2', ['dirfd', 'path', 'ptr', 'size'], openat2],
  ['close', ['fd'], close],
  ['close_range', ['uint', 'uint', 'hex'], closeRange],
];
