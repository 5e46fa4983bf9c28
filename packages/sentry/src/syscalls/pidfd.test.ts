import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { PidFd } from '../fd/pidfd.js';
import { POLLHUP, POLLIN, POLLRDNORM } from '../fd/readiness.js';
import { CLONE_PIDFD, CLONE_VM, type CloneArgs, cloneTask } from '../kernel/task-clone.js';
import { finishThread, reap } from '../kernel/task-exit.js';
import type { Task } from '../kernel/task.js';
import { call, type FakeTask, handlerOf, makeTask } from '../testing/fake-task.js';
import { POLL_SYSCALLS } from './fs/poll.js';
import { PIDFD_SYSCALLS } from './pidfd.js';

const SIGCHLD = 17;
const pidfdOpen = (t: Task, pid: number): number => call(t, handlerOf(PIDFD_SYSCALLS, 'pidfd_open'), pid, 0) as number;

/** A child process of `t` sharing its memory (the fake memory cannot be copied), or the errno. */
function child(t: Task, more: Partial<CloneArgs> = {}): Task | number {
  return cloneTask(t, { flags: CLONE_VM, exitSignal: SIGCHLD, stack: 0, tls: 0, parentTid: 0, childTid: 0, pidfd: 0, ...more });
}

function exitNow(c: Task, code: number): void {
  c.exitThread({ code });
  c.state = 'dead';
  finishThread(c);
}

/** poll(2) on one descriptor for POLLIN, forever: resolves with poll's result and the revents it wrote. */
function pollIn(t: FakeTask, fd: number): Promise<[number, number]> {
  const p = t.mm.alloc(8);
  t.mm.dv(p, 8).setInt32(0, fd, true);
  t.mm.dv(p, 8).setInt16(4, POLLIN, true);
  return Promise.resolve(call(t, handlerOf(POLL_SYSCALLS, 'poll'), p, 1, -1)).then((n) => [n, t.mm.dv(p, 8).getInt16(6, true)]);
}

describe('pidfd readiness', () => {
  it('a poll parks until the process ends (it is woken, never polls); POLLHUP once reaped', async () => {
    const t = makeTask();
    const c = child(t) as Task;
    const fd = pidfdOpen(t, c.tid);
    const f = t.fds.get(fd) as PidFd;
    let settled = false;
    const waiting = pollIn(t, fd).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    expect(c.group.exitWatchers.size).toBe(1);
    exitNow(c, 3);
    expect(await waiting).toEqual([1, POLLIN]);
    expect(f.readiness()).toBe(POLLIN | POLLRDNORM);
    expect(f.fdinfo()).toBe(`Pid:\t${c.tid}\nNSpid:\t${c.tid}\n`);
    reap(t.kernel, c.group);
    expect(f.readiness()).toBe(POLLIN | POLLRDNORM | POLLHUP);
    expect(f.fdinfo()).toBe('Pid:\t-1\nNSpid:\t-1\n');
    expect(pidfdOpen(t, c.tid)).toBe(-E.ESRCH);
  });
});

describe('CLONE_PIDFD', () => {
  it('installs a close-on-exec pidfd in the parent only, at the number it wrote', () => {
    const t = makeTask();
    const at = t.mm.alloc(4);
    const c = child(t, { flags: CLONE_VM | CLONE_PIDFD, pidfd: at }) as Task;
    const fd = t.mm.dv(at, 4).getInt32(0, true);
    const f = t.fds.get(fd);
    expect(f).toBeInstanceOf(PidFd);
    expect((f as PidFd).process).toBe(c.group);
    expect(t.fds.cloexec(fd)).toBe(true);
    expect(c.fds.get(fd)).toBeUndefined();
  });

  it('makes no child when the pidfd cannot be written (EFAULT) or has no slot (EMFILE)', () => {
    const t = makeTask();
    const live = t.kernel.pids.liveTasks;
    for (const bad of [t.mm.unmapped, 0, Infinity]) expect(child(t, { flags: CLONE_VM | CLONE_PIDFD, pidfd: bad })).toBe(-E.EFAULT);
    t.fds.limit = 0;
    expect(child(t, { flags: CLONE_VM | CLONE_PIDFD, pidfd: t.mm.alloc(4) })).toBe(-E.EMFILE);
    expect(t.kernel.pids.liveTasks).toBe(live);
    expect(t.group.children.size).toBe(0);
  });
});
