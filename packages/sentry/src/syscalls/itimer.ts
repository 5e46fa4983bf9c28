// alarm, setitimer and getitimer over the process's ITIMER_REAL
// (../kernel/itimer.ts). The CPU-time timers
// ITIMER_VIRTUAL and ITIMER_PROF are not kept: they read as disarmed and
// arming one fails with EINVAL and a warning.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import { type ItimerValue, readRealTimer, setRealTimer } from '../kernel/itimer.js';
import type { Task } from '../kernel/task.js';
import { getTimeval, NS_PER_SEC, putTimeval } from './structs.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

export const ITIMER_REAL = 0;
export const ITIMER_VIRTUAL = 1;
export const ITIMER_PROF = 2;
/** struct itimerval: it_interval, then it_value, each a struct timeval. */
const ITIMERVAL_SIZE = 32;

function encodeItimerval(v: ItimerValue): Uint8Array {
  const dv = new DataView(new ArrayBuffer(ITIMERVAL_SIZE));
  putTimeval(dv, 0, v.interval);
  putTimeval(dv, 16, v.value);
  return new Uint8Array(dv.buffer);
}

function getitimer(t: Task, a: SyscallArgs): number {
  const which = a.int(0);
  let cur = { value: 0n, interval: 0n };
  if (which === ITIMER_REAL) cur = readRealTimer(t.group);
  else if (which !== ITIMER_VIRTUAL && which !== ITIMER_PROF) return -E.EINVAL;
  const p = a.ptr(1);
  return p <= 0 || t.mm.copyOut(p, encodeItimerval(cur)) < 0 ? -E.EFAULT : 0;
}

/**
 * setitimer(2) in Linux's order: the new value is read and checked
 * (-EFAULT, -EINVAL; NULL disarms), then `which`, then the timer is set
 * and only then the old value written (-EFAULT leaves the timer set).
 */
function setitimer(t: Task, a: SyscallArgs): number {
  const np = a.ptr(1);
  let value = 0n;
  let interval = 0n;
  if (np !== 0) {
    const b = new Uint8Array(ITIMERVAL_SIZE);
    if (np < 0 || t.mm.copyIn(np, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    const iv = getTimeval(dv, 0);
    const v = getTimeval(dv, 16);
    if (iv === undefined || v === undefined) return -E.EINVAL;
    value = v;
    interval = iv;
  }
  const which = a.int(0);
  let old = { value: 0n, interval: 0n };
  if (which === ITIMER_REAL) {
    old = setRealTimer(t.group, value, interval);
  } else if (which === ITIMER_VIRTUAL || which === ITIMER_PROF) {
    if (value !== 0n) {
      t.kernel.warn(`tsv: setitimer(${which === ITIMER_VIRTUAL ? 'ITIMER_VIRTUAL' : 'ITIMER_PROF'}) is not supported: EINVAL`);
      return -E.EINVAL;
    }
  } else {
    return -E.EINVAL;
  }
  const op = a.ptr(2);
  if (op !== 0 && (op < 0 || t.mm.copyOut(op, encodeItimerval(old)) < 0)) return -E.EFAULT;
  return 0;
}

/** alarm(2): ITIMER_REAL in whole seconds; returns the seconds that were left, rounded to nearest but never 0 for an armed timer. */
function alarm(t: Task, a: SyscallArgs): number {
  const old = setRealTimer(t.group, BigInt(a.uint(0)) * NS_PER_SEC, 0n);
  let sec = old.value / NS_PER_SEC;
  const ns = old.value % NS_PER_SEC;
  if ((sec === 0n && ns !== 0n) || ns >= NS_PER_SEC / 2n) sec++;
  return Number(sec);
}

export const ITIMER_SYSCALLS: readonly SyscallSpec[] = [
  ['alarm', ['uint'], alarm],
  ['getitimer', ['int', 'ptr'], getitimer],
  ['setitimer', ['int', 'ptr', 'ptr'], setitimer],
];
