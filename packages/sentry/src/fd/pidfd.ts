// A pidfd (Linux kernel/pid.c, fs/pidfs.c): a descriptor that names a
// process. It holds the ThreadGroup itself, not its number, so once the
// process is reaped and its pid reused the descriptor never names the new
// one: it answers for a process that is gone (ESRCH, ECHILD).
//
// Readiness (Linux's pidfd_poll): nothing while any thread of the process
// runs; POLLIN | POLLRDNORM once it has ended (a zombie), with POLLHUP once
// it is reaped. The process's exit watchers (ThreadGroup.exitWatchers,
// notified by kernel/task-exit.ts) wake whoever waits on it in poll, select
// or epoll. read and write are EINVAL (pidfds have neither).
import type { ThreadGroup } from '../kernel/thread-group.js';
import { O_NONBLOCK, O_RDWR } from '../vfs/index.js';
import { AnonDescription } from './anon.js';
import { type Pollable, POLLHUP, POLLIN, POLLRDNORM } from './readiness.js';

/** pidfd_open's one flag: the descriptor is O_NONBLOCK (waitid through it is EAGAIN while the process runs). */
export const PIDFD_NONBLOCK = O_NONBLOCK;

export class PidFd extends AnonDescription implements Pollable {
  readonly anonName = '[pidfd]';

  /** `flags` may carry O_NONBLOCK; the description is always O_RDWR. */
  constructor(
    readonly process: ThreadGroup,
    flags = 0,
  ) {
    super(O_RDWR | flags);
  }

  readiness(): number {
    if (this.process.reaped) return POLLIN | POLLRDNORM | POLLHUP;
    return this.process.exitStatus !== undefined ? POLLIN | POLLRDNORM : 0;
  }

  watch(onChange: () => void): () => void {
    return this.process.exitWatchers.add(onChange);
  }

  /** The pid, -1 once the process is reaped (one pid namespace: NSpid is the same number). */
  fdinfo(): string {
    const nr = this.process.reaped ? -1 : this.process.pid;
    return `Pid:\t${nr}\nNSpid:\t${nr}\n`;
  }
}
