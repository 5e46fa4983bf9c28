// The Sentry's kernel object and run loop.
//
// The kernel is single-threaded, like a uniprocessor OS on the Node thread:
// switch() runs the task until it needs the kernel; a system call is
// dispatched synchronously (no promise, no allocation on the fast path)
// unless its handler must wait, in which case the task is parked on the
// promise and the Node event loop runs until it settles. A task that
// computes without system calls is preempted by the tick, which also lets
// the event loop turn (stdin data, timers, kill()).
import { type Context, type FaultInfo, type FpuState, OutOfMemoryError, type Platform, Reg, Stop } from '@tsv/platform';
import { E } from '../errno.js';
import type { Vfs } from '../vfs/index.js';
import { cancelItimers } from '../syscalls/itimer.js';
import { interruptTask } from '../syscalls/park.js';
import { SyscallTable } from '../syscalls/table.js';
import { SyscallArgs } from './args.js';
import { isRestartCode, settleRestart } from './restart.js';
import { placeFrame, writeFrame } from './signal-frame.js';
import { saveFpuFrame, xstateFeatures } from './signal-fpu.js';
import {
  defaultAction, SA_NODEFER, SA_RESETHAND, SI_KERNEL, SIG_DFL, SIG_IGN, type SigAction, type SigInfo, SIGBUS, SIGKILL,
  SIGSEGV,
} from './signals.js';
import { formatCall, formatResult } from './strace.js';
import { FAULT_ACCERR, FAULT_OOM, FAULT_SIGBUS } from '../mm/pager.js';
import { MemoryInvariantError } from '../mm/frames.js';
import type { ExitStatus, Task } from './task.js';
import { emulateUmip } from './umip.js';
import { type WarnKind, Warnings } from './warnings.js';

/** Room for every x86-64 system call number in the per-call counters. */
const SYSCALL_SLOTS = 512;
/** The name every number past SYSCALL_SLOTS is counted under in stats.unimplemented (2^33 names would not be). */
export const OUT_OF_RANGE = 'out-of-range';

/** The preemption tick. */
export const TICK_NS = 10_000_000;
const GP = 13;
const PF = 14;
/** A #PF's error code for a user write (X86_PF_USER | X86_PF_WRITE). */
const PF_USER_WRITE = 6;
const SEGV_MAPERR = 1;
const SEGV_ACCERR = 2;
const BUS_ADRERR = 2;

/** si_code and whether si_addr is the faulting RIP, for exceptions other than #PF (Linux's arch/x86/kernel/traps.c). */
const TRAP_CODES: ReadonlyMap<number, readonly [code: number, ripAddr: boolean]> = new Map([
  [0, [1, true]], // #DE: FPE_INTDIV
  [1, [2, true]], // #DB: TRAP_TRACE
  [6, [2, true]], // #UD: ILL_ILLOPN
  [16, [14, true]], // #MF: FPE_FLTUNK (the x87 status is not decoded)
  [17, [1, false]], // #AC: BUS_ADRALN
  [19, [14, true]], // #XM: FPE_FLTUNK
]);

export interface KernelOptions {
  platform: Platform;
  /** The sandbox's filesystem. */
  vfs: Vfs;
  table: SyscallTable;
  /** strace lines (without newline); absent: no tracing. */
  strace?: (line: string) => void;
  /** Warnings for the user: unimplemented system calls (once each), internal errors; each kind bounded (warnings.ts). */
  warn?: (line: string) => void;
  /** Diagnostics (like the kernel log): a line for each fault that kills the program. */
  debug?: (line: string) => void;
}

/** What a run cost, for --stats. */
export interface KernelStats {
  syscalls: Map<string, number>;
  /** Page faults resolved by the memory manager, and faults turned into signals. */
  pageFaults: number;
  signals: number;
  unimplemented: Map<string, number>;
  /** Traps in the guest kernel the platform could not pin on the program: each killed the sandbox. */
  kernelTraps: number;
}

export class Kernel {
  readonly platform: Platform;
  readonly vfs: Vfs;
  readonly table: SyscallTable;
  /** When the sandbox started (CLOCK_MONOTONIC-style, ms from performance.now()). */
  readonly bootTime = performance.now();
  readonly stats: KernelStats = { syscalls: new Map(), pageFaults: 0, signals: 0, unimplemented: new Map(), kernelTraps: 0 };
  readonly #ctx: Context;
  readonly #args = new SyscallArgs(undefined as never);
  readonly #strace: ((line: string) => void) | undefined;
  readonly #warnings: Warnings;
  readonly #debug: ((line: string) => void) | undefined;
  /** Calls per system call number (numbers beyond the table's range are unimplemented: see stats.unimplemented). */
  readonly #counts = new Float64Array(SYSCALL_SLOTS);
  #killSignal = 0;
  #nextTid = 1;
  /** XSAVE components the platform has produced: the ones a sigreturn may load. */
  #xfeatures: number;
  /** The task being run (the caller of the system call being handled). */
  current: Task | undefined;

  constructor(options: KernelOptions) {
    this.platform = options.platform;
    this.vfs = options.vfs;
    this.table = options.table;
    this.#strace = options.strace;
    this.#warnings = new Warnings(options.warn ?? (() => {}));
    this.#debug = options.debug;
    this.#ctx = this.platform.newContext();
    this.#xfeatures = 3 | xstateFeatures(this.#ctx.newFpuState().bytes);
  }

  /** XSAVE components a signal frame's FPU state may restore (see signal-fpu.ts). */
  get xfeatures(): number {
    return this.#xfeatures;
  }

  /** A fresh FPU state for a new task. */
  newFpuState() {
    return this.#ctx.newFpuState();
  }

  allocateTid(): number {
    return this.#nextTid++;
  }

  /** A warning for the user; a guest can repeat any, so each kind is bounded (warnings.ts). */
  warn(line: string, kind: WarnKind = 'other'): void {
    this.#warnings.warn(kind, line);
  }

  /**
   * Ends the sandbox from outside (Sandbox.kill, a timeout): the task dies
   * with `signal` at its next stop, or at once if it is parked in a system
   * call.
   */
  kill(signal = SIGKILL): void {
    if (this.#killSignal === 0) this.#killSignal = signal;
    this.#ctx.interrupt();
    this.#onKill?.();
  }

  #onKill: (() => void) | undefined;

  /** Settles with the handler's result, or with undefined when the sandbox is killed first. */
  #parked(r: Promise<number>): Promise<number | undefined> {
    if (this.#killSignal !== 0) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.#onKill = () => resolve(undefined);
      r.then(resolve, reject).finally(() => {
        this.#onKill = undefined;
      });
    });
  }

  /** Runs `task` until it exits; resolves with how it ended. */
  async run(task: Task): Promise<ExitStatus> {
    const ctx = this.#ctx;
    this.current = task;
    ctx.setPreemption(TICK_NS);
    try {
      while (!task.exited) {
        if (this.#killSignal !== 0) {
          task.exit({ signal: this.#killSignal });
          break;
        }
        const stop = ctx.switch(task.mm.addressSpace, task.regs, task.fpu);
        let restart = false;
        if (stop === Stop.Syscall) {
          const r = this.#syscall(task);
          if (task.mm.oomPending === true) this.#outOfMemory(task);
          if (typeof r === 'number') {
            restart = this.#setResult(task, r);
          } else {
            ctx.setPreemption(0);
            ctx.pause();
            const v = await this.#parked(r);
            ctx.setPreemption(TICK_NS);
            if (task.mm.oomPending === true) this.#outOfMemory(task);
            if (v !== undefined) restart = this.#setResult(task, v);
          }
        } else if (stop === Stop.Fault) {
          this.#fault(task);
        } else {
          ctx.pause();
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const s = task.signals;
        if (!task.exited && (restart || s.hasDeliverable() || s.savedMask !== undefined)) this.deliverPending(task, restart);
      }
    } finally {
      ctx.setPreemption(0);
      // Nothing of the task may keep the event loop alive: its timers, a wait Kernel.kill cut short.
      cancelItimers(task);
      interruptTask(task);
    }
    this.#counts.forEach((n, nr) => {
      if (n > 0) this.stats.syscalls.set(SyscallTable.nameOf(nr), n);
    });
    return task.exitStatus!;
  }

  /**
   * Stores a system call's result, unless rt_sigreturn already loaded every
   * register; true when it is a restart code for deliverPending to settle.
   */
  #setResult(task: Task, r: number): boolean {
    if (task.signals.sigreturned) {
      task.signals.sigreturned = false;
      return false;
    }
    if (task.exited) return false;
    task.regs.set(Reg.rax, r);
    return isRestartCode(r);
  }

  #syscall(task: Task): number | Promise<number> {
    const a = this.#args;
    a.regs = task.regs;
    const nr = a.nr;
    if (nr < SYSCALL_SLOTS) this.#counts[nr]!++;
    const def = this.table.get(nr);
    let r: number | Promise<number>;
    if (def === undefined) {
      r = this.#unimplemented(nr);
    } else {
      try {
        r = def.handler(task, a);
        if (typeof r !== 'number') r = r.catch((e: unknown) => this.#internalError(task, def.name, e));
      } catch (e) {
        r = this.#internalError(task, def.name, e);
      }
    }
    if (this.#strace === undefined) return r;
    if (typeof r === 'number') {
      this.#trace(task, nr, r);
      return r;
    }
    return r.then((v) => {
      a.regs = task.regs;
      this.#trace(task, nr, v);
      return v;
    });
  }

  /**
   * A Sentry bug must not take the host down: it is reported, and the guest
   * gets EIO. Guest memory running out under the platform (page tables) is
   * no bug: ENOMEM, and the task is killed as by the OOM killer.
   */
  #internalError(task: Task, name: string, e: unknown): number {
    if (e instanceof MemoryInvariantError) throw e; // memory can no longer be trusted: the sandbox ends
    if (e instanceof OutOfMemoryError) {
      task.mm.oomPending = true;
      return -E.ENOMEM;
    }
    this.warn(`tsv: internal error in ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, 'internal-error');
    return -E.EIO;
  }

  #trace(task: Task, nr: number, r: number): void {
    const def = this.table.get(nr);
    if (task.exited && (def?.name === 'exit' || def?.name === 'exit_group')) {
      this.#strace!(`${formatCall(nr, def.args, this.#args, task.mm)} = ?`);
      return;
    }
    this.#strace!(`${formatCall(nr, def?.args, this.#args, task.mm, r)} ${formatResult(r, def?.ret ?? 'int')}`);
  }

  /** ENOSYS, counted by name (numbers past the table under one, OUT_OF_RANGE) and reported once per name. */
  #unimplemented(nr: number): number {
    const inRange = nr < SYSCALL_SLOTS;
    const name = inRange ? SyscallTable.nameOf(nr) : OUT_OF_RANGE;
    const seen = this.stats.unimplemented.get(name) ?? 0;
    this.stats.unimplemented.set(name, seen + 1);
    if (seen > 0) return -E.ENOSYS;
    this.warn(inRange
      ? `tsv: unimplemented system call ${name} (${nr}): returning ENOSYS`
      : `tsv: system call number ${nr} is out of range: returning ENOSYS`, 'unimplemented');
    return -E.ENOSYS;
  }

  /** The memory limit was reached while the kernel or the program touched memory: SIGKILL, as the OOM killer. */
  #outOfMemory(task: Task): void {
    this.warn('tsv: out of memory: the memory limit was reached; killing the program', 'out-of-memory');
    task.exit({ signal: SIGKILL });
  }

  #fault(task: Task): void {
    const f = this.#ctx.fault;
    const s = task.signals;
    if (f.signal === SIGKILL) {
      this.#kernelTrap(f);
      return;
    }
    if (f.vector === GP && f.errorCode === 0 && this.#umip(task)) return;
    let info: SigInfo;
    if (f.vector === PF) {
      const r = task.mm.handleFault(f.address, f.access);
      if (r === 0) {
        this.stats.pageFaults++;
        return;
      }
      if (r === FAULT_OOM) {
        this.#outOfMemory(task);
        return;
      }
      info = r === FAULT_SIGBUS
        ? { signo: SIGBUS, code: BUS_ADRERR, addr: f.address }
        : { signo: SIGSEGV, code: r === FAULT_ACCERR ? SEGV_ACCERR : SEGV_MAPERR, addr: f.address };
      s.cr2 = f.address;
    } else {
      const c = TRAP_CODES.get(f.vector);
      info = c === undefined ? { signo: f.signal, code: SI_KERNEL } : { signo: f.signal, code: c[0], addr: c[1] ? f.address : 0 };
    }
    s.trapno = f.vector;
    s.trapErr = f.errorCode;
    this.stats.signals++;
    this.forceSignal(task, info);
    if (this.#debug !== undefined && s.actions[info.signo]!.handler === SIG_DFL) {
      const access = ['', 'read', 'write', '', 'exec'][f.access] ?? '';
      this.#debug(`tsv: ${task.comm}[${task.pid}]: signal ${info.signo}: vector ${f.vector} error ${f.errorCode} at 0x${f.address.toString(16)}` +
        `${access ? ` (${access}${f.protection ? ', protection' : ', not mapped'})` : ''} ip 0x${task.regs.get(Reg.rip).toString(16)} sp 0x${task.regs.get(Reg.rsp).toString(16)}`);
    }
  }

  /** The platform saw its own kernel trap in a way no instruction of the program explains: nothing can resume, the sandbox dies. */
  #kernelTrap(f: FaultInfo): void {
    this.stats.kernelTraps++;
    const vector = f.vector < 0 ? 'not a trap' : `vector ${f.vector}`;
    this.warn(`tsv: the guest kernel stopped unexpectedly (${vector}, at 0x${f.address.toString(16)}): killing the sandbox`);
    this.kill(SIGKILL);
  }

  /**
   * SGDT, SIDT, SLDT, STR or SMSW, which the platform's UMIP turns into
   * #GP(0): answered with Linux's dummy values (umip.ts). True when handled,
   * including a SIGSEGV for a destination that cannot be written, which
   * Linux reports as a page fault there.
   */
  #umip(task: Task): boolean {
    const r = emulateUmip(task);
    if (r.kind === 'none') return false;
    if (r.kind === 'fault') {
      const s = task.signals;
      s.cr2 = r.addr;
      s.trapno = PF;
      s.trapErr = PF_USER_WRITE;
      this.stats.signals++;
      this.forceSignal(task, { signo: SIGSEGV, code: SEGV_MAPERR, addr: r.addr });
    }
    return true;
  }

  /**
   * A synchronous signal (a fault, or a frame that could not be written):
   * queued for delivery before the task runs again. If the task blocks or
   * ignores it, the default action is forced (unblocked, SIG_DFL), as
   * Linux's force_sig_info: a fault cannot be skipped.
   */
  forceSignal(task: Task, info: SigInfo): void {
    const s = task.signals;
    const sig = info.signo;
    const a = s.actions[sig]!;
    const blocked = s.isBlocked(sig);
    if (blocked || a.handler === SIG_IGN) {
      s.actions[sig] = { ...a, handler: SIG_DFL };
      if (blocked) s.setMask(s.maskLo & ~(sig <= 32 ? 1 << (sig - 1) : 0), s.maskHi & ~(sig > 32 ? 1 << (sig - 33) : 0));
    }
    s.enqueue(info);
  }

  /** A signal `task` must act on was sent: a wait it is parked in ends (with its restart code). */
  signalWake(task: Task): void {
    interruptTask(task);
  }

  /**
   * The return to user space: delivers every pending signal the mask lets
   * through, as Linux's exit_to_user_mode_loop does — a default action, or a
   * handler frame; several handlers nest, the last one set up running
   * first. `restarting`: the task is leaving a system call whose result in
   * rax is a restart code, settled (restart.ts) by the first handler, or
   * as "no handler" when none runs. Without a handler delivered, a
   * temporary mask (rt_sigsuspend, ppoll, pselect6) is restored.
   */
  deliverPending(task: Task, restarting = false): void {
    const s = task.signals;
    while (!task.exited) {
      const info = s.dequeue();
      if (info === undefined) break;
      const sig = info.signo;
      const action = s.actions[sig]!;
      if (action.handler === SIG_IGN) continue;
      if (action.handler === SIG_DFL) {
        const d = defaultAction(sig);
        if (d === 'stop') this.warn(`tsv: signal ${sig} would stop the process; job control is not supported: ignored`, 'stop-signal');
        if (d === 'terminate' || d === 'core') task.exit({ signal: sig, coreDumped: d === 'core' });
        continue;
      }
      if (restarting) settleRestart(task.regs, action);
      restarting = false;
      this.#runHandler(task, info, action);
    }
    if (restarting && !task.exited) settleRestart(task.regs, undefined);
    s.restoreSavedMask();
  }

  /** handle_signal(): the frame, the handler's FPU state and mask; SIGSEGV when the frame cannot be written. */
  #runHandler(task: Task, info: SigInfo, action: SigAction): void {
    const s = task.signals;
    const sig = info.signo;
    if ((action.flags & SA_RESETHAND) !== 0) s.actions[sig] = { handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 };
    const old = s.savedMask ?? { lo: s.maskLo, hi: s.maskHi };
    // The interrupted FPU state goes into the frame: make its bytes current.
    this.#ctx.saveFpu(task.fpu);
    const place = placeFrame(task, action);
    const written = place === null ? null : writeFrame(task, place, { info, action, maskLo: old.lo, maskHi: old.hi });
    if (place === null || written === null) {
      // force_sigsegv(): a SIGSEGV handler that cannot get a frame is not tried again.
      if (sig === SIGSEGV) s.actions[SIGSEGV] = { ...s.actions[SIGSEGV]!, handler: SIG_DFL };
      this.forceSignal(task, { signo: SIGSEGV, code: SI_KERNEL });
      return;
    }
    s.savedMask = undefined;
    this.#xfeatures |= xstateFeatures(task.fpu.bytes);
    task.fpu = this.newFpuState();
    let lo = s.maskLo | action.maskLo;
    let hi = s.maskHi | action.maskHi;
    if ((action.flags & SA_NODEFER) === 0) {
      if (sig <= 32) lo |= 1 << (sig - 1);
      else hi |= 1 << (sig - 33);
    }
    s.setMask(lo, hi);
  }
}
