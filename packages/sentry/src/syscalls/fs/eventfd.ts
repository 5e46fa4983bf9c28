// eventfd and eventfd2: the counter itself is ../../fd/eventfd.ts.
import { E } from '../../errno.js';
import { EFD_SEMAPHORE, newEventFd } from '../../fd/eventfd.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import type { Task } from '../../kernel/task.js';
import { O_CLOEXEC, O_NONBLOCK } from '../../vfs/index.js';
import { install } from './open.js';

/** eventfd2(initval, flags): EFD_CLOEXEC (O_CLOEXEC), EFD_NONBLOCK (O_NONBLOCK) and EFD_SEMAPHORE; other flags are EINVAL. */
function eventfd2(t: Task, initval: number, flags: number): number {
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE)) !== 0) return -E.EINVAL;
  const f = newEventFd(initval, (flags & EFD_SEMAPHORE) !== 0, flags & O_NONBLOCK, t.mm.account);
  if (typeof f === 'number') return f;
  return install(t, f, (flags & O_CLOEXEC) !== 0);
}

export const EVENTFD_SYSCALLS: readonly SyscallSpec[] = [
  ['eventfd', ['uint'], (t, a) => eventfd2(t, a.uint(0), 0)],
  ['eventfd2', ['uint', 'hex'], (t, a) => eventfd2(t, a.uint(0), a.int(1))],
];
