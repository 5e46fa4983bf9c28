// wait4 and waitid over the kernel's child waits (kernel/task-wait.ts):
// argument decoding (which children, which options, Linux's EINVAL for
// unknown bits; a pidfd for waitid's P_PIDFD), and the reports: wait4's
// status word and rusage, waitid's siginfo.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { Task } from '../kernel/task.js';
import {
  __WALL,
  __WCLONE,
  __WNOTHREAD,
  WCONTINUED,
  type WaitResult,
  type WaitTarget,
  waitForChild,
  WEXITED,
  WNOHANG,
  WNOWAIT,
  WSTOPPED,
  WUNTRACED,
} from '../kernel/task-wait.js';
import { O_NONBLOCK } from '../vfs/index.js';
import { pidfdOf } from './pidfd.js';
import { encodeRusage } from './usage.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

const P_ALL = 0;
const P_PID = 1;
const P_PGID = 2;
const P_PIDFD = 3;
const SIGCHLD = 17;
const SIGINFO_SIZE = 128;
const INT_MIN = -(2 ** 31);

/** Finishes a wait: `done` stores the report; WNOHANG's 0 and errors pass through. */
function settle(r: WaitResult | number | Promise<WaitResult | number>, done: (w: WaitResult) => number): number | Promise<number> {
  const finish = (v: WaitResult | number): number => (typeof v === 'number' ? v : done(v));
  return r instanceof Promise ? r.then(finish) : finish(r);
}

/** wait4(pid, status, options, rusage). */
function wait4(t: Task, a: SyscallArgs): number | Promise<number> {
  const pid = a.int(0);
  const options = a.uint(2);
  if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) !== 0) return -E.EINVAL;
  if (pid === INT_MIN) return -E.ESRCH;
  const target: WaitTarget =
    pid > 0 ? { kind: 'pid', pid } : pid === -1 ? { kind: 'any' } : { kind: 'pgid', pgid: pid === 0 ? t.pgid : -pid };
  return settle(waitForChild(t, target, options | WEXITED), (w) => {
    const sp = a.ptr(1);
    if (sp !== 0) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, w.status, true);
      if (sp < 0 || t.mm.copyOut(sp, b) < 0) return -E.EFAULT;
    }
    const rp = a.ptr(3);
    if (rp !== 0 && (rp < 0 || t.mm.copyOut(rp, encodeRusage(w.cpu, w.maxRssKb)) < 0)) return -E.EFAULT;
    return w.pid;
  });
}

/**
 * waitid(idtype, id, infop, options, rusage): 0, with the child's siginfo
 * (zeroed when WNOHANG finds nothing). P_PIDFD waits for the process a
 * pidfd names; through an O_NONBLOCK pidfd the wait does not block: EAGAIN
 * (siginfo zeroed) when nothing is ready and the caller did not ask WNOHANG.
 */
function waitid(t: Task, a: SyscallArgs): number | Promise<number> {
  const type = a.int(0);
  const id = a.int(1);
  let options = a.uint(3);
  if ((options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) !== 0) return -E.EINVAL;
  if ((options & (WEXITED | WSTOPPED | WCONTINUED)) === 0) return -E.EINVAL;
  let target: WaitTarget;
  let wouldBlock = 0;
  if (type === P_ALL) target = { kind: 'any' };
  else if (type === P_PID && id > 0) target = { kind: 'pid', pid: id };
  else if (type === P_PGID && id >= 0) target = { kind: 'pgid', pgid: id === 0 ? t.pgid : id };
  else if (type === P_PIDFD && id >= 0) {
    const f = pidfdOf(t, id);
    if (typeof f === 'number') return f;
    target = { kind: 'process', process: f.process };
    if ((f.flags & O_NONBLOCK) !== 0 && (options & WNOHANG) === 0) {
      options |= WNOHANG;
      wouldBlock = -E.EAGAIN;
    }
  } else return -E.EINVAL;
  const info = a.ptr(2);
  const rp = a.ptr(4);
  const r = waitForChild(t, target, options);
  // WNOHANG with nothing to report: Linux clears the siginfo (si_pid 0 tells the caller).
  const none = (v: WaitResult | number): WaitResult | number => {
    if (v === 0 && info > 0 && t.mm.copyOut(info, new Uint8Array(SIGINFO_SIZE)) < 0) return -E.EFAULT;
    return v === 0 ? wouldBlock : v;
  };
  return settle(r instanceof Promise ? r.then(none) : none(r), (w) => {
    const b = new Uint8Array(SIGINFO_SIZE);
    const v = new DataView(b.buffer);
    v.setInt32(0, SIGCHLD, true);
    v.setInt32(8, w.code, true);
    v.setInt32(16, w.pid, true);
    v.setUint32(20, w.uid, true);
    v.setInt32(24, w.siStatus, true);
    if (info !== 0 && (info < 0 || t.mm.copyOut(info, b) < 0)) return -E.EFAULT;
    if (rp !== 0 && (rp < 0 || t.mm.copyOut(rp, encodeRusage(w.cpu, w.maxRssKb)) < 0)) return -E.EFAULT;
    return 0;
  });
}

export const WAIT_SYSCALLS: readonly SyscallSpec[] = [
  ['wait4', ['int', 'ptr', 'hex', 'ptr'], wait4],
  ['waitid', ['int', 'int', 'ptr', 'hex', 'ptr'], waitid],
];
