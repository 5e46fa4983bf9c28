// Scheduling calls for a sandbox that presents one CPU: affinity is CPU 0,
// the policy is SCHED_OTHER, and a nice value is recorded per task.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { Task } from '../kernel/task.js';
import { getRlimit, RLIMIT_NICE } from '../kernel/rlimit.js';
import { writeU32 } from './structs.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

/** The kernel's cpumask size for one CPU: one unsigned long. */
export const CPUMASK_SIZE = 8;
const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const SCHED_RR = 2;
const SCHED_BATCH = 3;
const SCHED_IDLE = 5;
const SCHED_DEADLINE = 6;
const PRIO_PROCESS = 0;
const PRIO_PGRP = 1;
const PRIO_USER = 2;

const nices = new WeakMap<Task, number>();

/** A pid argument that names the caller: 0 or its own id. */
const isSelf = (t: Task, pid: number): boolean => pid === 0 || pid === t.pid || pid === t.tid;

function getaffinity(t: Task, a: SyscallArgs): number {
  const len = a.uint(1);
  if (len === 0 || len % 8 !== 0) return -E.EINVAL;
  if (!isSelf(t, a.int(0))) return -E.ESRCH;
  const mask = new Uint8Array(CPUMASK_SIZE);
  mask[0] = 1;
  const p = a.ptr(2);
  return p <= 0 || t.mm.copyOut(p, mask) < 0 ? -E.EFAULT : CPUMASK_SIZE;
}

function setaffinity(t: Task, a: SyscallArgs): number {
  const len = Math.min(a.uint(1), CPUMASK_SIZE);
  const mask = new Uint8Array(CPUMASK_SIZE);
  const p = a.ptr(2);
  if (len > 0 && (p <= 0 || t.mm.copyIn(p, mask, len) < 0)) return -E.EFAULT;
  if (!isSelf(t, a.int(0))) return -E.ESRCH;
  return (mask[0]! & 1) === 0 ? -E.EINVAL : 0;
}

function getcpu(t: Task, a: SyscallArgs): number {
  for (const i of [0, 1]) {
    const p = a.ptr(i);
    if (p !== 0 && writeU32(t.mm, p, 0) < 0) return -E.EFAULT;
  }
  return 0;
}

function getscheduler(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  if (pid < 0) return -E.EINVAL;
  return isSelf(t, pid) ? SCHED_OTHER : -E.ESRCH;
}

function getparam(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const p = a.ptr(1);
  if (pid < 0 || p === 0) return -E.EINVAL;
  if (!isSelf(t, pid)) return -E.ESRCH;
  return writeU32(t.mm, p, 0); // sched_priority: 0 for SCHED_OTHER
}

function priorityLimit(max: boolean) {
  return (_t: Task, a: SyscallArgs): number => {
    switch (a.int(0)) {
      case SCHED_FIFO:
      case SCHED_RR:
        return max ? 99 : 1;
      case SCHED_OTHER:
      case SCHED_BATCH:
      case SCHED_IDLE:
      case SCHED_DEADLINE:
        return 0;
      default:
        return -E.EINVAL;
    }
  };
}

/** Whether getpriority/setpriority's (which, who) names the caller; -EINVAL for an unknown `which`. */
function prioTarget(t: Task, which: number, who: number): boolean | number {
  switch (which) {
    case PRIO_PROCESS:
      return who === 0 || who === t.pid;
    case PRIO_PGRP:
      return who === 0 || who === t.pgid;
    case PRIO_USER:
      return who === 0 || who === t.creds.uid;
    default:
      return -E.EINVAL;
  }
}

function getpriority(t: Task, a: SyscallArgs): number {
  const target = prioTarget(t, a.int(0), a.int(1));
  if (typeof target === 'number') return target;
  // The raw system call returns 20 - nice, so that it is never negative.
  return target ? 20 - (nices.get(t) ?? 0) : -E.ESRCH;
}

function setpriority(t: Task, a: SyscallArgs): number {
  const target = prioTarget(t, a.int(0), a.int(1));
  if (typeof target === 'number') return target;
  if (!target) return -E.ESRCH;
  const nice = Math.min(19, Math.max(-20, a.int(2)));
  // Lowering the nice value needs privilege or room under RLIMIT_NICE (which allows down to 20 - cur).
  if (nice < (nices.get(t) ?? 0) && t.creds.euid !== 0 && 20 - nice > getRlimit(t, RLIMIT_NICE).cur) return -E.EACCES;
  nices.set(t, nice);
  return 0;
}

export const SCHED_SYSCALLS: readonly SyscallSpec[] = [
  ['sched_getaffinity', ['int', 'uint', 'ptr'], getaffinity],
  ['sched_setaffinity', ['int', 'uint', 'ptr'], setaffinity],
  ['sched_yield', [], () => 0],
  ['getcpu', ['ptr', 'ptr', 'ptr'], getcpu],
  ['sched_getscheduler', ['int'], getscheduler],
  ['sched_getparam', ['int', 'ptr'], getparam],
  ['sched_get_priority_max', ['int'], priorityLimit(true)],
  ['sched_get_priority_min', ['int'], priorityLimit(false)],
  ['getpriority', ['int', 'int'], getpriority],
  ['setpriority', ['int', 'int', 'int'], setpriority],
];
