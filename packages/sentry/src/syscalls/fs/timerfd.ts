// timerfd_create, timerfd_settime and timerfd_gettime: the timer itself is
// ../../fd/timerfd.ts.
import { E } from '../../errno.js';
import { isTimerfdClock, newTimerFd, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET, TimerFd, type TimerSpec } from '../../fd/timerfd.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import type { Task } from '../../kernel/task.js';
import { O_CLOEXEC, O_NONBLOCK } from '../../vfs/index.js';
import { NS_PER_SEC } from '../structs.js';
import { fileOf } from './common.js';
import { install } from './open.js';

/** struct itimerspec: it_interval, then it_value, each a struct timespec. */
const ITIMERSPEC_SIZE = 32;

/** timerfd_create(clockid, flags): TFD_CLOEXEC and TFD_NONBLOCK (the O_ values); a clock timerfd does not take or another flag is EINVAL. */
function timerfdCreate(t: Task, clockid: number, flags: number): number {
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) !== 0 || !isTimerfdClock(clockid)) return -E.EINVAL;
  const f = newTimerFd(clockid, flags & O_NONBLOCK, t.mm.account);
  if (typeof f === 'number') return f;
  return install(t, f, (flags & O_CLOEXEC) !== 0);
}

/** The timerfd behind `fd`: -EBADF without a descriptor, -EINVAL for another file (timerfd_fget). */
function timerOf(t: Task, fd: number): TimerFd | number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return f instanceof TimerFd ? f : -E.EINVAL;
}

/** The struct itimerspec at `addr`: -EFAULT when unreadable, -EINVAL for a negative or unnormalised time. */
function readItimerspec(t: Task, addr: number): TimerSpec | number {
  const b = new Uint8Array(ITIMERSPEC_SIZE);
  if (addr <= 0 || t.mm.copyIn(addr, b) < 0) return -E.EFAULT;
  const v = new DataView(b.buffer);
  const ns = (off: number): bigint | undefined => {
    const sec = v.getBigInt64(off, true);
    const nsec = v.getBigInt64(off + 8, true);
    return sec < 0n || nsec < 0n || nsec >= NS_PER_SEC ? undefined : sec * NS_PER_SEC + nsec;
  };
  const interval = ns(0);
  const value = ns(16);
  return interval === undefined || value === undefined ? -E.EINVAL : { value, interval };
}

function writeItimerspec(t: Task, addr: number, s: TimerSpec): number {
  const v = new DataView(new ArrayBuffer(ITIMERSPEC_SIZE));
  const put = (off: number, ns: bigint) => {
    v.setBigInt64(off, ns / NS_PER_SEC, true);
    v.setBigInt64(off + 8, ns % NS_PER_SEC, true);
  };
  put(0, s.interval);
  put(16, s.value);
  return addr <= 0 || t.mm.copyOut(addr, new Uint8Array(v.buffer)) < 0 ? -E.EFAULT : 0;
}

/** In Linux's order: the new value is read (EFAULT), then checked with the flags (EINVAL), then the descriptor; the old value is written last. */
function timerfdSettime(t: Task, a: SyscallArgs): number {
  const spec = readItimerspec(t, a.ptr(2));
  if (spec === -E.EFAULT) return spec;
  const flags = a.int(1);
  if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) !== 0 || typeof spec === 'number') return -E.EINVAL;
  const f = timerOf(t, a.int(0));
  if (typeof f === 'number') return f;
  const old = f.set(flags, spec.value, spec.interval);
  const oldPtr = a.ptr(3);
  return oldPtr === 0 ? 0 : writeItimerspec(t, oldPtr, old);
}

function timerfdGettime(t: Task, a: SyscallArgs): number {
  const f = timerOf(t, a.int(0));
  if (typeof f === 'number') return f;
  return writeItimerspec(t, a.ptr(1), f.get());
}

export const TIMERFD_SYSCALLS: readonly SyscallSpec[] = [
  ['timerfd_create', ['clock', 'hex'], (t, a) => timerfdCreate(t, a.int(0), a.int(1))],
  ['timerfd_settime', ['fd', 'hex', 'ptr', 'ptr'], timerfdSettime],
  ['timerfd_gettime', ['fd', 'ptr'], timerfdGettime],
];
