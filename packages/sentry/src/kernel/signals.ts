// Signal state of a task and the policy Linux applies to it: dispositions,
// the blocked mask, the alternate stack, the pending set with each pending
// signal's siginfo, and what happens to a signal that is sent (discarded,
// fatal at once, or queued until the next return to user space, where the
// kernel's run loop delivers it: kernel.ts deliverPending, frames in
// signal-frame.ts).
import { E } from '../errno.js';
import type { Task } from './task.js';

export const NSIG = 64;
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
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
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
}

/** Signals whose default action is to ignore them (SIGCHLD, SIGCONT, SIGURG, SIGWINCH). */
const DEFAULT_IGNORED = new Set([17, 18, 23, 28]);
/** Signals whose default action stops the process: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU. */
const STOP_SIGNALS = new Set([SIGSTOP, 20, 21, 22]);
/** Signals whose default action dumps core (the shell shows "core dumped"; the status is the same). */
export const CORE_SIGNALS = new Set([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);
/** Delivered before any other pending signal, as Linux's SYNCHRONOUS_MASK: SEGV, BUS, ILL, TRAP, FPE, SYS. */
const SYNCHRONOUS_LO = [11, 7, 4, 5, 8, 31].reduce((m, s) => m | (1 << (s - 1)), 0) >>> 0;
/** The bits of SIGKILL and SIGSTOP in the low mask word: never blocked. */
export const UNBLOCKABLE_LO = ((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))) >>> 0;

export type DefaultAction = 'terminate' | 'core' | 'ignore' | 'stop';

export function defaultAction(sig: number): DefaultAction {
  if (DEFAULT_IGNORED.has(sig)) return 'ignore';
  if (STOP_SIGNALS.has(sig)) return 'stop';
  return CORE_SIGNALS.has(sig) ? 'core' : 'terminate';
}

function bitLo(sig: number): number {
  return sig <= 32 ? (1 << (sig - 1)) >>> 0 : 0;
}

function bitHi(sig: number): number {
  return sig > 32 ? (1 << (sig - 33)) >>> 0 : 0;
}

/** The lowest signal in a 64-bit set given as halves, 0 for none. */
function lowest(lo: number, hi: number): number {
  if (lo !== 0) return 32 - Math.clz32(lo & -lo);
  if (hi !== 0) return 64 - Math.clz32(hi & -hi);
  return 0;
}

export class SignalState {
  readonly actions: SigAction[] = Array.from({ length: NSIG + 1 }, () => ({ handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 }));
  maskLo = 0;
  maskHi = 0;
  altSp = 0;
  altFlags = SS_DISABLE;
  altSize = 0;
  /** Signals sent while blocked (bit sig-1), with the siginfo each came with. */
  pendingLo = 0;
  pendingHi = 0;
  readonly #infos = new Map<number, SigInfo>();
  /**
   * The mask to restore at the next return to user space (rt_sigsuspend's
   * temporary mask): a handler's frame saves it instead of the current one.
   */
  savedMask: { lo: number; hi: number } | undefined;
  /** Set by rt_sigreturn: every register, rax included, is the frame's; the dispatcher stores no result. */
  sigreturned = false;
  /** The last CPU exception (thread.trap_nr, error_code, cr2), reported in every signal frame's sigcontext. */
  trapno = 0;
  trapErr = 0;
  cr2 = 0;

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

  /** Marks `info.signo` pending; a standard signal already pending keeps its first siginfo. */
  enqueue(info: SigInfo): void {
    const sig = info.signo;
    if (!this.isPending(sig)) this.#infos.set(sig, info);
    this.pendingLo = (this.pendingLo | bitLo(sig)) >>> 0;
    this.pendingHi = (this.pendingHi | bitHi(sig)) >>> 0;
  }

  isPending(sig: number): boolean {
    return ((this.pendingLo & bitLo(sig)) | (this.pendingHi & bitHi(sig))) !== 0;
  }

  /** Forgets a pending `sig` (it became ignored, or was dequeued). */
  discard(sig: number): void {
    this.pendingLo = (this.pendingLo & ~bitLo(sig)) >>> 0;
    this.pendingHi = (this.pendingHi & ~bitHi(sig)) >>> 0;
    this.#infos.delete(sig);
  }

  /** Cheap test for the run loop: some pending signal is not blocked. */
  hasDeliverable(): boolean {
    return ((this.pendingLo & ~this.maskLo) | (this.pendingHi & ~this.maskHi)) !== 0;
  }

  /**
   * Takes the next signal to deliver among the pending ones in the set
   * `notLo/notHi` excludes (by default the blocked mask): synchronous
   * signals first, then the lowest number, as Linux's next_signal().
   */
  dequeue(notLo = this.maskLo, notHi = this.maskHi): SigInfo | undefined {
    const lo = (this.pendingLo & ~notLo) >>> 0;
    const hi = (this.pendingHi & ~notHi) >>> 0;
    const sync = (lo & SYNCHRONOUS_LO) >>> 0;
    const sig = sync !== 0 ? lowest(sync, 0) : lowest(lo, hi);
    if (sig === 0) return undefined;
    const info = this.#infos.get(sig) ?? { signo: sig, code: SI_KERNEL };
    this.discard(sig);
    return info;
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
 * Sends a signal to `t` as kill(2) from itself or a broken pipe does: an
 * unblocked ignored signal is discarded (a blocked one is queued, since the
 * disposition may change before it is unblocked, as Linux's sig_ignored());
 * a default-fatal unblocked signal ends the process at once, as Linux's
 * complete_signal() starts the group exit; anything else is queued and
 * delivered at the next return to user space. A stop signal is ignored with
 * a warning (there is no job control).
 */
export function sendSignal(t: Task, info: SigInfo): void {
  const s = t.signals;
  const sig = info.signo;
  if (t.exited) return;
  if (sig === SIGKILL) {
    t.exit({ signal: SIGKILL, coreDumped: false });
    return;
  }
  const blocked = s.isBlocked(sig);
  if (!blocked && s.isIgnored(sig)) return;
  if (!blocked && s.actions[sig]!.handler === SIG_DFL) {
    const d = defaultAction(sig);
    if (d === 'stop') {
      t.kernel.warn(`tsv: signal ${sig} would stop the process; job control is not supported: ignored`);
      return;
    }
    t.exit({ signal: sig, coreDumped: d === 'core' });
    return;
  }
  s.enqueue(info);
  if (!blocked) t.kernel.signalWake(t);
}
