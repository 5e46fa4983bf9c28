// pidfd_open, pidfd_send_signal and pidfd_getfd over the pidfd of
// ../fd/pidfd.ts (clone's CLONE_PIDFD makes one in kernel/task-clone.ts,
// waitid(P_PIDFD) waits through one in wait.ts). Every pidfd names a whole
// process (PIDFD_THREAD, Linux 6.9's pidfd of one thread, is not
// supported: EINVAL).
import { E } from '../errno.js';
import { PIDFD_NONBLOCK, PidFd } from '../fd/pidfd.js';
import type { SyscallArgs } from '../kernel/args.js';
import { NSIG, SI_TKILL, SI_USER, type SigInfo } from '../kernel/signals.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';
import type { Task } from '../kernel/task.js';
import type { ThreadGroup } from '../kernel/thread-group.js';
import { install } from './fs/open.js';
import { mayForge, readUserSigInfo, sendTo, sendToGroup } from './signal.js';

/** pidfd_send_signal's scopes (Linux 6.13): at most one; none means the pidfd's own (the process). */
const PIDFD_SIGNAL_THREAD = 1;
const PIDFD_SIGNAL_THREAD_GROUP = 2;
const PIDFD_SIGNAL_PROCESS_GROUP = 4;

/** The pidfd at `fd`: EBADF when it is not open or not a pidfd. */
export function pidfdOf(t: Task, fd: number): PidFd | number {
  const f = t.fds.get(fd);
  return f instanceof PidFd ? f : -E.EBADF;
}

/** The thread whose id is the process's (the leader), while it lives. */
function leaderThread(g: ThreadGroup): Task | undefined {
  for (const t of g.tasks) if (t.tid === g.pid) return t;
  return undefined;
}

/**
 * pidfd_open(pid, flags): a close-on-exec pidfd for process `pid` (a
 * zombie too). ESRCH for no such id; a thread that is not its process's
 * leader is ENOENT, as Linux 6.18 answers (EINVAL before 6.15).
 */
function pidfdOpen(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const flags = a.uint(1);
  if ((flags & ~PIDFD_NONBLOCK) !== 0 || pid <= 0) return -E.EINVAL;
  const g = t.kernel.pids.group(pid);
  if (g === undefined) return t.kernel.pids.task(pid) !== undefined ? -E.ENOENT : -E.ESRCH;
  return install(t, new PidFd(g, flags), true);
}

/**
 * pidfd_send_signal(pidfd, sig, info, flags), in Linux's order: the flags
 * (one scope at most), the descriptor (EBADF), the siginfo (read as
 * rt_sigqueueinfo reads it; its si_signo must be `sig`, and only towards
 * the caller itself may it pose as kill or tkill: EPERM), then the target:
 * ESRCH once the process is reaped, the signal's own checks (EINVAL,
 * EPERM) after that. A zombie takes any signal and ignores it.
 */
function pidfdSendSignal(t: Task, a: SyscallArgs): number {
  const sig = a.int(1);
  const scope = a.uint(3);
  if (scope !== 0 && scope !== PIDFD_SIGNAL_THREAD && scope !== PIDFD_SIGNAL_THREAD_GROUP && scope !== PIDFD_SIGNAL_PROCESS_GROUP)
    return -E.EINVAL;
  const f = pidfdOf(t, a.int(0));
  if (typeof f === 'number') return f;
  const g = f.process;
  const ptr = a.ptr(2);
  let info: Omit<SigInfo, 'signo'> = { code: scope === PIDFD_SIGNAL_THREAD ? SI_TKILL : SI_USER, pid: t.pid, uid: t.creds.uid };
  if (ptr !== 0) {
    const given = readUserSigInfo(t, ptr, sig);
    if (typeof given === 'number') return given;
    const signo = new Uint8Array(4);
    t.mm.copyIn(ptr, signo); // readable: readUserSigInfo read these bytes
    if (new DataView(signo.buffer).getInt32(0, true) !== sig) return -E.EINVAL;
    // "Itself" is the calling thread: the pidfd names its id, and the scope is not a process group.
    if (!mayForge(given, t.tid === g.pid && scope !== PIDFD_SIGNAL_PROCESS_GROUP)) return -E.EPERM;
    info = given;
  }
  if (scope === PIDFD_SIGNAL_PROCESS_GROUP) return sendToGroup(t, g.pid, sig, info);
  if (g.reaped) return -E.ESRCH;
  if (scope !== PIDFD_SIGNAL_THREAD) return sendTo(t, g, null, sig, info);
  const leader = leaderThread(g);
  if (leader !== undefined) return sendTo(t, g, leader, sig, info);
  // The leader thread has ended (the process lives on in others, or is a zombie): checked, then dropped.
  if (sig < 0 || sig > NSIG) return -E.EINVAL;
  return Math.min(0, sendTo(t, g, null, 0, info));
}

/**
 * ptrace_may_access for pidfd_getfd, kept to what a sandbox needs: the
 * caller's own process, or one it started (a descendant, as Yama's
 * default scope), whose ids all match the caller's real ones unless the
 * caller is root.
 */
function mayTakeFds(t: Task, g: ThreadGroup): boolean {
  if (g === t.group) return true;
  let p = g.parent;
  while (p !== null && p !== t.group) p = p.parent;
  if (p === null) return false;
  const c = t.creds;
  const tc = g.creds;
  if (c.euid === 0) return true;
  return [tc.uid, tc.euid, tc.suid].every((u) => u === c.uid) && [tc.gid, tc.egid, tc.sgid].every((x) => x === c.gid);
}

/**
 * pidfd_getfd(pidfd, fd, flags): a close-on-exec copy in the caller's
 * table of descriptor `fd` of the process (the same open file). flags must
 * be 0; ESRCH once the process has ended (a zombie has no descriptors);
 * EPERM for a process the caller may not trace; EBADF for a bad `fd`.
 */
function pidfdGetfd(t: Task, a: SyscallArgs): number {
  if (a.uint(2) !== 0) return -E.EINVAL;
  const f = pidfdOf(t, a.int(0));
  if (typeof f === 'number') return f;
  const g = f.process;
  if (g.exitStatus !== undefined) return -E.ESRCH;
  if (!mayTakeFds(t, g)) return -E.EPERM;
  const file = leaderThread(g)?.fds.get(a.int(1));
  return file === undefined ? -E.EBADF : t.fds.add(file, true);
}

export const PIDFD_SYSCALLS: readonly SyscallSpec[] = [
  ['pidfd_open', ['int', 'hex'], pidfdOpen],
  ['pidfd_send_signal', ['fd', 'signal', 'ptr', 'hex'], pidfdSendSignal],
  ['pidfd_getfd', ['fd', 'int', 'hex'], pidfdGetfd],
];
