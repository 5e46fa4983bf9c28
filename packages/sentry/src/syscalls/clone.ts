// clone, clone3, fork and vfork: argument decoding over the kernel's
// cloneTask (kernel/task-clone.ts). The caller gets the child's thread id;
// the child starts at the same instruction with rax = 0. A vfork parent is
// parked until the child execs or exits.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import { NSIG } from '../kernel/signals.js';
import { safeU64 } from '../u64.js';
import {
  type CloneArgs,
  CLONE_DETACHED,
  CLONE_INTO_CGROUP,
  CLONE_NEWTIME,
  CLONE_PARENT,
  CLONE_THREAD,
  CLONE_VFORK,
  CLONE_VM,
  cloneTask,
  CSIGNAL,
  hasFlag,
  waitVfork,
} from '../kernel/task-clone.js';
import type { Task } from '../kernel/task.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

const SIGCHLD = 17;
/** struct clone_args sizes: CLONE_ARGS_SIZE_VER0 (the least clone3 takes), and the whole struct as Linux 6.x knows it. */
const CLONE_ARGS_SIZE_VER0 = 64;
const CLONE_ARGS_SIZE = 88;
const PAGE = 4096;
/** Linux's MAX_PID_NS_LEVEL: set_tid names at most this many pids. */
const MAX_PID_NS_LEVEL = 32;
/** TASK_SIZE_MAX: a clone3 stack must end below it (access_ok). */
const TASK_SIZE_MAX = 2 ** 47 - 4096;

/** Runs the clone: the child's tid for the parent (after a vfork child lets go), or an errno. */
function start(t: Task, args: CloneArgs): number | Promise<number> {
  const child = cloneTask(t, args);
  if (typeof child === 'number') return child;
  return hasFlag(args.flags, CLONE_VFORK) ? waitVfork(t, child) : child.tid;
}

/**
 * clone(flags, stack, parent_tid, child_tid, tls): the low byte of flags is
 * the exit signal, any value (one past NSIG is kept and sends nothing at
 * the child's end, as Linux; only clone3 checks it).
 */
function clone(t: Task, a: SyscallArgs): number | Promise<number> {
  const raw = a.uint(0);
  const exitSignal = raw & CSIGNAL;
  const flags = raw - exitSignal;
  return start(t, {
    flags,
    exitSignal: hasFlag(flags, CLONE_THREAD) ? 0 : exitSignal,
    stack: a.u64(1),
    parentTid: a.ptr(2),
    childTid: a.ptr(3),
    tls: a.u64(4),
    pidfd: a.ptr(2),
  });
}

/**
 * clone3(args, size): struct clone_args, checked in Linux's order (size,
 * unknown trailing bytes, flags, exit signal, stack, set_tid).
 */
function clone3(t: Task, a: SyscallArgs): number | Promise<number> {
  const size = a.size(1);
  if (size > PAGE) return -E.E2BIG;
  if (size < CLONE_ARGS_SIZE_VER0) return -E.EINVAL;
  const addr = a.ptr(0);
  const bytes = new Uint8Array(size);
  if (addr <= 0 || t.mm.copyIn(addr, bytes) < 0) return -E.EFAULT;
  if (bytes.subarray(CLONE_ARGS_SIZE).some((b) => b !== 0)) return -E.E2BIG;
  const whole = new Uint8Array(CLONE_ARGS_SIZE);
  whole.set(bytes.subarray(0, CLONE_ARGS_SIZE));
  const v = new DataView(whole.buffer);
  const flags = safeU64(v, 0);
  const exitSignal = safeU64(v, 32);
  const stack = safeU64(v, 40);
  const stackSize = safeU64(v, 48);
  const setTid = safeU64(v, 64);
  const setTidSize = safeU64(v, 72);
  // copy_clone_args_from_user, then clone3_args_valid: every failure is EINVAL.
  if (setTidSize > MAX_PID_NS_LEVEL || (setTid === 0) !== (setTidSize === 0)) return -E.EINVAL;
  if (exitSignal > NSIG) return -E.EINVAL;
  // Only the known flags; none of the exit-signal byte but CLONE_NEWTIME (0x80); no CLONE_DETACHED.
  if (!Number.isFinite(flags) || flags >= 2 ** 34 || ((flags % 256) & ~CLONE_NEWTIME) !== 0) return -E.EINVAL;
  if (hasFlag(flags, CLONE_INTO_CGROUP) || hasFlag(flags, CLONE_DETACHED)) return -E.EINVAL;
  if ((hasFlag(flags, CLONE_THREAD) || hasFlag(flags, CLONE_PARENT)) && exitSignal !== 0) return -E.EINVAL;
  if ((stack === 0) !== (stackSize === 0) || !(stack + stackSize <= TASK_SIZE_MAX)) return -E.EINVAL;
  // Choosing the child's pid needs CAP_CHECKPOINT_RESTORE, which a sandboxed program does not hold.
  if (setTidSize !== 0) return -E.EPERM;
  return start(t, {
    flags,
    exitSignal: hasFlag(flags, CLONE_THREAD) ? 0 : exitSignal,
    stack: stack === 0 ? 0 : stack + stackSize,
    pidfd: safeU64(v, 8),
    childTid: safeU64(v, 16),
    parentTid: safeU64(v, 24),
    tls: safeU64(v, 56),
  });
}

const NONE = { stack: 0, tls: 0, parentTid: 0, childTid: 0, pidfd: 0 };

export const CLONE_SYSCALLS: readonly SyscallSpec[] = [
  ['clone', ['hex', 'ptr', 'ptr', 'ptr', 'hex'], clone],
  ['clone3', ['ptr', 'size'], clone3],
  ['fork', [], (t) => start(t, { flags: 0, exitSignal: SIGCHLD, ...NONE })],
  ['vfork', [], (t) => start(t, { flags: CLONE_VM | CLONE_VFORK, exitSignal: SIGCHLD, ...NONE })],
];
