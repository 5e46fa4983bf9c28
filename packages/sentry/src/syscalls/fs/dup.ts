// dup, dup2, dup3 and fcntl: descriptor-table operations.
import { E } from '../../errno.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import { O_APPEND, O_CLOEXEC, O_NONBLOCK, O_PATH } from '../../vfs/index.js';
import { PipeEnd } from '../../fd/pipe.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import { fileOf } from './common.js';
import { F_ADD_SEALS, F_GET_SEALS, fcntlSeals } from './memfd.js';

const F_DUPFD = 0;
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
/** The status flags F_SETFL may change (O_ASYNC, O_DIRECT, O_NOATIME are not supported). */
const SETFL_MASK = O_APPEND | O_NONBLOCK;

function dup(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0), true);
  return typeof f === 'number' ? f : t.fds.add(f);
}

function dupTo(t: Task, oldfd: number, newfd: number, cloexec: boolean): number {
  const f = fileOf(t, oldfd, true);
  if (typeof f === 'number') return f;
  if (newfd < 0 || newfd >= t.fds.limit) return -E.EBADF;
  return t.fds.put(newfd, f, cloexec);
}

/** dup2(fd, fd) is fd itself when fd is open. */
function dup2(t: Task, a: SyscallArgs): number {
  const oldfd = a.int(0);
  const newfd = a.int(1);
  if (oldfd === newfd) return t.fds.get(oldfd) === undefined ? -E.EBADF : oldfd;
  return dupTo(t, oldfd, newfd, false);
}

function dup3(t: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  if ((flags & ~O_CLOEXEC) !== 0) return -E.EINVAL;
  const oldfd = a.int(0);
  const newfd = a.int(1);
  if (oldfd === newfd) return -E.EINVAL;
  return dupTo(t, oldfd, newfd, flags !== 0);
}

function fcntl(t: Task, a: SyscallArgs): number {
  const fd = a.int(0);
  const f = fileOf(t, fd, true);
  if (typeof f === 'number') return f;
  const cmd = a.int(1);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const min = a.int(2);
      if (min < 0 || min >= t.fds.limit) return -E.EINVAL;
      return t.fds.add(f, cmd === F_DUPFD_CLOEXEC, min);
    }
    case F_GETFD:
      return t.fds.cloexec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
      t.fds.setCloexec(fd, (a.int(2) & FD_CLOEXEC) !== 0);
      return 0;
    case F_GETFL:
      return f.flags;
    case F_SETFL:
      if (f.flags & O_PATH) return -E.EBADF;
      f.flags = (f.flags & ~SETFL_MASK) | (a.int(2) & SETFL_MASK);
      return 0;
    case F_GETPIPE_SZ:
      return f instanceof PipeEnd ? f.capacity : -E.EBADF;
    case F_SETPIPE_SZ:
      return f instanceof PipeEnd ? f.setCapacity(a.uint(2)) : -E.EBADF;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return recordLock(t, a, cmd);
    case F_ADD_SEALS:
    case F_GET_SEALS:
      return fcntlSeals(f, cmd, a);
    default:
      return -E.EINVAL;
  }
}

const F_GETLK = 5;
const F_SETLK = 6;
const F_SETLKW = 7;
const F_OFD_GETLK = 36;
const F_OFD_SETLK = 37;
const F_OFD_SETLKW = 38;
const F_SETPIPE_SZ = 1031;
const F_GETPIPE_SZ = 1032;
const FLOCK_SIZE = 32;
const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;

/**
 * Record locks. With one process in the sandbox no lock can conflict: every
 * lock is granted and F_GETLK reports the range unlocked. The struct flock is
 * still read and checked (EFAULT, EINVAL for a bad l_type).
 */
function recordLock(t: Task, a: SyscallArgs, cmd: number): number {
  const lock = new Uint8Array(FLOCK_SIZE);
  const addr = a.ptr(2);
  if (addr <= 0) return -E.EFAULT;
  const r = t.mm.copyIn(addr, lock);
  if (r < 0) return r;
  const view = new DataView(lock.buffer);
  const type = view.getInt16(0, true);
  if (type !== F_RDLCK && type !== F_WRLCK && type !== F_UNLCK) return -E.EINVAL;
  if (cmd === F_GETLK || cmd === F_OFD_GETLK) {
    view.setInt16(0, F_UNLCK, true);
    return t.mm.copyOut(addr, lock) < 0 ? -E.EFAULT : 0;
  }
  return 0;
}

export const DUP_SYSCALLS: readonly SyscallSpec[] = [
  ['dup', ['fd'], dup],
  ['dup2', ['fd', 'fd'], dup2],
  ['dup3', ['fd', 'fd', 'oflags'], dup3],
  ['fcntl', ['fd', 'int', 'hex'], fcntl],
];
