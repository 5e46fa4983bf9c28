// inotify_init, inotify_init1, inotify_add_watch and inotify_rm_watch: the
// instance is ../../fd/inotify/, the events come from the VFS
// (../../vfs/notify.ts) for changes made inside the sandbox.
import { E } from '../../errno.js';
import {
  IN_ALL_EVENTS,
  IN_DONT_FOLLOW,
  IN_EXCL_UNLINK,
  IN_IGNORED,
  IN_MASK_ADD,
  IN_MASK_CREATE,
  IN_ONESHOT,
  IN_ONLYDIR,
  IN_Q_OVERFLOW,
  Inotify,
  inotifyHub,
  newInotify,
} from '../../fd/inotify/index.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import type { Task } from '../../kernel/task.js';
import { IN_ISDIR, O_CLOEXEC, O_NONBLOCK, R_OK, S_IFDIR } from '../../vfs/index.js';
import { credOf, dirOf, pathArg } from './common.js';
import { install } from './open.js';

const IN_UNMOUNT = 0x2000;
/** Every bit inotify_add_watch knows (Linux's ALL_INOTIFY_BITS); a mask with none is EINVAL. */
const ALL_BITS =
  (IN_ALL_EVENTS |
    IN_UNMOUNT |
    IN_Q_OVERFLOW |
    IN_IGNORED |
    IN_ONLYDIR |
    IN_DONT_FOLLOW |
    IN_EXCL_UNLINK |
    IN_MASK_ADD |
    IN_MASK_CREATE |
    IN_ISDIR |
    IN_ONESHOT) >>>
  0;

function inotifyInit1(t: Task, flags: number): number {
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) !== 0) return -E.EINVAL;
  const f = newInotify(flags & O_NONBLOCK, inotifyHub(t.kernel.vfs.events), t.mm.account);
  if (typeof f === 'number') return f;
  return install(t, f, (flags & O_CLOEXEC) !== 0);
}

/** The instance behind `fd`: -EBADF without a descriptor, -EINVAL for another file. */
function instanceOf(t: Task, fd: number): Inotify | number {
  const f = t.fds.get(fd);
  if (f === undefined) return -E.EBADF;
  return f instanceof Inotify ? f : -E.EINVAL;
}

/**
 * inotify_add_watch in Linux's order: the mask (EINVAL), the descriptor
 * (EBADF, EINVAL), the path (EFAULT, ENOENT, ENOTDIR with IN_ONLYDIR,
 * EACCES without read permission); the watch's wd.
 */
function addWatch(t: Task, a: SyscallArgs): number {
  const mask = a.uint(2);
  if (mask & IN_MASK_ADD && mask & IN_MASK_CREATE) return -E.EINVAL;
  if ((mask & ALL_BITS) === 0) return -E.EINVAL;
  const i = instanceOf(t, a.int(0));
  if (typeof i === 'number') return i;
  const path = pathArg(t, a, 1);
  if (typeof path === 'number') return path;
  const at = dirOf(t, -100, path);
  if (typeof at === 'number') return at;
  const vfs = t.kernel.vfs;
  const opts = { at, cred: credOf(t), follow: (mask & IN_DONT_FOLLOW) === 0 };
  const loc = vfs.resolve(path, opts);
  if (typeof loc === 'number') return loc;
  if (mask & IN_ONLYDIR && loc.node.kind !== S_IFDIR) return -E.ENOTDIR;
  const r = vfs.access(path, R_OK, opts);
  if (r < 0) return r;
  const st = loc.node.stat();
  if (typeof st === 'number') return st;
  return i.addWatch(`${st.dev}:${st.ino}`, mask & ALL_BITS);
}

function rmWatch(t: Task, a: SyscallArgs): number {
  const i = instanceOf(t, a.int(0));
  return typeof i === 'number' ? i : i.removeWatch(a.int(1));
}

export const INOTIFY_SYSCALLS: readonly SyscallSpec[] = [
  ['inotify_init', [], (t) => inotifyInit1(t, 0)],
  ['inotify_init1', ['hex'], (t, a) => inotifyInit1(t, a.int(0))],
  ['inotify_add_watch', ['fd', 'path', 'hex'], addWatch],
  ['inotify_rm_watch', ['fd', 'int'], rmWatch],
];
