// A task: one thread of one process, with everything the system calls of
// issue-4 scope act on. Processes and threads (fork, clone, execve, wait)
// build on this: the parts a thread shares with its process (memory,
// descriptors, filesystem context, signal dispositions) are separate
// objects so they can later be shared or copied.
import type { FpuState, Registers } from '@tsv/platform';
import type { MemoryAccount } from '../mm/account.js';
import type { Location } from '../vfs/index.js';
import { FdTable } from './fdtable.js';
import type { Kernel } from './kernel.js';
import { SignalState } from './signals.js';
import type { UserMemory } from './usercopy.js';

/** The filesystem context: root, working directory and umask. */
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

export class Task {
  readonly kernel: Kernel;
  readonly tid: number;
  readonly pid: number;
  ppid = 0;
  pgid: number;
  sid: number;
  readonly regs: Registers;
  fpu: FpuState;
  /** The process's memory; the memory manager implements UserMemory. */
  mm: TaskMemory;
  readonly fds = new FdTable();
  fs: FsContext;
  creds: Credentials;
  readonly signals = new SignalState();
  readonly rlimits = new Map<number, Rlimit>();
  /** set_tid_address: cleared and futex-woken at thread exit. */
  clearChildTid = 0;
  robustList = 0;
  robustListLen = 0;
  /** The program's name (comm) and path (/proc/self/exe). */
  comm: string;
  exePath: string;
  /** Where the executable was opened from: /proc/<pid>/exe leads there (null: only exePath is known). */
  exe: Location | null = null;
  /** Set once the task has exited (exit, exit_group or a fatal signal). */
  exitStatus: ExitStatus | undefined;

  constructor(init: {
    kernel: Kernel; tid: number; regs: Registers; fpu: FpuState; mm: TaskMemory; fs: FsContext; creds: Credentials;
    comm: string; exePath: string;
  }) {
    this.kernel = init.kernel;
    this.tid = init.tid;
    this.pid = init.tid;
    this.pgid = init.tid;
    this.sid = init.tid;
    this.regs = init.regs;
    this.fpu = init.fpu;
    this.mm = init.mm;
    this.fs = init.fs;
    this.creds = init.creds;
    this.comm = init.comm;
    this.exePath = init.exePath;
  }

  /** Ends the task (and, with one thread per process for now, its process). */
  exit(status: ExitStatus): void {
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
  /** The sandbox's memory account, for kernel objects the task makes (pipe buffers); none means unlimited. */
  readonly account?: MemoryAccount;
}
