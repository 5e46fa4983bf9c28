// The Sentry's kernel object and its scheduler.
//
// The kernel is single-threaded, like a uniprocessor OS on the Node thread.
// One run queue holds every runnable task (a thread of any process); the
// scheduler takes the first, and switch() runs it until it needs the
// kernel. A system call is dispatched synchronously (no promise, no
// allocation on the fast path) and the same task goes on; a handler that
// must wait returns a promise, and the task is parked on it — it leaves the
// run queue, costs nothing, and comes back to the queue's tail when the
// promise settles. A task that computes without system calls is preempted
// by the tick: it goes to the tail, and the Node event loop turns (stdin
// data, timers, kill()). With nothing runnable, the kernel waits on the
// event loop until something wakes a task. Switching tasks is a register
// and address-space change inside the next switch(), never an extra exit.
//
// Process management lives beside this file: task-clone.ts, task-exec.ts,
// task-exit.ts, task-wait.ts, task-signals.ts; the pid table in pids.ts.
import { type Context, type FaultInfo, type FpuState, OutOfMemoryError, type Platform, Reg, Stop } from '@tsv/platform';
import { E } from '../errno.js';
import type { Location, Stat, Vfs } from '../vfs/index.js';
import { interruptTask } from './park.js';
import { SyscallTable } from './syscall-table.js';
import { isRestartCode, settleRestart } from './restart.js';
import { placeFrame, writeFrame } from './signal-frame.js';
import { xstateFeatures } from './signal-fpu.js';
import {
  defaultAction,
  SA_NODEFER,
  SA_RESETHAND,
  SI_KERNEL,
  SIG_DFL,
  SIG_IGN,
  type SigAction,
  type SigInfo,
  SIGBUS,
  SIGKILL,
  SIGSEGV,
} from './signals.js';
import { formatCall, formatResult } from './strace.js';
import { stopGroup } from './task-signals.js';
import { FAULT_ACCERR, FAULT_OOM, FAULT_SIGBUS } from '../mm/pager.js';
import { MemoryInvariantError } from '../mm/frames.js';
import { checkCpuLimit, SandboxCpuLimit } from './cpu-limit.js';
import { PidTable } from './pids.js';
import type { ImageLoader } from './task-exec.js';
import { finishThread } from './task-exit.js';
import type { ExitStatus, Task } from './task.js';
import type { CpuTimes, ThreadGroup } from './thread-group.js';
import { emulateUmip } from './umip.js';
import { type WarnKind, Warnings } from './warnings.js';

/** Room for every x86-64 system call number in the per-call counters. */
const SYSCALL_SLOTS = 512;
/** The name every number past SYSCALL_SLOTS is counted under in stats.unimplemented (2^33 names would not be). */
export const OUT_OF_RANGE = 'out-of-range';

/** The preemption tick. */
export const TICK_NS = 10_000_000;
/**
 * Microtasks the scheduler lets run, with nothing runnable, before it waits
 * idle (see #awaitWakeInFlight): more than the promise callbacks between a
 * Park's wake and its task's return to the run queue (3 or 4 measured; strace adds one).
 */
const IDLE_MICROTASKS = 32;
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
  /** Builds the images execve loads (boot wires in the ELF loader); without one, execve fails with ENOEXEC. */
  loader?: ImageLoader;
  /** The sandbox's task limit: live threads plus zombies (--pids); clone fails with EAGAIN past it. Default 4096. */
  maxTasks?: number;
}

/** The default sandbox-wide task limit. */
export const DEFAULT_MAX_TASKS = 4096;

const NO_LOADER: ImageLoader = { load: () => -E.ENOEXEC };

/** What a run cost, for --stats. */
export interface KernelStats {
  syscalls: Map<string, number>;
  /** Page faults resolved by the memory manager, and faults turned into signals. */
  pageFaults: number;
  signals: number;
  unimplemented: Map<string, number>;
  /** Traps in the guest kernel the platform could not pin on the program: each killed the sandbox. */
  kernelTraps: number;
  /** Tasks the OOM killer ended (the memory limit was reached). */
  oomKills: number;
}

/** A file an exec opened: how it was found, and what it was then. */
export interface ExecOpen {
  readonly path: string;
  readonly at: Location;
  readonly follow: boolean;
  readonly stat: Stat;
}

export class Kernel {
  readonly platform: Platform;
  readonly vfs: Vfs;
  readonly table: SyscallTable;
  readonly loader: ImageLoader;
  readonly maxTasks: number;
  /** When the sandbox started (CLOCK_MONOTONIC-style, ms from performance.now()). */
  readonly bootTime = performance.now();
  readonly stats: KernelStats = { syscalls: new Map(), pageFaults: 0, signals: 0, unimplemented: new Map(), kernelTraps: 0, oomKills: 0 };
  /** CPU time of every task the sandbox has run, ended ones included: the sandbox's, as its CPU limit counts it. */
  readonly cpu: CpuTimes = { userNs: 0, sysNs: 0 };
  /** The whole sandbox's CPU time limit (cpu-limit.ts), if any. */
  #cpuLimit: SandboxCpuLimit | undefined;
  readonly #ctx: Context;
  readonly #strace: ((line: string) => void) | undefined;
  readonly #warnings: Warnings;
  readonly #debug: ((line: string) => void) | undefined;
  /** Calls per system call number (numbers beyond the table's range are unimplemented: see stats.unimplemented). */
  readonly #counts = new Float64Array(SYSCALL_SLOTS);
  #killSignal = 0;
  /** Every task and process of the sandbox's pid namespace. */
  readonly pids = new PidTable();
  /** Runnable tasks, in the order they will run. */
  readonly #runQueue: Task[] = [];
  /** Resolves the scheduler's wait for a runnable task. */
  #wakeIdle: (() => void) | undefined;
  /** What ended the sandbox from inside a settled wait (a MemoryInvariantError), thrown by run(). */
  #fatal: unknown;
  /** The sandbox's init (the program the user ran): the run ends with it. */
  #init: ThreadGroup | undefined;
  /** freeze(): no task runs until thaw(). */
  #frozen = false;
  /** XSAVE components the platform has produced: the ones a sigreturn may load. */
  #xfeatures: number;
  /** The task being run (the caller of the system call being handled). */
  current: Task | undefined;
  /** While set (during the boot), each file an exec opens is added: the host files the boot read (see Sentry.hostFilesChanged). */
  execOpens: ExecOpen[] | undefined;

  constructor(options: KernelOptions) {
    this.platform = options.platform;
    this.vfs = options.vfs;
    this.table = options.table;
    this.loader = options.loader ?? NO_LOADER;
    this.maxTasks = options.maxTasks ?? DEFAULT_MAX_TASKS;
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

  /** Brings `fpu.bytes` up to date if the CPU holds it (before a clone copies it). */
  saveFpu(fpu: FpuState): void {
    this.#ctx.saveFpu(fpu);
  }

  /** `fpu` will not run again (see Task.setFpu): the platform may forget its copy. */
  dropFpu(fpu: FpuState): void {
    this.#ctx.dropFpu(fpu);
  }

  /** A fresh FPU state for a new task. */
  newFpuState() {
    return this.#ctx.newFpuState();
  }

  allocateTid(): number {
    return this.pids.allocate();
  }

  /** The sandbox's pid 1, once run() has started. */
  get init(): ThreadGroup | undefined {
    return this.#init;
  }

  /**
   * Limits the CPU time of the whole sandbox, all tasks together (set before
   * run()): SIGXCPU to every process at `softMs`, the sandbox killed whole
   * (SIGKILL) at `hardMs`.
   */
  limitCpu(softMs: number, hardMs: number): void {
    this.#cpuLimit = new SandboxCpuLimit(softMs * 1e6, hardMs * 1e6);
  }

  /** The sandbox's CPU time reached its limit (limitCpu's soft one). */
  get cpuLimitReached(): boolean {
    return this.#cpuLimit?.reached === true;
  }

  /** A warning for the user; a guest can repeat any, so each kind is bounded (warnings.ts). */
  warn(line: string, kind: WarnKind = 'other'): void {
    this.#warnings.warn(kind, line);
  }

  /**
   * Ends the sandbox from outside (Sandbox.kill, a timeout): every task dies
   * with `signal` at its next stop, and the run ends without waiting for
   * tasks parked in system calls.
   */
  kill(signal = SIGKILL): void {
    if (this.#killSignal === 0) this.#killSignal = signal;
    this.#ctx.interrupt();
    this.#wakeIdle?.();
  }

  /**
   * Freezes the sandbox, as the cgroup freezer does a container (runc
   * pause): the running task is preempted and no task runs until thaw().
   * The tasks cannot tell (no signal, no state change they see); time goes
   * on, so timers that expire meanwhile wake their tasks, which run once
   * thawed. kill() still ends a frozen sandbox.
   */
  freeze(): void {
    this.#frozen = true;
    this.#ctx.interrupt();
  }

  thaw(): void {
    this.#frozen = false;
    this.#wakeIdle?.();
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  /** Puts `task` on the run queue's tail (it was parked, stopped or is new). */
  makeRunnable(task: Task): void {
    if (task.state === 'dead') return;
    task.state = 'runnable';
    this.#runQueue.push(task);
    const wake = this.#wakeIdle;
    this.#wakeIdle = undefined;
    wake?.();
  }

  /**
   * Ends every thread of `group` with `status` (exit_group, a fatal signal,
   * the OOM killer): each leaves at its next stop — the running one when its
   * system call returns (JavaScript only runs while no guest does), a parked
   * one once its wait is interrupted, a stopped one once resumed to die.
   */
  exitGroup(group: ThreadGroup, status: ExitStatus): void {
    if (group.groupExit === undefined) group.groupExit = status;
    for (const t of group.tasks) {
      t.exitThread(group.groupExit);
      if (t.state === 'stopped') this.makeRunnable(t);
      else interruptTask(t);
    }
  }

  /**
   * Starts `task`, the only thread of a new process whose image is in
   * place, in the running sandbox as a process begun from outside its pid
   * namespace (ThreadGroup.fromHost: a container engine's exec). Returns
   * false, starting nothing, when the sandbox is not running: before run()
   * or once init has ended.
   */
  spawn(task: Task): boolean {
    const init = this.#init;
    if (init === undefined || init.exitStatus !== undefined || this.#killSignal !== 0) return false;
    task.group.fromHost = true;
    this.pids.add(task);
    this.makeRunnable(task);
    return true;
  }

  /**
   * Runs the sandbox: `init` (a new process, pid 1 of the sandbox) and
   * everything it starts, until init's process has ended and every other
   * task with it; resolves with how init ended.
   */
  async run(init: Task): Promise<ExitStatus> {
    const ctx = this.#ctx;
    this.#init = init.group;
    this.pids.add(init);
    this.makeRunnable(init);
    ctx.setPreemption(TICK_NS);
    try {
      while (this.pids.liveTasks > 0) {
        if (this.#killSignal !== 0) {
          this.#killAll(this.#killSignal);
          break;
        }
        if (this.#runQueue.length === 0 && !this.#frozen) {
          await this.#awaitWakeInFlight();
          if (this.#killSignal !== 0) continue; // killed meanwhile (a settled wait ended the sandbox)
        }
        const task = this.#frozen ? undefined : this.#runQueue.shift();
        if (task === undefined) {
          ctx.setPreemption(0);
          ctx.pause();
          // Every task waits (or the sandbox is frozen). A guest that deadlocked waits like on Linux (until
          // killed): the event loop must not empty and end the process as if the sandbox had finished.
          const keepAlive = setInterval(() => {}, 2 ** 30);
          await new Promise<void>((resolve) => {
            this.#wakeIdle = resolve;
          });
          clearInterval(keepAlive);
          ctx.setPreemption(TICK_NS);
          continue;
        }
        if (task.state !== 'runnable') continue;
        if (this.#runSlice(task)) {
          // Preempted: the event loop turns before the next task runs.
          this.#runQueue.push(task);
          ctx.pause();
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      ctx.setPreemption(0);
      this.current = undefined;
    }
    this.#counts.forEach((n, nr) => {
      if (n > 0) this.stats.syscalls.set(SyscallTable.nameOf(nr), n);
    });
    if (this.#fatal !== undefined) throw this.#fatal;
    return init.group.exitStatus ?? init.group.groupExit ?? { signal: this.#killSignal };
  }

  /**
   * A task that parks has often just woken another (a write to a pipe or a
   * socket, a futex wake, an eventfd): that wake settled a Park, and the
   * woken task reaches the run queue through promise callbacks alone, a few
   * microtasks later. Letting them run here, before the idle wait, switches
   * to it in the same turn of the event loop, without pausing the vCPU or
   * stopping and restarting the preemption tick (host timer calls that cost
   * more than the switch). Bounded: a task with nothing in flight goes idle
   * after IDLE_MICROTASKS microtasks (a few µs).
   */
  async #awaitWakeInFlight(): Promise<void> {
    for (let i = 0; i < IDLE_MICROTASKS && this.#runQueue.length === 0 && this.#killSignal === 0; i++) await undefined;
  }

  /** The sandbox is killed: every task ends now, parked or not (nothing is waited for). */
  #killAll(signal: number): void {
    for (const t of [...this.pids.tasks()]) {
      t.group.groupExit ??= { signal };
      t.exitThread(t.group.groupExit);
      interruptTask(t);
      t.state = 'dead';
      finishThread(t);
    }
  }

  /**
   * Runs `task` until it parks, stops, exits or is preempted; true when it
   * was preempted (it is still runnable and goes to the queue's tail).
   */
  #runSlice(task: Task): boolean {
    const ctx = this.#ctx;
    this.current = task;
    // Signals sent while it waited on the run queue are delivered before it runs.
    this.#returnToUser(task, false);
    for (;;) {
      if (task.exited || task.group.stopped) {
        this.#leave(task);
        return false;
      }
      const t0 = performance.now();
      const stop = ctx.switch(task.mm.addressSpace, task.regs, task.fpu);
      const t1 = performance.now();
      const userNs = (t1 - t0) * 1e6;
      task.userNs += userNs;
      this.cpu.userNs += userNs;
      let restart = false;
      if (stop === Stop.Syscall) {
        const r = this.#syscall(task);
        if (task.mm.oomPending === true) this.#outOfMemory(task);
        if (typeof r !== 'number') {
          this.#park(task, r);
          this.#chargeSystem(task, t1);
          this.#cpuLimit?.check(this);
          return false;
        }
        restart = this.#setResult(task, r);
      } else if (stop === Stop.Fault) {
        this.#fault(task);
      } else {
        // Preempted: limits are checked and signals sent meanwhile delivered, as on any return to user space.
        checkCpuLimit(task.group);
        this.#cpuLimit?.check(this);
        this.#returnToUser(task, false);
        this.#chargeSystem(task, t1);
        if (!task.exited) return true;
        this.#leave(task);
        return false;
      }
      this.#returnToUser(task, restart);
      this.#chargeSystem(task, t1);
    }
  }

  /** Sentry time since `since` (performance.now() ms), spent on `task`'s behalf: its system time, and the sandbox's. */
  #chargeSystem(task: Task, since: number): void {
    const ns = (performance.now() - since) * 1e6;
    task.sysNs += ns;
    this.cpu.sysNs += ns;
  }

  /** The way back to user space: pending signals delivered (restart codes settled). */
  #returnToUser(task: Task, restart: boolean): void {
    const s = task.signals;
    if (!task.exited && (restart || s.hasDeliverable() || s.savedMask !== undefined)) this.deliverPending(task, restart);
  }

  /** `task` stops running: it exited (its thread is finished) or its process is stopped. */
  #leave(task: Task): void {
    if (task.exited) {
      task.state = 'dead';
      finishThread(task);
    } else {
      task.state = 'stopped';
    }
  }

  /** Parks `task` on a handler's promise; when it settles, the result is stored and the task runs again. */
  #park(task: Task, r: Promise<number>): void {
    task.state = 'parked';
    r.then(
      (v) => {
        if (task.state !== 'parked') return;
        if (task.mm.oomPending === true) this.#outOfMemory(task);
        const restart = this.#setResult(task, v);
        this.#returnToUser(task, restart);
        this.makeRunnable(task);
      },
      (e: unknown) => {
        // #syscall turns a handler's rejection into EIO, so only a broken memory invariant gets here: the sandbox ends with it.
        this.#fatal ??= e;
        this.kill();
      },
    );
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
    // The task's own view of its registers: a handler that waits reads its arguments after other tasks have run.
    const a = task.args;
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
      this.#strace!(`${formatCall(nr, def.args, task.args, task.mm)} = ?`);
      return;
    }
    this.#strace!(`${formatCall(nr, def?.args, task.args, task.mm, r)} ${formatResult(r, def?.ret ?? 'int')}`);
  }

  /** ENOSYS, counted by name (numbers past the table under one, OUT_OF_RANGE) and reported once per name. */
  #unimplemented(nr: number): number {
    const inRange = nr < SYSCALL_SLOTS;
    const name = inRange ? SyscallTable.nameOf(nr) : OUT_OF_RANGE;
    const seen = this.stats.unimplemented.get(name) ?? 0;
    this.stats.unimplemented.set(name, seen + 1);
    if (seen > 0) return -E.ENOSYS;
    this.warn(
      inRange
        ? `tsv: unimplemented system call ${name} (${nr}): returning ENOSYS`
        : `tsv: system call number ${nr} is out of range: returning ENOSYS`,
      'unimplemented',
    );
    return -E.ENOSYS;
  }

  /** The memory limit was reached while the kernel or the program touched memory: SIGKILL, as the OOM killer. */
  #outOfMemory(task: Task): void {
    this.warn('tsv: out of memory: the memory limit was reached; killing the program', 'out-of-memory');
    this.stats.oomKills++;
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
      info =
        r === FAULT_SIGBUS
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
      this.#debug(
        `tsv: ${task.comm}[${task.pid}]: signal ${info.signo}: vector ${f.vector} error ${f.errorCode} at 0x${f.address.toString(16)}` +
          `${access ? ` (${access}${f.protection ? ', protection' : ', not mapped'})` : ''} ip 0x${task.regs.get(Reg.rip).toString(16)} sp 0x${task.regs.get(Reg.rsp).toString(16)}`,
      );
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
        if (d === 'stop') stopGroup(task.group, sig);
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
    task.setFpu(this.newFpuState());
    let lo = s.maskLo | action.maskLo;
    let hi = s.maskHi | action.maskHi;
    if ((action.flags & SA_NODEFER) === 0) {
      if (sig <= 32) lo |= 1 << (sig - 1);
      else hi |= 1 << (sig - 33);
    }
    s.setMask(lo, hi);
  }
}
