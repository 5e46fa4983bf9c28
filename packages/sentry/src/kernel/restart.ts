// Restarting system calls interrupted by signals, as Linux does (signal(7)).
//
// A wait that a signal interrupts returns one of the kernel-internal codes
// below instead of EINTR; the guest never sees them. On the way back to user
// space the run loop settles the code once it knows whether a handler runs
// (Kernel.deliverPending): the call either fails with EINTR, or is restarted
// by rewinding RIP over the 2-byte SYSCALL instruction with RAX = the call's
// number again, so the guest re-executes it after the handler returns (or at
// once, when no handler runs).
import { Reg, type Registers } from '@tsv/platform';
import { E } from '../errno.js';
import { SA_RESTART, type SigAction } from './signals.js';

/** Restart unless a handler without SA_RESTART runs (reads and writes that moved nothing, untimed futex waits). */
export const ERESTARTSYS = 512;
/** Always restart (a handler or not). */
export const ERESTARTNOINTR = 513;
/** Restart only when no handler runs (poll/select, sigsuspend): a handler makes it EINTR whatever SA_RESTART says. */
export const ERESTARTNOHAND = 514;

const NAMES: ReadonlyMap<number, string> = new Map([
  [ERESTARTSYS, 'ERESTARTSYS (To be restarted if SA_RESTART is set)'],
  [ERESTARTNOINTR, 'ERESTARTNOINTR (To be restarted)'],
  [ERESTARTNOHAND, 'ERESTARTNOHAND (To be restarted if no handler)'],
]);

/** The length of SYSCALL (0f 05). */
const SYSCALL_LEN = 2;

/** Whether a system call's result asks to be settled by the signal code. */
export function isRestartCode(result: number): boolean {
  return result <= -ERESTARTSYS && result >= -ERESTARTNOHAND;
}

/** How strace shows a restart code, as strace(1) does; undefined for other results. */
export function restartName(result: number): string | undefined {
  return NAMES.get(-result);
}

/**
 * Settles the restart code in rax for a task leaving a system call:
 * `action` is the handler about to run, undefined when none runs. Either
 * rax becomes -EINTR, or the call is set up to run again.
 */
export function settleRestart(regs: Registers, action: SigAction | undefined): void {
  const code = -regs.getSigned(Reg.rax);
  const toEintr = action !== undefined && (code === ERESTARTNOHAND || (code === ERESTARTSYS && (action.flags & SA_RESTART) === 0));
  if (toEintr) {
    regs.set(Reg.rax, -E.EINTR);
    return;
  }
  regs.setHalves(Reg.rax, regs.getLo(Reg.orig_rax), regs.getHi(Reg.orig_rax));
  regs.set(Reg.rip, regs.get(Reg.rip) - SYSCALL_LEN);
}
