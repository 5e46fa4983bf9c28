// signalfd and signalfd4: the descriptor itself is ../../fd/signalfd.ts.
import { E } from '../../errno.js';
import { newSignalFd, SignalFd, type SignalSource } from '../../fd/signalfd.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import type { Task } from '../../kernel/task.js';
import { O_CLOEXEC, O_NONBLOCK } from '../../vfs/index.js';
import { install } from './open.js';

/** sizeof(sigset_t) as the kernel takes it: the only size signalfd4 accepts. */
const SIGSET_SIZE = 8;

/**
 * Whose signals a read or poll of `f` takes: the caller's, as Linux's
 * `current` (the kernel's current task, set again when a waiting call
 * resumes); the creator's when no task runs.
 */
function readerOf(creator: Task): SignalSource {
  const cur = creator.kernel.current;
  return cur !== undefined && !cur.exited ? cur.signals : creator.signals;
}

/**
 * signalfd4(fd, mask, sizemask, flags) in Linux's order: sizemask (EINVAL),
 * the mask (EFAULT), flags (EINVAL); fd -1 makes a signalfd, another fd
 * must be one (EBADF, EINVAL) and takes the new mask.
 */
function signalfd4(t: Task, a: SyscallArgs, flags: number): number {
  if (a.size(2) !== SIGSET_SIZE) return -E.EINVAL;
  const p = a.ptr(1);
  const b = new Uint8Array(SIGSET_SIZE);
  if (p <= 0 || t.mm.copyIn(p, b) < 0) return -E.EFAULT;
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) !== 0) return -E.EINVAL;
  const v = new DataView(b.buffer);
  const lo = v.getUint32(0, true);
  const hi = v.getUint32(4, true);
  const fd = a.int(0);
  if (fd === -1) {
    const f = newSignalFd(lo, hi, flags & O_NONBLOCK, () => readerOf(t), t.mm.account);
    if (typeof f === 'number') return f;
    return install(t, f, (flags & O_CLOEXEC) !== 0);
  }
  const f = t.fds.get(fd);
  if (f === undefined) return -E.EBADF;
  if (!(f instanceof SignalFd)) return -E.EINVAL;
  f.setMask(lo, hi);
  // As Linux, waiters look again under the new mask.
  t.signals.handlers.queued.notify();
  return fd;
}

export const SIGNALFD_SYSCALLS: readonly SyscallSpec[] = [
  ['signalfd', ['fd', 'ptr', 'size'], (t, a) => signalfd4(t, a, 0)],
  ['signalfd4', ['fd', 'ptr', 'size', 'hex'], (t, a) => signalfd4(t, a, a.int(3))],
];
