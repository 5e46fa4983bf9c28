// Resource limits of a process: Linux's defaults, and reading them. A
// process's limits live in its ThreadGroup (absent: the defaults below);
// RLIMIT_NOFILE's soft limit is the descriptor table's, so the two never
// disagree. The system calls are ../syscalls/rlimit.ts.
import type { Rlimit, Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

export const RLIMIT_CPU = 0;
export const RLIMIT_FSIZE = 1;
export const RLIMIT_DATA = 2;
export const RLIMIT_STACK = 3;
export const RLIMIT_CORE = 4;
export const RLIMIT_NPROC = 6;
export const RLIMIT_NOFILE = 7;
export const RLIMIT_MEMLOCK = 8;
export const RLIMIT_AS = 9;
export const RLIMIT_SIGPENDING = 11;
export const RLIMIT_MSGQUEUE = 12;
export const RLIMIT_NICE = 13;
export const RLIMIT_RTPRIO = 14;
export const RLIM_NLIMITS = 16;
/**
 * sysctl fs.nr_open: the highest RLIMIT_NOFILE anyone may set. Linux's
 * default is 2^20; a sandbox allows 2^16, because descriptors are not
 * charged to its memory limit and a million of them cost ~700 MB of the
 * host's heap (measured).
 */
export const NR_OPEN = 1 << 16;

/** Linux's initial limits (include/asm-generic/resource.h), with NPROC/SIGPENDING as a small machine's. */
const DEFAULTS: ReadonlyMap<number, Rlimit> = new Map([
  [RLIMIT_STACK, { cur: 8 << 20, max: Infinity }],
  [RLIMIT_CORE, { cur: 0, max: Infinity }],
  [RLIMIT_NPROC, { cur: 63_704, max: 63_704 }],
  [RLIMIT_NOFILE, { cur: 1024, max: 4096 }],
  [RLIMIT_MEMLOCK, { cur: 8 << 20, max: 8 << 20 }],
  [RLIMIT_SIGPENDING, { cur: 63_704, max: 63_704 }],
  [RLIMIT_MSGQUEUE, { cur: 819_200, max: 819_200 }],
  [RLIMIT_NICE, { cur: 0, max: 0 }],
  [RLIMIT_RTPRIO, { cur: 0, max: 0 }],
]);
const UNLIMITED: Rlimit = { cur: Infinity, max: Infinity };

/** The limit `resource` (0..RLIM_NLIMITS-1) of process `g`, as recorded (NOFILE's soft limit is the descriptor table's: see getRlimit). */
export function getRlimitOf(g: ThreadGroup, resource: number): Rlimit {
  const r = g.rlimits.get(resource) ?? DEFAULTS.get(resource) ?? UNLIMITED;
  return { cur: r.cur, max: r.max };
}

/** The limit `resource` of `t`'s process; RLIMIT_NOFILE's soft limit is its descriptor table's. */
export function getRlimit(t: Task, resource: number): Rlimit {
  const r = getRlimitOf(t.group, resource);
  if (resource !== RLIMIT_NOFILE) return r;
  return { cur: t.fds.limit, max: Math.max(r.max, t.fds.limit) };
}
