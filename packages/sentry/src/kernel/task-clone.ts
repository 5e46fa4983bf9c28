// Creating tasks, as Linux's copy_process: a thread of the same process
// (CLONE_THREAD) or a new process, whose memory, descriptor table,
// filesystem context and signal dispositions are shared or copied as the
// flags say; fork is clone(SIGCHLD) and copies memory copy-on-write
// (TaskMemory.fork). The flag checks and their errno follow Linux's order.
import { Reg, Registers } from '@tsv/platform';
import { E } from '../errno.js';
import { PidFd } from '../fd/pidfd.js';
import { Park } from './park.js';
import { runProgram } from './task-exec.js';
import { addUser } from './refs.js';
import { getRlimit, RLIMIT_NPROC } from './rlimit.js';
import { NSIG, SIG_DFL, SIG_IGN, SignalState } from './signals.js';
import { Task } from './task.js';
import { ThreadGroup } from './thread-group.js';

export const CSIGNAL = 0xff;
export const CLONE_VM = 0x100;
export const CLONE_FS = 0x200;
export const CLONE_FILES = 0x400;
export const CLONE_SIGHAND = 0x800;
export const CLONE_PIDFD = 0x1000;
export const CLONE_VFORK = 0x4000;
export const CLONE_PARENT = 0x8000;
export const CLONE_THREAD = 0x1_0000;
export const CLONE_NEWNS = 0x2_0000;
export const CLONE_SYSVSEM = 0x4_0000;
export const CLONE_SETTLS = 0x8_0000;
export const CLONE_PARENT_SETTID = 0x10_0000;
export const CLONE_CHILD_CLEARTID = 0x20_0000;
export const CLONE_DETACHED = 0x40_0000;
export const CLONE_CHILD_SETTID = 0x100_0000;
export const CLONE_NEWCGROUP = 0x200_0000;
export const CLONE_NEWUTS = 0x400_0000;
export const CLONE_NEWIPC = 0x800_0000;
export const CLONE_NEWUSER = 0x1000_0000;
export const CLONE_NEWPID = 0x2000_0000;
export const CLONE_NEWNET = 0x4000_0000;
export const CLONE_NEWTIME = 0x80;
/** clone3 only (above 32 bits). */
export const CLONE_CLEAR_SIGHAND = 2 ** 32;
export const CLONE_INTO_CGROUP = 2 ** 33;

/** Namespace flags: an unprivileged caller (which a sandboxed program is) gets EPERM. */
const NAMESPACES =
  CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME;
/** TASK_SIZE_MAX: a TLS base must lie below it (ARCH_SET_FS's rule). */
const TASK_SIZE_MAX = 2 ** 47 - 4096;

/** What clone/clone3 asked for, decoded. */
export interface CloneArgs {
  /** The flags, exit signal excluded (may exceed 32 bits: clone3). */
  flags: number;
  exitSignal: number;
  /** The child's stack pointer (0: the parent's). */
  stack: number;
  tls: number;
  parentTid: number;
  childTid: number;
  /** CLONE_PIDFD: where the parent's new pidfd goes (legacy clone: parent_tid's address). */
  pidfd: number;
}

/** Whether `flags` (up to 2^53) has flag `f` (a power of two). */
export const hasFlag = (flags: number, f: number): boolean => Math.floor(flags / f) % 2 === 1;

/** copy_process's flag checks: 0, or the errno Linux gives. */
function checkFlags(t: Task, a: CloneArgs): number {
  const f = a.flags;
  const has = (x: number) => hasFlag(f, x);
  if (has(CLONE_NEWNS) && has(CLONE_FS)) return -E.EINVAL;
  if (has(CLONE_NEWUSER) && has(CLONE_FS)) return -E.EINVAL;
  if (has(CLONE_THREAD) && !has(CLONE_SIGHAND)) return -E.EINVAL;
  if (has(CLONE_SIGHAND) && !has(CLONE_VM)) return -E.EINVAL;
  // The namespace's init cannot make siblings.
  if (has(CLONE_PARENT) && t.group.parent === null) return -E.EINVAL;
  if (has(CLONE_THREAD) && (has(CLONE_NEWUSER) || has(CLONE_NEWPID))) return -E.EINVAL;
  if (has(CLONE_SIGHAND) && has(CLONE_CLEAR_SIGHAND)) return -E.EINVAL;
  if (has(CLONE_PIDFD) && (has(CLONE_DETACHED) || has(CLONE_THREAD))) return -E.EINVAL;
  if (((f % 2 ** 32) & NAMESPACES) !== 0) return -E.EPERM;
  if (has(CLONE_SETTLS) && (a.tls < 0 || a.tls >= TASK_SIZE_MAX)) return -E.EPERM;
  return 0;
}

/** Live processes of the caller's real uid, for RLIMIT_NPROC. */
function countProcesses(t: Task): number {
  let n = 0;
  for (const g of t.kernel.pids.groups()) if (g.exitStatus === undefined && g.creds.uid === t.creds.uid) n++;
  return n;
}

/** A new process for a clone without CLONE_THREAD: a copy of the caller's identity, limits and image names. */
function newProcess(t: Task, a: CloneArgs, pid: number): ThreadGroup {
  const g = t.group;
  const child = new ThreadGroup({
    pid,
    parent: hasFlag(a.flags, CLONE_PARENT) ? g.parent : g,
    pgid: g.pgid,
    sid: g.sid,
    creds: { ...g.creds, groups: [...g.creds.groups] },
    rlimits: new Map([...g.rlimits].map(([r, l]) => [r, { ...l }])),
    exitSignal: a.exitSignal,
    exePath: g.exePath,
  });
  child.exe = g.exe;
  runProgram(t.kernel, child, g.programKey);
  child.cmdline = g.cmdline;
  child.environ = g.environ;
  child.parent?.children.add(child);
  return child;
}

/** The new thread's signal state: dispositions shared or copied, the caller's mask, no pending signals. */
function childSignals(t: Task, a: CloneArgs, group: ThreadGroup): SignalState {
  const f = a.flags;
  const handlers = hasFlag(f, CLONE_SIGHAND) ? t.signals.handlers : t.signals.handlers.copy();
  if (hasFlag(f, CLONE_CLEAR_SIGHAND)) {
    for (let i = 1; i <= NSIG; i++)
      if (handlers.actions[i]!.handler !== SIG_IGN) handlers.actions[i] = { ...handlers.actions[i]!, handler: SIG_DFL };
  }
  const s = new SignalState(handlers, group.sharedPending);
  s.setMask(t.signals.maskLo, t.signals.maskHi);
  // A thread sharing memory without vfork must not share the parent's alternate stack (Linux clears it).
  const p = t.signals;
  if (!(hasFlag(f, CLONE_VM) && !hasFlag(f, CLONE_VFORK)) && p.altSize !== 0) s.setAltStack(p.altSp, p.altFlags, p.altSize, 0);
  return s;
}

/**
 * CLONE_PIDFD's descriptor, settled before the child is made (Linux
 * reserves it and writes its number to the caller before the child
 * exists): the lowest free descriptor, written to `addr`; -EMFILE or
 * -EFAULT, and then no child is made. cloneTask installs the pidfd there.
 */
function reservePidfd(t: Task, addr: number): number {
  const fd = t.fds.lowestFree();
  if (fd < 0) return fd;
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, fd, true);
  return addr > 0 && t.mm.copyOut(addr, b) >= 0 ? fd : -E.EFAULT;
}

function writeTid(t: Task, addr: number, tid: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, tid, true);
  if (addr > 0) t.mm.copyOut(addr, b);
}

/**
 * Creates the task clone asks for and puts it on the run queue; returns it,
 * or a negative errno (EAGAIN past RLIMIT_NPROC or the sandbox's task
 * limit, ENOMEM when memory cannot be copied).
 */
export function cloneTask(t: Task, a: CloneArgs): Task | number {
  const k = t.kernel;
  const f = a.flags;
  // kernel_clone's check, before copy_process's: one address cannot take both the pidfd and the tid.
  if (hasFlag(f, CLONE_PIDFD) && hasFlag(f, CLONE_PARENT_SETTID) && a.pidfd === a.parentTid) return -E.EINVAL;
  const bad = checkFlags(t, a);
  if (bad < 0) return bad;
  const thread = hasFlag(f, CLONE_THREAD);
  if (k.pids.liveTasks + k.pids.zombies >= k.maxTasks) return -E.EAGAIN;
  if (!thread && t.creds.uid !== 0 && countProcesses(t) >= getRlimit(t, RLIMIT_NPROC).cur) return -E.EAGAIN;
  const pidfd = hasFlag(f, CLONE_PIDFD) ? reservePidfd(t, a.pidfd) : 0;
  if (pidfd < 0) return pidfd;

  let mm = t.mm;
  if (hasFlag(f, CLONE_VM)) {
    addUser(mm);
  } else {
    const copy = t.mm.fork?.() ?? -E.ENOSYS;
    if (typeof copy === 'number') return copy;
    mm = copy;
  }
  let fds = t.fds;
  if (hasFlag(f, CLONE_FILES)) addUser(fds);
  else fds = t.fds.fork();
  const fs = hasFlag(f, CLONE_FS) ? t.fs : { ...t.fs };

  const tid = k.allocateTid();
  const group = thread ? t.group : newProcess(t, a, tid);
  const regs = new Registers();
  regs.u32.set(t.regs.u32);
  regs.set(Reg.rax, 0);
  if (a.stack !== 0) regs.set(Reg.rsp, a.stack);
  if (hasFlag(f, CLONE_SETTLS)) regs.set(Reg.fs_base, a.tls);
  k.saveFpu(t.fpu);
  const child = new Task({
    kernel: k,
    tid,
    regs,
    fpu: { bytes: t.fpu.bytes.slice() },
    mm,
    fs,
    comm: t.comm,
    group,
    fds,
    signals: childSignals(t, a, group),
  });
  if (hasFlag(f, CLONE_CHILD_CLEARTID)) child.clearChildTid = a.childTid;
  if (hasFlag(f, CLONE_CHILD_SETTID)) writeTid(child, a.childTid, tid);
  if (hasFlag(f, CLONE_PARENT_SETTID)) writeTid(t, a.parentTid, tid);
  if (hasFlag(f, CLONE_PIDFD)) t.fds.put(pidfd, new PidFd(group), true);
  k.pids.add(child);
  k.makeRunnable(child);
  return child;
}

/**
 * CLONE_VFORK: the parent waits until the child has exec'd or exited (only
 * a fatal signal ends the wait early, as Linux's killable wait); resolves
 * with the child's tid.
 */
export function waitVfork(t: Task, child: Task): Promise<number> {
  const park = new Park(t, undefined, true);
  child.vforkDone = () => park.wake();
  return park.promise.then(() => child.tid);
}
