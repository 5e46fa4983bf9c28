// A task: one thread. What it shares with other threads is held by
// reference — its process (ThreadGroup: pid, credentials, limits, the
// process's pending signals), its memory, descriptor table, filesystem
// context and signal dispositions — so that clone can share or copy each
// one (task-clone.ts) and exec can replace or unshare it (task-exec.ts).
import type { FpuState, Registers } from '@tsv/platform';
import type { MemoryAccount } from '../mm/account.js';
import type { Location } from '../vfs/index.js';
import { SyscallArgs } from './args.js';
import { FdTable } from './fdtable.js';
import type { Kernel } from './kernel.js';
import { SignalHandlers, SignalState } from './signals.js';
import { ThreadGroup } from './thread-group.js';
import type { UserMemory } from './usercopy.js';

/** The filesystem context: root, working directory and umask (shared by CLONE_FS). */
export interface FsContext {
  root: Location;
  cwd: Location;
  umask: number;
}

export interface Credentials {
  uid: number;
  euid: number;
  suid: number;
  gid: number;
  egid: number;
  sgid: number;
  groups: number[];
}

/** How a process ended, as wait(2) would report it. */
export interface ExitStatus {
  /** exit(2) status (0-255), when it exited. */
  code?: number;
  /** The signal that killed it. */
  signal?: number;
  coreDumped?: boolean;
}

/** A resource limit (soft, hard); Infinity is RLIM_INFINITY. */
export interface Rlimit {
  cur: number;
  max: number;
}

/**
 * Where a task is in the scheduler: on the run queue (or running), parked
 * in a system call, stopped with its process, or gone.
 */
export type TaskState = 'runnable' | 'parked' | 'stopped' | 'dead';

/** SIGCHLD: what fork's child sends its parent when it ends. */
const SIGCHLD = 17;

export class Task {
  readonly kernel: Kernel;
  /** The thread id; an exec from a non-leader thread takes over the leader's (de_thread). */
  tid: number;
  group: ThreadGroup;
  readonly regs: Registers;
  #fpu: FpuState;
  /** The process's memory (shared by CLONE_VM); the memory manager implements UserMemory. */
  mm: TaskMemory;
  fds: FdTable;
  fs: FsContext;
  readonly signals: SignalState;
  /** The system call arguments in `regs`, as handlers read them (one per task: a waiting handler reads them later). */
  readonly args: SyscallArgs;
  /** set_tid_address / CLONE_CHILD_CLEARTID: cleared and futex-woken at thread exit. */
  clearChildTid = 0;
  robustList = 0;
  robustListLen = 0;
  /** The thread's name (comm, PR_SET_NAME). */
  comm: string;
  /** prctl(PR_SET_PDEATHSIG): sent to this thread when its parent process ends. */
  pdeathSignal = 0;
  /** Set once the thread must exit: its own exit, its process's exit_group or a fatal signal. */
  exitStatus: ExitStatus | undefined;
  state: TaskState = 'runnable';
  /** Set while a vfork parent waits for this child to exec or exit: lets it go. */
  vforkDone: (() => void) | undefined;
  /** Guest and Sentry CPU time of this thread (ns). */
  userNs = 0;
  sysNs = 0;

  constructor(init: {
    kernel: Kernel;
    tid: number;
    regs: Registers;
    fpu: FpuState;
    mm: TaskMemory;
    fs: FsContext;
    creds?: Credentials;
    comm: string;
    exePath?: string;
    group?: ThreadGroup;
    fds?: FdTable;
    signals?: SignalState;
  }) {
    this.kernel = init.kernel;
    this.tid = init.tid;
    this.group =
      init.group ??
      new ThreadGroup({
        pid: init.tid,
        parent: null,
        pgid: init.tid,
        sid: init.tid,
        exitSignal: SIGCHLD,
        exePath: init.exePath ?? '',
        creds: init.creds ?? { uid: 0, euid: 0, suid: 0, gid: 0, egid: 0, sgid: 0, groups: [] },
      });
    this.group.tasks.add(this);
    this.regs = init.regs;
    this.#fpu = init.fpu;
    this.mm = init.mm;
    this.fs = init.fs;
    this.fds = init.fds ?? new FdTable();
    this.signals = init.signals ?? new SignalState(new SignalHandlers(), this.group.sharedPending);
    this.comm = init.comm;
    this.args = new SyscallArgs(this.regs);
  }

  /** The task's FPU/SSE/AVX state (the platform's; its bytes are current only after kernel.saveFpu). */
  get fpu(): FpuState {
    return this.#fpu;
  }

  /** Gives the task a new FPU state; the platform forgets the old one, unsaved. */
  setFpu(next: FpuState): void {
    if (next === this.#fpu) return;
    this.kernel.dropFpu(this.#fpu);
    this.#fpu = next;
  }

  get pid(): number {
    return this.group.pid;
  }

  get ppid(): number {
    return this.group.parent?.pid ?? 0;
  }

  get pgid(): number {
    return this.group.pgid;
  }

  set pgid(v: number) {
    this.group.pgid = v;
  }

  get sid(): number {
    return this.group.sid;
  }

  set sid(v: number) {
    this.group.sid = v;
  }

  get creds(): Credentials {
    return this.group.creds;
  }

  set creds(c: Credentials) {
    this.group.creds = c;
  }

  get rlimits(): Map<number, Rlimit> {
    return this.group.rlimits;
  }

  get exePath(): string {
    return this.group.exePath;
  }

  set exePath(p: string) {
    this.group.exePath = p;
  }

  get exe(): Location | null {
    return this.group.exe;
  }

  set exe(l: Location | null) {
    this.group.exe = l;
  }

  /**
   * Ends the whole process with `status` (exit_group, a fatal signal, the
   * OOM killer): every thread exits at its next stop, or at once if it is
   * parked. The first status set wins.
   */
  exit(status: ExitStatus): void {
    this.kernel.exitGroup(this.group, status);
  }

  /** Ends this thread alone (exit(2)); the process ends with its last thread. */
  exitThread(status: ExitStatus): void {
    if (this.exitStatus === undefined) this.exitStatus = status;
  }

  get exited(): boolean {
    return this.exitStatus !== undefined;
  }
}

/** Memory as the kernel's run loop and system calls use it. */
export interface TaskMemory extends UserMemory {
  /** The platform address space to run the task in. */
  readonly addressSpace: import('@tsv/platform').AddressSpace;
  /**
   * Resolves a user page fault at `address` for `access` (ACCESS_*): 0 when
   * the task can resume, else a negative code (../mm/pager.ts FAULT_*):
   * SIGSEGV, SIGBUS or out of memory.
   */
  handleFault(address: number, access: number): number;
  /** Set when a kernel copy or the platform ran out of memory (the process is then OOM-killed). */
  oomPending?: boolean;
  /** Most the stack may grow to: setrlimit(RLIMIT_STACK) sets it, and the next fault that grows the stack obeys it. */
  stackLimit?: number;
  /** The sandbox's memory account, for kernel objects the task makes (pipe buffers); none means unlimited. */
  readonly account?: MemoryAccount;
  /** Frees everything (the last task using it exited or exec'd). */
  release?(): void;
  /**
   * The guest-physical address of the word at `va` when it lies in shared
   * memory (MAP_SHARED, present), else -1: what shared futexes are keyed by.
   */
  sharedAddress?(va: number): number;
  /** The guest memory the frames come from (one per sandbox): the space shared futex keys live in. */
  readonly physical?: object;
  /**
   * A copy for a child process (fork without CLONE_VM): private pages shared
   * copy-on-write, shared mappings shared, MADV_DONTFORK ranges left out,
   * MADV_WIPEONFORK ranges empty. A negative errno (ENOMEM) when it cannot.
   */
  fork?(): TaskMemory | number;
}
