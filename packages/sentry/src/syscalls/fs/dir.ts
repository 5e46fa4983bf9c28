// Directories and the filesystem context: getdents64, getcwd, chdir,
// fchdir, umask.
import { E } from '../../errno.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import { type Location, S_IFDIR, X_OK } from '../../vfs/index.js';
import { permits } from '../../vfs/perm.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import { copyOutArg, credOf, fileOf, pathArg } from './common.js';

/** Host buffer for one getdents64: more than a page of entries, never what a hostile count asks for. */
const DIRENT_CHUNK = 64 << 10;

/** getdents64(fd, dirp, count): entries that did not reach the guest are listed again by the next call. */
function getdents64(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0));
  if (typeof f === 'number') return f;
  const addr = a.ptr(1);
  const count = a.uint(2);
  if (addr <= 0 || addr + count > 2 ** 47) return -E.EFAULT;
  const buf = new Uint8Array(Math.min(count, DIRENT_CHUNK));
  const before = f.pos;
  const n = f.getdents64(buf);
  if (n <= 0) return n;
  const r = t.mm.copyOut(addr, buf.subarray(0, n));
  if (r < 0) {
    f.pos = before;
    return r;
  }
  return n;
}

/** getcwd(buf, size): the path with its NUL; ERANGE when it does not fit. */
function getcwd(t: Task, a: SyscallArgs): number {
  const p = t.fs.cwd.pathBytes();
  // A removed working directory has no path any more (Linux: ENOENT).
  if (t.kernel.vfs.isRemoved(t.fs.cwd)) return -E.ENOENT;
  const out = new Uint8Array(p.length + 1);
  out.set(p);
  if (a.size(1) < out.length) return -E.ERANGE;
  const r = copyOutArg(t, a, 0, out);
  return r < 0 ? r : out.length;
}

/** A directory the task may search, to become its cwd. */
function enterable(t: Task, loc: Location | null): Location | number {
  if (loc === null || loc.node.kind !== S_IFDIR) return -E.ENOTDIR;
  const st = loc.node.stat();
  if (typeof st === 'number') return st;
  return permits(st, credOf(t), X_OK) ? loc : -E.EACCES;
}

function chdir(t: Task, a: SyscallArgs): number {
  const path = pathArg(t, a, 0);
  if (typeof path === 'number') return path;
  const loc = t.kernel.vfs.resolve(path, { at: t.fs.cwd, cred: credOf(t) });
  if (typeof loc === 'number') return loc;
  const dir = enterable(t, loc);
  if (typeof dir === 'number') return dir;
  t.fs.cwd = dir;
  return 0;
}

function fchdir(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0), true);
  if (typeof f === 'number') return f;
  const dir = enterable(t, f.location);
  if (typeof dir === 'number') return dir;
  t.fs.cwd = dir;
  return 0;
}

function umask(t: Task, a: SyscallArgs): number {
  const old = t.fs.umask;
  t.fs.umask = a.int(0) & 0o777;
  return old;
}

export const DIR_SYSCALLS: readonly SyscallSpec[] = [
  ['getdents64', ['fd', 'ptr', 'uint'], getdents64],
  ['getcwd', ['ptr', 'size'], getcwd],
  ['chdir', ['path'], chdir],
  ['fchdir', ['fd'], fchdir],
  ['umask', ['mode'], umask, 'hex'],
];
