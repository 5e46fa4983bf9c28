// Signal calls: rt_sigaction, rt_sigprocmask, sigaltstack and rt_sigpending
// set and report the task's signal state (kernel/signals.ts);
// kill/tkill/tgkill and rt_sigqueueinfo/rt_tgsigqueueinfo send one to a
// process, a process group or a thread (kernel/task-signals.ts picks the
// thread of a process that takes it); rt_sigreturn returns from a
// handler's frame (kernel/signal-frame.ts); rt_sigsuspend, pause and
// rt_sigtimedwait wait for one. Delivery happens at the return to user
// space (Kernel.deliverPending).
import { Reg } from '@tsv/platform';
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import { ERESTARTNOHAND } from '../kernel/restart.js';
import { encodeSigInfo, KERNEL_SIGINFO_SIZE, readFrame, SIGINFO_SIZE } from '../kernel/signal-frame.js';
import {
  NSIG,
  SI_KERNEL,
  SI_TKILL,
  SI_USER,
  type SigAction,
  type SigInfo,
  SIGKILL,
  SIGSEGV,
  SIGSTOP,
  sendSignal,
  UNBLOCKABLE_LO,
} from '../kernel/signals.js';
import { sendProcessSignal } from '../kernel/task-signals.js';
import type { Task } from '../kernel/task.js';
import type { ThreadGroup } from '../kernel/thread-group.js';
import { monotonicNs } from './clocks.js';
import { Park } from '../kernel/park.js';
import { readTimespec, toU64 } from './structs.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

export { MINSIGSTKSZ, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK } from '../kernel/signals.js';
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;
/** sizeof(sigset_t) in the kernel ABI: 64 signals. */
export const SIGSET_SIZE = 8;
/** sa_flags bits Linux keeps (UAPI_SA_FLAGS); the rest are cleared so programs can probe for support. */
export const SA_FLAGS_KNOWN = 0xdc00_0807;
const SIGACTION_SIZE = 32;
const STACK_T_SIZE = 24;
const INT_MIN = -(2 ** 31);

/** The sigset_t at `ptr` as halves without SIGKILL/SIGSTOP, or -EFAULT. */
function readSigset(t: Task, ptr: number): { lo: number; hi: number } | number {
  const buf = new Uint8Array(SIGSET_SIZE);
  if (ptr <= 0 || t.mm.copyIn(ptr, buf) < 0) return -E.EFAULT;
  const v = new DataView(buf.buffer);
  return { lo: (v.getUint32(0, true) & ~UNBLOCKABLE_LO) >>> 0, hi: v.getUint32(4, true) };
}

/**
 * The sigmask argument of ppoll and pselect6 (Linux's set_user_sigmask):
 * NULL leaves the mask alone; otherwise -EINVAL unless `size` is 8,
 * -EFAULT for an unreadable set, else it becomes the temporary mask until
 * the call returns (SignalState.setTemporaryMask). Returns 0 or the errno.
 */
export function applySigmaskArg(t: Task, ptr: number, size: number): number {
  if (ptr === 0) return 0;
  if (size !== SIGSET_SIZE) return -E.EINVAL;
  const set = readSigset(t, ptr);
  if (typeof set === 'number') return set;
  t.signals.setTemporaryMask(set.lo, set.hi);
  return 0;
}

function validSignal(sig: number): boolean {
  return sig >= 1 && sig <= NSIG;
}

function encodeAction(sa: SigAction): Uint8Array {
  const b = new DataView(new ArrayBuffer(SIGACTION_SIZE));
  b.setBigUint64(0, toU64(sa.handler), true);
  b.setBigUint64(8, BigInt(sa.flags), true);
  b.setBigUint64(16, toU64(sa.restorer), true);
  b.setUint32(24, sa.maskLo, true);
  b.setUint32(28, sa.maskHi, true);
  return new Uint8Array(b.buffer);
}

function decodeAction(bytes: Uint8Array): SigAction {
  const b = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (o: number): number => b.getUint32(o + 4, true) * 2 ** 32 + b.getUint32(o, true);
  return {
    handler: u64(0),
    flags: (b.getUint32(8, true) & SA_FLAGS_KNOWN) >>> 0,
    restorer: u64(16),
    maskLo: (b.getUint32(24, true) & ~UNBLOCKABLE_LO) >>> 0,
    maskHi: b.getUint32(28, true),
  };
}

function rtSigaction(t: Task, a: SyscallArgs): number {
  if (a.size(3) !== SIGSET_SIZE) return -E.EINVAL;
  const sig = a.int(0);
  const actPtr = a.ptr(1);
  const oactPtr = a.ptr(2);
  let next: SigAction | undefined;
  if (actPtr !== 0) {
    const buf = new Uint8Array(SIGACTION_SIZE);
    if (actPtr < 0 || t.mm.copyIn(actPtr, buf) < 0) return -E.EFAULT;
    next = decodeAction(buf);
  }
  if (!validSignal(sig) || (next !== undefined && (sig === SIGKILL || sig === SIGSTOP))) return -E.EINVAL;
  const old = t.signals.actions[sig]!;
  if (next !== undefined) {
    t.signals.actions[sig] = next;
    // An ignored signal is discarded, pending or not (POSIX 3.3.1.3).
    if (t.signals.isIgnored(sig)) t.signals.discard(sig);
  }
  if (oactPtr !== 0 && (oactPtr < 0 || t.mm.copyOut(oactPtr, encodeAction(old)) < 0)) return -E.EFAULT;
  return 0;
}

function rtSigprocmask(t: Task, a: SyscallArgs): number {
  if (a.size(3) !== SIGSET_SIZE) return -E.EINVAL;
  const s = t.signals;
  const oldLo = s.maskLo;
  const oldHi = s.maskHi;
  const setPtr = a.ptr(1);
  const osetPtr = a.ptr(2);
  if (setPtr !== 0) {
    const set = readSigset(t, setPtr);
    if (typeof set === 'number') return set;
    switch (a.int(0)) {
      case SIG_BLOCK:
        s.setMask(s.maskLo | set.lo, s.maskHi | set.hi);
        break;
      case SIG_UNBLOCK:
        s.setMask(s.maskLo & ~set.lo, s.maskHi & ~set.hi);
        break;
      case SIG_SETMASK:
        s.setMask(set.lo, set.hi);
        break;
      default:
        return -E.EINVAL;
    }
  }
  if (osetPtr !== 0) {
    const v = new DataView(new ArrayBuffer(SIGSET_SIZE));
    v.setUint32(0, oldLo, true);
    v.setUint32(4, oldHi, true);
    if (osetPtr < 0 || t.mm.copyOut(osetPtr, new Uint8Array(v.buffer)) < 0) return -E.EFAULT;
  }
  return 0;
}

function rtSigpending(t: Task, a: SyscallArgs): number {
  const size = a.size(1);
  if (size > SIGSET_SIZE) return -E.EINVAL;
  const s = t.signals;
  const v = new DataView(new ArrayBuffer(SIGSET_SIZE));
  v.setUint32(0, s.pendingLo & s.maskLo, true);
  v.setUint32(4, s.pendingHi & s.maskHi, true);
  const ptr = a.ptr(0);
  if (size === 0) return 0;
  if (ptr <= 0 || t.mm.copyOut(ptr, new Uint8Array(v.buffer, 0, size)) < 0) return -E.EFAULT;
  return 0;
}

function sigaltstack(t: Task, a: SyscallArgs): number {
  const s = t.signals;
  const ssPtr = a.ptr(0);
  const ossPtr = a.ptr(1);
  const old = new DataView(new ArrayBuffer(STACK_T_SIZE));
  const curSp = t.regs.get(Reg.rsp);
  old.setBigUint64(0, toU64(s.altSp), true);
  old.setInt32(8, s.altStackFlags(curSp), true);
  old.setBigUint64(16, toU64(s.altSize), true);
  if (ssPtr !== 0) {
    const buf = new Uint8Array(STACK_T_SIZE);
    if (ssPtr < 0 || t.mm.copyIn(ssPtr, buf) < 0) return -E.EFAULT;
    const v = new DataView(buf.buffer);
    const sp = v.getUint32(4, true) * 2 ** 32 + v.getUint32(0, true);
    const r = s.setAltStack(sp, v.getUint32(8, true), Number(v.getBigUint64(16, true)), curSp);
    if (r < 0) return r;
  }
  if (ossPtr !== 0 && (ossPtr < 0 || t.mm.copyOut(ossPtr, new Uint8Array(old.buffer)) < 0)) return -E.EFAULT;
  return 0;
}

const SIGCONT = 18;

/**
 * Whether `t` may signal process `g` (kill_ok_by_cred): root, a matching
 * real or effective uid against the target's real or saved uid, or SIGCONT
 * within the caller's session.
 */
function maySignal(t: Task, g: ThreadGroup, sig: number): boolean {
  const c = t.creds;
  const tc = g.creds;
  if (c.euid === 0 || (sig === SIGCONT && t.sid === g.sid)) return true;
  return c.euid === tc.uid || c.euid === tc.suid || c.uid === tc.uid || c.uid === tc.suid;
}

/**
 * Sends `info` (signal `sig`) to process `g` or, given `thread`, to that
 * thread: EPERM without permission, 0 for signal 0 (a zombie is found too),
 * EAGAIN when a real-time signal cannot be queued.
 */
export function sendTo(t: Task, g: ThreadGroup, thread: Task | null, sig: number, info: Omit<SigInfo, 'signo'>): number {
  if (sig < 0 || sig > NSIG) return -E.EINVAL;
  if (!maySignal(t, g, sig)) return -E.EPERM;
  if (sig === 0) return 0;
  return thread !== null ? sendSignal(thread, { ...info, signo: sig }, 'thread') : sendProcessSignal(g, { ...info, signo: sig });
}

/** A process group's members (__kill_pgrp_info): 0 if any took it, else the last error; ESRCH when it is empty. */
export function sendToGroup(t: Task, pgid: number, sig: number, info: Omit<SigInfo, 'signo'>): number {
  let success = false;
  let result = -E.ESRCH;
  for (const g of [...t.kernel.pids.processGroup(pgid)]) {
    result = sendTo(t, g, null, sig, info);
    if (result === 0) success = true;
  }
  return success ? 0 : result;
}

/** kill(-1): every process but init and the caller; the last error other than EPERM, ESRCH when there is none. */
function sendToAll(t: Task, sig: number, info: Omit<SigInfo, 'signo'>): number {
  const init = t.kernel.init;
  let count = 0;
  let result = 0;
  for (const g of [...t.kernel.pids.groups()]) {
    if (g === init || g === t.group || g.pid === 1) continue;
    count++;
    const r = sendTo(t, g, null, sig, info);
    if (r !== -E.EPERM) result = r;
  }
  return count > 0 ? result : -E.ESRCH;
}

/** kill(2)'s targets: a process (pid > 0), the caller's group (0), every other process but init (-1), a group (< -1). */
function kill(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const sig = a.int(1);
  const info = { code: SI_USER, pid: t.pid, uid: t.creds.uid };
  if (pid > 0) {
    const g = t.kernel.pids.group(pid);
    return g === undefined ? -E.ESRCH : sendTo(t, g, null, sig, info);
  }
  if (pid === -1) return sendToAll(t, sig, info);
  if (pid === INT_MIN) return -E.ESRCH;
  return sendToGroup(t, pid === 0 ? t.pgid : -pid, sig, info);
}

/** The thread `tid` (of process `tgid` when given), or ESRCH. */
function threadOf(t: Task, tid: number, tgid?: number): Task | number {
  const target = t.kernel.pids.task(tid);
  if (target === undefined || target.exited || (tgid !== undefined && target.pid !== tgid)) return -E.ESRCH;
  return target;
}

function signalThread(t: Task, tid: number, tgid: number | undefined, sig: number): number {
  const target = threadOf(t, tid, tgid);
  if (typeof target === 'number') return target;
  return sendTo(t, target.group, target, sig, { code: SI_TKILL, pid: t.pid, uid: t.creds.uid });
}

function tkill(t: Task, a: SyscallArgs): number {
  const tid = a.int(0);
  if (tid <= 0) return -E.EINVAL;
  return signalThread(t, tid, undefined, a.int(1));
}

function tgkill(t: Task, a: SyscallArgs): number {
  const tgid = a.int(0);
  const tid = a.int(1);
  if (tgid <= 0 || tid <= 0) return -E.EINVAL;
  return signalThread(t, tid, tgid, a.int(2));
}

/**
 * The siginfo at `ptr` for rt_sigqueueinfo (Linux's
 * copy_siginfo_from_user): the 48 bytes of a kernel siginfo (-EFAULT),
 * si_signo replaced by `sig`; for a si_code whose layout the kernel does
 * not know, the rest of the 128 bytes must be zero (-E2BIG).
 */
export function readUserSigInfo(t: Task, ptr: number, sig: number): SigInfo | number {
  const buf = new Uint8Array(SIGINFO_SIZE);
  if (ptr <= 0 || t.mm.copyIn(ptr, buf.subarray(0, KERNEL_SIGINFO_SIZE)) < 0) return -E.EFAULT;
  const v = new DataView(buf.buffer);
  const code = v.getInt32(8, true);
  if (!knownSigInfoLayout(sig, code)) {
    const tail = buf.subarray(KERNEL_SIGINFO_SIZE);
    if (t.mm.copyIn(ptr + KERNEL_SIGINFO_SIZE, tail) < 0) return -E.EFAULT;
    if (tail.some((b) => b !== 0)) return -E.E2BIG;
  }
  return { signo: sig, errno: v.getInt32(4, true), code, fields: buf.slice(16, KERNEL_SIGINFO_SIZE) };
}

/** The highest si_code of the signals whose codes are their own (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGCHLD, SIGPOLL, SIGSYS). */
const SIGNAL_CODE_LIMITS: ReadonlyMap<number, number> = new Map([
  [4, 11],
  [5, 6],
  [7, 5],
  [8, 15],
  [11, 10],
  [17, 6],
  [29, 6],
  [31, 2],
]);
const SI_DETHREAD = -7;
const SI_ASYNCNL = -60;
const NSIGPOLL = 6;

/** Linux's known_siginfo_layout(). */
function knownSigInfoLayout(sig: number, code: number): boolean {
  if (code === SI_KERNEL) return true;
  if (code > SI_USER) return code <= (SIGNAL_CODE_LIMITS.get(sig) ?? NSIGPOLL);
  return code >= SI_DETHREAD || code === SI_ASYNCNL;
}

/**
 * The caller may only pose as the kernel or as kill()/tkill() (si_code >= 0
 * or SI_TKILL) towards itself: EPERM otherwise, as Linux decides before it
 * looks for the target.
 */
export function mayForge(info: SigInfo, toSelf: boolean): boolean {
  return toSelf || (info.code < 0 && info.code !== SI_TKILL);
}

/** rt_sigqueueinfo(tgid, sig, info): queues `info` to the process `tgid`. */
function rtSigqueueinfo(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const sig = a.int(1);
  const info = readUserSigInfo(t, a.ptr(2), sig);
  if (typeof info === 'number') return info;
  if (!mayForge(info, pid === t.pid)) return -E.EPERM;
  const g = pid > 0 ? t.kernel.pids.group(pid) : undefined;
  return g === undefined ? -E.ESRCH : sendTo(t, g, null, sig, info);
}

/** rt_tgsigqueueinfo(tgid, tid, sig, info): the same for one thread. */
function rtTgsigqueueinfo(t: Task, a: SyscallArgs): number {
  const tgid = a.int(0);
  const tid = a.int(1);
  const sig = a.int(2);
  const info = readUserSigInfo(t, a.ptr(3), sig);
  if (typeof info === 'number') return info;
  if (tgid <= 0 || tid <= 0) return -E.EINVAL;
  if (!mayForge(info, tid === t.tid)) return -E.EPERM;
  const target = threadOf(t, tid, tgid);
  return typeof target === 'number' ? target : sendTo(t, target.group, target, sig, info);
}

/**
 * Returns from a handler: every register, the mask, the alternate stack and
 * the FPU state come from the frame; the result is the restored rax (the
 * dispatcher leaves it alone). A bad frame is SIGSEGV.
 */
function rtSigreturn(t: Task): number {
  if (!readFrame(t, () => t.kernel.newFpuState().bytes, t.kernel.xfeatures)) {
    t.kernel.forceSignal(t, { signo: SIGSEGV, code: SI_KERNEL });
    return 0;
  }
  t.signals.sigreturned = true;
  return t.regs.getSigned(Reg.rax);
}

/**
 * Waits with `mask` as the blocked set until a signal is delivered: EINTR
 * when a handler runs, its frame saving the mask from before the call
 * (-ERESTARTNOHAND: a signal that runs no handler, such as a pending
 * ignored one the mask lets through, restarts the wait). A signal already
 * pending ends the wait at once.
 */
function rtSigsuspend(t: Task, a: SyscallArgs): number | Promise<number> {
  if (a.size(1) !== SIGSET_SIZE) return -E.EINVAL;
  const set = readSigset(t, a.ptr(0));
  if (typeof set === 'number') return set;
  t.signals.setTemporaryMask(set.lo, set.hi);
  return new Park(t).promise.then(() => -ERESTARTNOHAND);
}

/** pause(2): waits as rt_sigsuspend does, with the mask as it is. */
function pause(t: Task): Promise<number> {
  return new Park(t).promise.then(() => -ERESTARTNOHAND);
}

/**
 * Takes a pending signal of the set — the oldest instance of the lowest
 * number — waiting up to the timeout (none: forever) for one: its number,
 * with its siginfo written; -EAGAIN at the timeout, -EINTR (never
 * restarted) when another signal interrupts the wait. While it waits, the
 * set's signals end the wait though blocked (SignalState.waking).
 */
function rtSigtimedwait(t: Task, a: SyscallArgs): number | Promise<number> {
  if (a.size(3) !== SIGSET_SIZE) return -E.EINVAL;
  const set = readSigset(t, a.ptr(0));
  if (typeof set === 'number') return set;
  const infoPtr = a.ptr(1);
  const tsPtr = a.ptr(2);
  let timeout: bigint | undefined;
  if (tsPtr !== 0) {
    const ns = readTimespec(t.mm, tsPtr);
    if (typeof ns === 'number') return ns;
    timeout = ns;
  }
  const take = (): number | undefined => {
    const info = t.signals.dequeue(~set.lo, ~set.hi);
    return info === undefined ? undefined : reportSigInfo(t, infoPtr, info);
  };
  const now = take();
  if (now !== undefined) return now;
  if (timeout === 0n) return -E.EAGAIN;
  const s = t.signals;
  s.waking = set;
  const park = new Park(t, timeout === undefined ? undefined : monotonicNs() + timeout);
  return park.promise.then((end) => {
    s.waking = undefined;
    return take() ?? (end === 'timeout' ? -E.EAGAIN : -E.EINTR);
  });
}

/** Writes `info` as a siginfo_t at `ptr` (if not NULL): the signal number, or -EFAULT. */
function reportSigInfo(t: Task, ptr: number, info: SigInfo): number {
  if (ptr === 0) return info.signo;
  const v = new DataView(new ArrayBuffer(SIGINFO_SIZE));
  encodeSigInfo(info, v);
  if (ptr < 0 || t.mm.copyOut(ptr, new Uint8Array(v.buffer)) < 0) return -E.EFAULT;
  return info.signo;
}

export const SIGNAL_SYSCALLS: readonly SyscallSpec[] = [
  ['rt_sigaction', ['signal', 'ptr', 'ptr', 'size'], rtSigaction],
  ['rt_sigprocmask', ['int', 'ptr', 'ptr', 'size'], rtSigprocmask],
  ['rt_sigpending', ['ptr', 'size'], rtSigpending],
  ['sigaltstack', ['ptr', 'ptr'], sigaltstack],
  ['kill', ['int', 'signal'], kill],
  ['tkill', ['int', 'signal'], tkill],
  ['tgkill', ['int', 'int', 'signal'], tgkill],
  ['rt_sigreturn', [], rtSigreturn],
  ['rt_sigsuspend', ['ptr', 'size'], rtSigsuspend],
  ['pause', [], pause],
  ['rt_sigtimedwait', ['ptr', 'ptr', 'ptr', 'size'], rtSigtimedwait],
  ['rt_sigqueueinfo', ['int', 'signal', 'ptr'], rtSigqueueinfo],
  ['rt_tgsigqueueinfo', ['int', 'int', 'signal', 'ptr'], rtTgsigqueueinfo],
];
