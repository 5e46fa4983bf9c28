// Process-level calls: exit, the ids of the process, its group and session,
// thread-area set-up (arch_prctl, set_tid_address, robust futex lists, rseq).
// PROCESS_SYSCALLS also gathers identities (creds.ts), limits (rlimit.ts),
// scheduling (sched.ts), usage (usage.ts) and uname (uts.ts).
import { Reg } from '@tsv/platform';
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { Task } from '../kernel/task.js';
import type { ThreadGroup } from '../kernel/thread-group.js';
import { CRED_SYSCALLS } from './creds.js';
import { RLIMIT_SYSCALLS } from './rlimit.js';
import { SCHED_SYSCALLS } from './sched.js';
import { writeU64 } from './structs.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';
import { USAGE_SYSCALLS } from './usage.js';
import { UTS_SYSCALLS } from './uts.js';

export const ARCH_SET_GS = 0x1001;
export const ARCH_SET_FS = 0x1002;
export const ARCH_GET_FS = 0x1003;
export const ARCH_GET_GS = 0x1004;
export const ARCH_GET_CPUID = 0x1011;
export const ARCH_SET_CPUID = 0x1012;
/** TASK_SIZE_MAX: fs/gs bases must lie below it (the top user page excluded). */
export const TASK_SIZE_MAX = 2 ** 47 - 4096;
/** sizeof(struct robust_list_head). */
export const ROBUST_LIST_HEAD_SIZE = 24;

/** exit(2) ends the calling thread; its process ends with its last thread. The result is never seen. */
function exit(t: Task, a: SyscallArgs): number {
  t.exitThread({ code: a.int(0) & 0xff });
  return 0;
}

/** exit_group(2) ends every thread of the process. */
function exitGroup(t: Task, a: SyscallArgs): number {
  t.exit({ code: a.int(0) & 0xff });
  return 0;
}

/** The process a pid argument names: the caller for 0, else a live or zombie process, or ESRCH. */
function processOf(t: Task, pid: number): ThreadGroup | number {
  if (pid === 0) return t.group;
  const g = pid > 0 ? t.kernel.pids.group(pid) : undefined;
  return g === undefined ? -E.ESRCH : g;
}

/**
 * setpgid(2) with Linux's rules, in its order: the target is the caller or
 * one of its children (ESRCH otherwise); a child in another session is
 * EPERM, one that has exec'd EACCES; a session leader cannot move (EPERM);
 * the group joined must exist in the caller's session or be named after
 * the target (EPERM).
 */
function setpgid(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  let pgid = a.int(1);
  if (pgid < 0) return -E.EINVAL;
  const g = processOf(t, pid);
  if (typeof g === 'number') return g;
  if (g !== t.group && (g.parent !== t.group || g.exitStatus !== undefined)) return -E.ESRCH;
  if (pgid === 0) pgid = g.pid;
  if (g !== t.group && g.sid !== t.sid) return -E.EPERM;
  if (g !== t.group && g.execed) return -E.EACCES;
  if (g.sid === g.pid || g.sid !== t.sid) return -E.EPERM;
  if (pgid !== g.pid) {
    let exists = false;
    for (const m of t.kernel.pids.processGroup(pgid)) if (m.sid === t.sid && m.exitStatus === undefined) exists = true;
    if (!exists) return -E.EPERM;
  }
  g.pgid = pgid;
  return 0;
}

function setsid(t: Task): number {
  // A process group named after the caller already exists: it leads one.
  for (const g of t.kernel.pids.processGroup(t.pid)) if (g.exitStatus === undefined || g === t.group) return -E.EPERM;
  t.sid = t.pid;
  t.pgid = t.pid;
  return t.sid;
}

function getpgid(t: Task, a: SyscallArgs): number {
  const g = processOf(t, a.int(0));
  return typeof g === 'number' ? g : g.pgid;
}

/** getsid(2): the session of the caller or of any process (Linux lets a process outside the session ask, within a namespace). */
function getsid(t: Task, a: SyscallArgs): number {
  const g = processOf(t, a.int(0));
  return typeof g === 'number' ? g : g.sid;
}

function archPrctl(t: Task, a: SyscallArgs): number {
  const code = a.int(0);
  switch (code) {
    case ARCH_SET_FS:
    case ARCH_SET_GS: {
      const base = a.u64(1);
      if (base >= TASK_SIZE_MAX) return -E.EPERM;
      t.regs.set(code === ARCH_SET_FS ? Reg.fs_base : Reg.gs_base, base);
      return 0;
    }
    case ARCH_GET_FS:
    case ARCH_GET_GS:
      return writeU64(t.mm, a.ptr(1), t.regs.get(code === ARCH_GET_FS ? Reg.fs_base : Reg.gs_base));
    case ARCH_GET_CPUID:
      return 1;
    case ARCH_SET_CPUID:
      return -E.ENODEV; // CPUID faulting is not offered
    default:
      return -E.EINVAL;
  }
}

function setTidAddress(t: Task, a: SyscallArgs): number {
  t.clearChildTid = Math.max(0, a.ptr(0));
  return t.tid;
}

function setRobustList(t: Task, a: SyscallArgs): number {
  if (a.size(1) !== ROBUST_LIST_HEAD_SIZE) return -E.EINVAL;
  t.robustList = Math.max(0, a.ptr(0));
  t.robustListLen = ROBUST_LIST_HEAD_SIZE;
  return 0;
}

function getRobustList(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const target = pid === 0 ? t : t.kernel.pids.task(pid);
  if (target === undefined) return -E.ESRCH;
  if (target.creds.uid !== t.creds.euid && t.creds.euid !== 0) return -E.EPERM;
  if (writeU64(t.mm, a.ptr(2), ROBUST_LIST_HEAD_SIZE) < 0) return -E.EFAULT;
  return writeU64(t.mm, a.ptr(1), target.robustList);
}

const OWN_SYSCALLS: readonly SyscallSpec[] = [
  ['exit', ['int'], exit, 'void'],
  ['exit_group', ['int'], exitGroup, 'void'],
  ['getpid', [], (t) => t.pid],
  ['getppid', [], (t) => t.ppid],
  ['gettid', [], (t) => t.tid],
  ['getpgrp', [], (t) => t.pgid],
  ['getpgid', ['int'], getpgid],
  ['getsid', ['int'], getsid],
  ['setpgid', ['int', 'int'], setpgid],
  ['setsid', [], setsid],
  ['arch_prctl', ['hex', 'hex'], archPrctl],
  ['set_tid_address', ['ptr'], setTidAddress],
  ['set_robust_list', ['ptr', 'size'], setRobustList],
  ['get_robust_list', ['int', 'ptr', 'ptr'], getRobustList],
  // Restartable sequences are optional: glibc carries on without them.
  ['rseq', ['ptr', 'uint', 'hex', 'hex'], () => -E.ENOSYS],
];

export const PROCESS_SYSCALLS: readonly SyscallSpec[] = [
  ...OWN_SYSCALLS,
  ...CRED_SYSCALLS,
  ...RLIMIT_SYSCALLS,
  ...SCHED_SYSCALLS,
  ...USAGE_SYSCALLS,
  ...UTS_SYSCALLS,
];
