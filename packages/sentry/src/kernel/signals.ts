// Signal state of a task and the policy Linux applies to it: dispositions,
// the blocked mask, the alternate stack, the pending signals with their
// siginfo, and what happens to a signal that is sent (discarded, fatal at
// once, or queued until the next return to user space, where the kernel's
// run loop delivers it: kernel.ts deliverPending, frames in
// signal-frame.ts).
//
// As in Linux, a task has two pending sets (signal-pending.ts): its own,
// for signals sent to the thread (tkill, tgkill, rt_tgsigqueueinfo, faults,
// SIGPIPE), and its process's (kill, sigqueue, timers); its own is served
// first. Their queued siginfos together are bounded by RLIMIT_SIGPENDING.
import { E } from '../errno.js';
import { Watchers } from '../fd/readiness.js';
import { getRlimit, RLIMIT_SIGPENDING } from './rlimit.js';
import { bitHi, bitLo, PendingSet, SI_USER, SIGRTMIN } from './signal-pending.js';
import { interruptTask } from './park.js';
import type { Task } from './task.js';
import { continueGroup, SIGCONT, sendProcessSignal, stopGroup } from './task-signals.js';

export const NSIG = 64;
export { SI_USER, SIGRTMIN };
export const SIGTRAP = 5;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGSEGV = 11;
export const SIGPIPE = 13;
export const SIGSTOP = 19;

export const SIG_DFL = 0;
export const SIG_IGN = 1;

export const SA_SIGINFO = 0x4;
export const SA_ONSTACK = 0x0800_0000;
export const SA_RESTART = 0x1000_0000;
export const SA_NODEFER = 0x4000_0000;
export const SA_RESETHAND = 0x8000_0000;
export const SA_RESTORER = 0x0400_0000;

export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;
export const SS_AUTODISARM = 0x8000_0000;
/** The kernel's MINSIGSTKSZ for x86-64 (glibc's runtime value is larger; the kernel checks this one). */
export const MINSIGSTKSZ = 2048;

/** si_code values (include/uapi/asm-generic/siginfo.h). */
export const SI_KERNEL = 0x80;
export const SI_QUEUE = -1;
export const SI_TKILL = -6;

/** struct k_sigaction as rt_sigaction passes it (x86-64: handler, flags, restorer, mask). */
export interface SigAction {
  handler: number;
  flags: number;
  restorer: number;
  maskLo: number;
  maskHi: number;
}

/**
 * What a handler learns about a signal (the fields of siginfo_t that the
 * senders here fill): kill-style senders set pid/uid, faults set addr.
 */
export interface SigInfo {
  signo: number;
  code: number;
  errno?: number;
  pid?: number;
  uid?: number;
  addr?: number;
  /**
   * The union part of a siginfo the program supplied (rt_sigqueueinfo):
   * the 32 bytes after si_code's padding, delivered as given.
   */
  fields?: Uint8Array;
}

/** Signals whose default action is to ignore them (SIGCHLD, SIGCONT, SIGURG, SIGWINCH). */
const DEFAULT_IGNORED = new Set([17, 18, 23, 28]);
/** Signals whose default action stops the process: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU. */
const STOP_SIGNALS = new Set([SIGSTOP, 20, 21, 22]);
/** Signals whose default action dumps core (the shell shows "core dumped"; the status is the same). */
export const CORE_SIGNALS = new Set([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);
/** The bits of SIGKILL and SIGSTOP in the low mask word: never blocked. */
export const UNBLOCKABLE_LO = ((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))) >>> 0;

export type DefaultAction = 'terminate' | 'core' | 'ignore' | 'stop';

export function defaultAction(sig: number): DefaultAction {
  if (DEFAULT_IGNORED.has(sig)) return 'ignore';
  if (STOP_SIGNALS.has(sig)) return 'stop';
  return CORE_SIGNALS.has(sig) ? 'core' : 'terminate';
}

/** Who a signal is sent to: the thread (its own pending set) or its whole process. */
export type SignalTarget = 'thread' | 'process';

const defaultSigAction = (): SigAction => ({ handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 });

/**
 * The signal dispositions: one per process, shared by threads that clone
 * with CLONE_SIGHAND (Linux's struct sighand_struct), copied otherwise.
 */
export class SignalHandlers {
  readonly actions: SigAction[] = Array.from({ length: NSIG + 1 }, defaultSigAction);
  /** Told of every signal queued to a task using these handlers (Linux's sighand->signalfd_wqh): signalfd waiters. */
  readonly queued = new Watchers();

  /** A private copy, for a clone without CLONE_SIGHAND or an exec that unshares them. */
  copy(): SignalHandlers {
    const h = new SignalHandlers();
    for (let i = 0; i <= NSIG; i++) h.actions[i] = { ...this.actions[i]! };
    return h;
  }

  /** execve: handled signals go back to their default action; ignored ones stay ignored. */
  resetForExec(): void {
    for (let i = 1; i <= NSIG; i++) if (this.actions[i]!.handler !== SIG_IGN) this.actions[i] = defaultSigAction();
  }
}

/**
 * One thread's signal state: its mask, alternate stack and own pending set,
 * with the dispositions (`handlers`) and the process-directed pending set
 * (`shared`) it shares with the other threads of its process.
 */
export class SignalState {
  handlers: SignalHandlers;
  maskLo = 0;
  maskHi = 0;
  altSp = 0;
  altFlags = SS_DISABLE;
  altSize = 0;
  /** Signals sent to the thread, and to its process (shared by its threads). */
  readonly #thread = new PendingSet();
  readonly #process: PendingSet;
  /**
   * Blocked signals that still end a wait (rt_sigtimedwait's set while it
   * waits, as Linux unblocks them for that time); undefined: none.
   */
  waking: { lo: number; hi: number } | undefined;
  /**
   * The mask to restore at the next return to user space (see
   * setTemporaryMask): a handler's frame saves it instead of the current one.
   */
  savedMask: { lo: number; hi: number } | undefined;
  /** Set by rt_sigreturn: every register, rax included, is the frame's; the dispatcher stores no result. */
  sigreturned = false;
  /** The last CPU exception (thread.trap_nr, error_code, cr2), reported in every signal frame's sigcontext. */
  trapno = 0;
  trapErr = 0;
  cr2 = 0;

  constructor(handlers = new SignalHandlers(), shared = new PendingSet()) {
    this.handlers = handlers;
    this.#process = shared;
  }

  /** The dispositions, by signal number. */
  get actions(): SigAction[] {
    return this.handlers.actions;
  }

  /** The process-directed pending set (a new thread shares it). */
  get shared(): PendingSet {
    return this.#process;
  }

  /** True when `sig` arriving now would end the process (default action terminate/core, not ignored). */
  isFatal(sig: number): boolean {
    if (sig === SIGKILL) return true;
    const h = this.actions[sig]?.handler;
    if (h !== SIG_DFL) return false;
    const d = defaultAction(sig);
    return d === 'terminate' || d === 'core';
  }

  isBlocked(sig: number): boolean {
    return ((this.maskLo & bitLo(sig)) | (this.maskHi & bitHi(sig))) !== 0;
  }

  /** True when `sig` arriving now would be discarded: SIG_IGN, or SIG_DFL with an ignore default. */
  isIgnored(sig: number): boolean {
    const h = this.actions[sig]!.handler;
    return h === SIG_IGN || (h === SIG_DFL && defaultAction(sig) === 'ignore');
  }

  /** Sets the blocked mask; SIGKILL and SIGSTOP are silently left out. */
  setMask(lo: number, hi: number): void {
    this.maskLo = (lo & ~UNBLOCKABLE_LO) >>> 0;
    this.maskHi = hi >>> 0;
  }

  /**
   * Blocks `lo/hi` instead until the next return to user space
   * (rt_sigsuspend, ppoll, pselect6): a handler run then saves the mask
   * this replaces in its frame, and without one the run loop restores it.
   */
  setTemporaryMask(lo: number, hi: number): void {
    this.savedMask = { lo: this.maskLo, hi: this.maskHi };
    this.setMask(lo, hi);
  }

  /** Restores the mask setTemporaryMask replaced, now (a wait that ended without a signal). */
  restoreSavedMask(): void {
    if (this.savedMask === undefined) return;
    this.setMask(this.savedMask.lo, this.savedMask.hi);
    this.savedMask = undefined;
  }

  /**
   * Makes `info.signo` pending for `target`, as Linux's __send_signal: a
   * standard signal already pending there is dropped; otherwise the siginfo
   * is queued while fewer than `limit` (RLIMIT_SIGPENDING) are queued —
   * always for a standard signal from the kernel or kill(). Over the limit,
   * a real-time signal sent with its own siginfo (sigqueue, tkill) fails
   * with -EAGAIN; any other is pending without its siginfo. Returns 0 or
   * -EAGAIN.
   */
  enqueue(info: SigInfo, limit = Infinity, target: SignalTarget = 'thread'): number {
    const rt = info.signo >= SIGRTMIN;
    const keep = (!rt && info.code >= 0) || this.#thread.queued + this.#process.queued < limit;
    if (!keep && rt && info.code !== SI_USER) return -E.EAGAIN;
    (target === 'thread' ? this.#thread : this.#process).add(info, keep);
    this.handlers.queued.notify();
    return 0;
  }

  /** Pending signals of either set (bit sig-1), as rt_sigpending reports them. */
  get pendingLo(): number {
    return (this.#thread.lo | this.#process.lo) >>> 0;
  }

  get pendingHi(): number {
    return (this.#thread.hi | this.#process.hi) >>> 0;
  }

  isPending(sig: number): boolean {
    return this.#thread.has(sig) || this.#process.has(sig);
  }

  /** Forgets every pending instance of `sig` (it became ignored). */
  discard(sig: number): void {
    this.#thread.discard(sig);
    this.#process.discard(sig);
  }

  /** Whether `sig` ends a wait now: not blocked, or blocked but in `waking`. */
  wakes(sig: number): boolean {
    if (!this.isBlocked(sig)) return true;
    const w = this.waking;
    return w !== undefined && ((w.lo & bitLo(sig)) | (w.hi & bitHi(sig))) !== 0;
  }

  /** Cheap test for the run loop: some pending signal is not blocked. */
  hasDeliverable(): boolean {
    return ((this.pendingLo & ~this.maskLo) | (this.pendingHi & ~this.maskHi)) !== 0;
  }

  /**
   * Takes the next signal to deliver among the pending ones not in
   * `notLo/notHi` (by default the blocked mask): from the thread's own set
   * first, then the process's, as Linux's dequeue_signal().
   */
  dequeue(notLo = this.maskLo, notHi = this.maskHi): SigInfo | undefined {
    return this.#thread.take(notLo, notHi) ?? this.#process.take(notLo, notHi);
  }

  /** Whether `sp` is inside the alternate stack (never, when it auto-disarms: Linux's on_sig_stack). */
  onAltStack(sp: number): boolean {
    if ((this.altFlags & SS_AUTODISARM) !== 0 || this.altSize === 0) return false;
    return sp > this.altSp && sp - this.altSp <= this.altSize;
  }

  /** ss_flags as sigaltstack and a frame's uc_stack report them for a task at `sp`. */
  altStackFlags(sp: number): number {
    const mode = this.altSize === 0 ? SS_DISABLE : this.onAltStack(sp) ? SS_ONSTACK : 0;
    return (mode | (this.altFlags & SS_AUTODISARM)) >>> 0;
  }

  /**
   * sigaltstack(2)'s change for a task whose stack pointer is `curSp`: 0,
   * -EPERM while on the alternate stack, -EINVAL for bad flags, -ENOMEM
   * below MINSIGSTKSZ.
   */
  setAltStack(sp: number, flags: number, size: number, curSp: number): number {
    if (this.onAltStack(curSp)) return -E.EPERM;
    const mode = (flags & ~SS_AUTODISARM) >>> 0;
    if (mode !== SS_DISABLE && mode !== SS_ONSTACK && mode !== 0) return -E.EINVAL;
    if (mode === SS_DISABLE) {
      sp = 0;
      size = 0;
    } else if (size < MINSIGSTKSZ) {
      return -E.ENOMEM;
    }
    this.altSp = sp;
    this.altSize = size;
    this.altFlags = flags >>> 0;
    return 0;
  }

  /** Forgets the alternate stack (SS_AUTODISARM at delivery). */
  resetAltStack(): void {
    this.altSp = 0;
    this.altSize = 0;
    this.altFlags = SS_DISABLE;
  }
}

/**
 * Sends a signal to the thread `t` (tkill, tgkill, a fault, SIGPIPE), or to
 * its process (task-signals.ts sendProcessSignal). SIGKILL ends the process;
 * an unblocked ignored signal is discarded (a blocked one is queued, since
 * the disposition may change before it is unblocked, as Linux's
 * sig_ignored()); an unblocked default-fatal signal ends the process at
 * once, as Linux's complete_signal() starts the group exit; an unblocked
 * default-stop signal stops it; anything else is queued
 * (SignalState.enqueue, whose -EAGAIN this returns) and delivered at the
 * next return to user space, ending any wait the task is parked in if it
 * is not blocked. Returns 0 or -EAGAIN.
 */
export function sendSignal(t: Task, info: SigInfo, target: SignalTarget = 'thread'): number {
  if (target === 'process') return sendProcessSignal(t.group, info);
  const s = t.signals;
  const sig = info.signo;
  if (t.exited) return 0;
  if (sig === SIGKILL) {
    t.exit({ signal: SIGKILL, coreDumped: false });
    return 0;
  }
  if (sig === SIGCONT) continueGroup(t.group);
  const blocked = s.isBlocked(sig);
  if (!blocked && s.isIgnored(sig)) return 0;
  if (!blocked && s.actions[sig]!.handler === SIG_DFL) {
    const d = defaultAction(sig);
    if (d === 'stop') {
      stopGroup(t.group, sig);
      return 0;
    }
    t.exit({ signal: sig, coreDumped: d === 'core' });
    return 0;
  }
  const r = s.enqueue(info, getRlimit(t, RLIMIT_SIGPENDING).cur, target);
  if (r === 0 && s.wakes(sig)) interruptTask(t);
  return r;
}
