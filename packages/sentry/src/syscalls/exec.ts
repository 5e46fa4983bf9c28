// execve and execveat: the path, argv and envp are read from the guest
// (EFAULT for a bad pointer anywhere, E2BIG past Linux's limits), then the
// kernel replaces the image (kernel/task-exec.ts). On success the result is
// the new program's rax, 0.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import { execTask } from '../kernel/task-exec.js';
import type { Task } from '../kernel/task.js';
import { ARG_MAX, MAX_ARG_STRLEN } from '../loader/index.js';
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, pathArg, startOf } from './fs/common.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

const POINTER = 8;

/**
 * The NULL-terminated array of strings at `addr` (argv or envp; NULL reads
 * as empty, as Linux allows): -EFAULT for an unreadable pointer or string,
 * -E2BIG when a string exceeds MAX_ARG_STRLEN or the strings and their
 * pointers together exceed `budget.left` bytes (which this lowers).
 */
function readStrings(t: Task, addr: number, budget: { left: number }): Uint8Array[] | number {
  const out: Uint8Array[] = [];
  if (addr === 0) return out;
  const ptr = new Uint8Array(POINTER);
  const pv = new DataView(ptr.buffer);
  for (let at = addr; ; at += POINTER) {
    if (at <= 0 || t.mm.copyIn(at, ptr) < 0) return -E.EFAULT;
    const p = pv.getBigUint64(0, true);
    if (p === 0n) return out;
    budget.left -= POINTER;
    if (budget.left < 0) return -E.E2BIG;
    if (p >= 2n ** 47n) return -E.EFAULT;
    const s = t.mm.readCString(Number(p), Math.min(MAX_ARG_STRLEN, budget.left));
    if (typeof s === 'number') return s === -E.ENAMETOOLONG ? -E.E2BIG : s;
    budget.left -= s.length + 1;
    if (budget.left < 0) return -E.E2BIG;
    out.push(s);
  }
}

function exec(t: Task, a: SyscallArgs, dirfd: number, pathIdx: number, argvIdx: number, flags: number): number {
  if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) !== 0) return -E.EINVAL;
  const empty = (flags & AT_EMPTY_PATH) !== 0;
  const path = pathArg(t, a, pathIdx, empty);
  if (typeof path === 'number') return path;
  const budget = { left: ARG_MAX };
  const argv = readStrings(t, a.ptr(argvIdx), budget);
  if (typeof argv === 'number') return argv;
  const env = readStrings(t, a.ptr(argvIdx + 1), budget);
  if (typeof env === 'number') return env;
  const start = startOf(t, dirfd, path);
  if (typeof start === 'number') return start;
  if (start.at === null) return -E.EACCES;
  const text = Buffer.from(path).toString('latin1');
  if (empty && path.length === 0) {
    // execveat(fd, "", AT_EMPTY_PATH): the descriptor itself, by its /proc path.
    return execTask(t, `/proc/self/fd/${dirfd}`, t.fs.root, argv, env);
  }
  return execTask(t, text, start.at, argv, env, (flags & AT_SYMLINK_NOFOLLOW) !== 0);
}

export const EXEC_SYSCALLS: readonly SyscallSpec[] = [
  ['execve', ['path', 'ptr', 'ptr'], (t, a) => exec(t, a, -100, 0, 1, 0)],
  ['execveat', ['dirfd', 'path', 'ptr', 'ptr', 'atflags'], (t, a) => exec(t, a, a.int(0), 1, 2, a.int(4))],
];
