// pipe and pipe2.
import { E } from '../../errno.js';
import { newPipe } from '../../fd/pipe.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import { O_CLOEXEC, O_DIRECT, O_NONBLOCK } from '../../vfs/index.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import { copyOutArg } from './common.js';
import { install } from './open.js';

/** pipe2(fds[2], flags): O_CLOEXEC, O_NONBLOCK and O_DIRECT (packet mode); other flags are EINVAL. */
function pipe2(t: Task, a: SyscallArgs, flags: number): number {
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) !== 0) return -E.EINVAL;
  const pipe = newPipe(flags & (O_NONBLOCK | O_DIRECT), t.mm.account);
  if (typeof pipe === 'number') return pipe;
  const [r, w] = pipe;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const rfd = install(t, r, cloexec);
  if (rfd < 0) {
    w.close();
    return rfd;
  }
  const wfd = install(t, w, cloexec);
  if (wfd < 0) {
    t.fds.close(rfd);
    return wfd;
  }
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setInt32(0, rfd, true);
  v.setInt32(4, wfd, true);
  const c = copyOutArg(t, a, 0, out);
  if (c < 0) {
    t.fds.close(rfd);
    t.fds.close(wfd);
    return c;
  }
  return 0;
}

export const PIPE_SYSCALLS: readonly SyscallSpec[] = [
  ['pipe', ['ptr'], (t, a) => pipe2(t, a, 0)],
  ['pipe2', ['ptr', 'oflags'], (t, a) => pipe2(t, a, a.int(1))],
];
