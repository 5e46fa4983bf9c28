// What the socket system calls share: the socket behind a descriptor, the
// context a new socket is made in, and waiting by the blocking protocol of
// ../net/socket.ts (an operation answers -EAGAIN, the task parks watching
// the socket and tries again).
import { E } from '../errno.js';
import { monotonicNs } from '../kernel/clock.js';
import { Park } from '../kernel/park.js';
import { ERESTARTSYS } from '../kernel/restart.js';
import type { Task } from '../kernel/task.js';
import { type Caller, isSocket, type Socket, type SocketContext } from '../net/socket.js';
import { S_IFSOCK, W_OK } from '../vfs/index.js';
import { credOf, fileOf } from './fs/common.js';

/** The socket behind `fd`: -EBADF, or -ENOTSOCK for another kind of file. */
export function socketOf(t: Task, fd: number): Socket | number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return isSocket(f) ? f : -E.ENOTSOCK;
}

/** The caller's filesystem view for AF_UNIX names. */
export function callerOf(t: Task): Caller {
  const o = { at: t.fs.cwd, cred: credOf(t), umask: t.fs.umask };
  const vfs = t.kernel.vfs;
  return {
    creds: contextOf(t).creds,
    mknod: (path) => {
      const r = vfs.mknod(path, S_IFSOCK | 0o777, o);
      return r < 0 ? r : vfs.stat(path, { ...o, follow: false });
    },
    lookup: (path) => {
      const r = vfs.access(path, W_OK, o);
      return r < 0 ? r : vfs.stat(path, o);
    },
  };
}

export function contextOf(t: Task): SocketContext {
  return { kernel: t.kernel, account: t.mm.account ?? null, creds: { pid: t.pid, uid: t.creds.euid, gid: t.creds.egid } };
}

/**
 * Runs `attempt` until it answers something other than -EAGAIN: at once
 * when `nonblocking`, else parking between tries, for at most `timeout`
 * ns (null: forever; then -EAGAIN). A signal ends the wait with
 * -ERESTARTSYS, or -EINTR under a timeout (sock_intr_errno). Whatever
 * ends the call, once `progress()` is above 0 the result is that progress.
 */
export function untilReady(
  t: Task,
  s: Socket,
  nonblocking: boolean,
  timeout: bigint | null,
  attempt: () => number,
  progress: () => number = () => 0,
): number | Promise<number> {
  const settle = (r: number): number => (r < 0 && progress() > 0 ? progress() : r);
  const first = attempt();
  if (first !== -E.EAGAIN || nonblocking) return settle(first);
  const deadline = timeout === null ? undefined : monotonicNs() + timeout;
  return (async () => {
    for (;;) {
      const end = await new Park(t, deadline).watch([s]).promise;
      if (t.exited) return settle(-E.EINTR);
      if (end === 'interrupted') return settle(timeout === null ? -ERESTARTSYS : -E.EINTR);
      const r = attempt();
      if (r !== -E.EAGAIN || end === 'timeout') return settle(r);
    }
  })();
}
