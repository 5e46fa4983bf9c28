// epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait and
// epoll_pwait2: their arguments, decoded and checked in Linux's order; the
// sets and their rules are ../../fd/epoll/.
//
// A wait that finds nothing parks on the set (../../kernel/wait-ready.ts).
// Interrupted by a signal it fails with EINTR, never restarted (signal(7)).
// epoll_pwait and epoll_pwait2 wait with their sigmask as the blocked set,
// restored at once unless the result is EINTR (the signal's handler frame
// then saves the caller's mask), as ppoll does. The set is held while a
// task waits on it, so a close by another thread does not empty it under
// the waiter (Linux's fdget holds the file the same way).
import { E } from '../../errno.js';
import { EpollFile, type EpollEvent, epollCtl, newEpoll, opHasEvent } from '../../fd/epoll/index.js';
import type { SyscallArgs } from '../../kernel/args.js';
import { hold, release } from '../../kernel/fdtable.js';
import { ERESTARTNOHAND } from '../../kernel/restart.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import type { Task } from '../../kernel/task.js';
import { type Timeout, timeoutAfter, waitReady } from '../../kernel/wait-ready.js';
import { O_CLOEXEC } from '../../vfs/index.js';
import { TASK_SIZE_MAX } from '../process.js';
import { applySigmaskArg } from '../signal.js';
import { copyInArg, fileOf } from './common.js';
import { install } from './open.js';
import { andThen, timeoutArg } from './poll.js';

/** sizeof(struct epoll_event): packed on x86-64 (u32 events, u64 data). */
const EVENT_SIZE = 12;
/** EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event). */
const MAX_EVENTS = Math.floor(0x7fff_ffff / EVENT_SIZE);
const NS_PER_MS = 1_000_000n;

function create(t: Task, flags: number): number {
  if ((flags & ~O_CLOEXEC) !== 0) return -E.EINVAL;
  const ep = newEpoll(t.mm.account);
  if (typeof ep === 'number') return ep;
  return install(t, ep, (flags & O_CLOEXEC) !== 0);
}

/** epoll_ctl(epfd, op, fd, event): the event is read first (for every op but DEL), then both descriptors. */
function ctl(t: Task, a: SyscallArgs): number {
  const op = a.int(1);
  let ev: EpollEvent | null = null;
  if (opHasEvent(op)) {
    const b = copyInArg(t, a, 3, EVENT_SIZE);
    if (typeof b === 'number') return b;
    const v = new DataView(b.buffer);
    ev = { events: v.getUint32(0, true), data: v.getBigUint64(4, true) };
  }
  const ep = fileOf(t, a.int(0));
  if (typeof ep === 'number') return ep;
  const target = fileOf(t, a.int(2));
  if (typeof target === 'number') return target;
  return epollCtl(ep, op, target, a.int(2), ev);
}

/**
 * do_epoll_wait: maxevents (argument 2) in 1..EP_MAX_EVENTS, the events
 * array (argument 1) below the top of user space (each event is copied
 * out as it is reported: a fault after some of them returns how many), an
 * epoll descriptor (argument 0).
 */
function doWait(t: Task, a: SyscallArgs, timeout: Timeout): number | Promise<number> {
  const max = a.int(2);
  if (max <= 0 || max > MAX_EVENTS) return -E.EINVAL;
  const addr = a.ptr(1);
  if (addr < 0 || addr + max * EVENT_SIZE > TASK_SIZE_MAX) return -E.EFAULT;
  const ep = fileOf(t, a.int(0));
  if (typeof ep === 'number') return ep;
  if (!(ep instanceof EpollFile)) return -E.EINVAL;
  const event = new Uint8Array(EVENT_SIZE);
  const v = new DataView(event.buffer);
  let at = addr;
  const sink = (events: number, data: bigint): boolean => {
    v.setUint32(0, events, true);
    v.setBigUint64(4, data, true);
    if (t.mm.copyOut(at, event) < 0) return false;
    at += EVENT_SIZE;
    return true;
  };
  const scan = (): number => {
    at = addr;
    return ep.harvest(max, sink);
  };
  const eintr = (r: number): number => (r === -ERESTARTNOHAND ? -E.EINTR : r);
  const r = waitReady(t, scan, [ep], timeout);
  if (typeof r === 'number') return eintr(r);
  hold(ep);
  return r.then((v) => {
    release(ep);
    return eintr(v);
  });
}

/** The sigmask of arguments 4-5 applied before the wait and put back after it unless it ended with EINTR. */
function waitMasked(t: Task, a: SyscallArgs, timeout: Timeout): number | Promise<number> {
  const masked = applySigmaskArg(t, a.ptr(4), a.size(5));
  if (masked < 0) return masked;
  return andThen(doWait(t, a, timeout), (r) => {
    if (r !== -E.EINTR) t.signals.restoreSavedMask();
    return r;
  });
}

/** A timeout in milliseconds (argument 3): negative waits forever, 0 looks once. */
function msTimeout(a: SyscallArgs): Timeout {
  const ms = a.int(3);
  return timeoutAfter(ms < 0 ? undefined : BigInt(ms) * NS_PER_MS);
}

function epollPwait2(t: Task, a: SyscallArgs): number | Promise<number> {
  const timeout = timeoutArg(t, a, 3, false);
  if (typeof timeout === 'number') return timeout;
  return waitMasked(t, a, timeout);
}

export const EPOLL_SYSCALLS: readonly SyscallSpec[] = [
  ['epoll_create', ['int'], (t, a) => (a.int(0) <= 0 ? -E.EINVAL : create(t, 0))],
  ['epoll_create1', ['hex'], (t, a) => create(t, a.int(0))],
  ['epoll_ctl', ['fd', 'int', 'fd', 'ptr'], ctl],
  ['epoll_wait', ['fd', 'ptr', 'int', 'int'], (t, a) => doWait(t, a, msTimeout(a))],
  ['epoll_pwait', ['fd', 'ptr', 'int', 'int', 'ptr', 'size'], (t, a) => waitMasked(t, a, msTimeout(a))],
  ['epoll_pwait2', ['fd', 'ptr', 'int', 'ptr', 'ptr', 'size'], epollPwait2],
];
