// A thread group: a process, as Linux's signal_struct plus the process-tree
// links of its leader. Its threads (Tasks) share its pid, credentials,
// limits, process-directed signals and interval timers; each holds its
// memory, descriptors, filesystem context and dispositions by reference,
// shared or copied by clone's flags (task-clone.ts).
//
// Lifecycle: live while any thread runs; a zombie once the last one has
// exited, until its parent reaps it with wait (task-wait.ts), or at once
// when the parent ignores SIGCHLD (task-exit.ts).
import { Watchers } from '../fd/readiness.js';
import type { Location } from '../vfs/index.js';
import { PendingSet } from './signal-pending.js';
import type { Credentials, ExitStatus, Rlimit, Task } from './task.js';

/** CPU time, as getrusage and times report it. */
export interface CpuTimes {
  /** Guest time of the threads (ns): time spent in the guest between entering and leaving it. */
  userNs: number;
  /** Sentry time spent on the threads' behalf (ns): system calls and faults. */
  sysNs: number;
}

export class ThreadGroup {
  /** The process id: the leader's thread id. */
  readonly pid: number;
  /** Live threads, the leader first while it lives. */
  readonly tasks = new Set<Task>();
  parent: ThreadGroup | null;
  readonly children = new Set<ThreadGroup>();
  pgid: number;
  sid: number;
  creds: Credentials;
  readonly rlimits: Map<number, Rlimit>;
  /** Signals sent to the process (kill, sigqueue, timers), shared by its threads. */
  readonly sharedPending = new PendingSet();
  /** The signal the parent gets when this process ends (clone's low byte; SIGCHLD for fork). */
  exitSignal: number;
  /** Set by exit_group or a fatal signal: every thread exits with it. */
  groupExit: ExitStatus | undefined;
  /** How the process ended, once its last thread has exited. */
  exitStatus: ExitStatus | undefined;
  /** Reaped by wait (or auto-reaped): gone from the process tree. */
  reaped = false;
  /** Stopped by SIGSTOP & co. until SIGCONT (group stop). */
  stopped = false;
  /** A stop or continue the parent has not collected with WUNTRACED / WCONTINUED yet. */
  stateChange: 'stopped' | 'continued' | undefined;
  stopSignal = 0;
  /** Given to init when its parent ended (no subreaper took it): reaped as it ends, not left for init to wait for. */
  adopted = false;
  /**
   * Started from outside the sandbox's pid namespace (Kernel.spawn: a
   * container engine's exec), as a process that joined it with setns: its
   * parent is the host (getppid 0), which alone hears of its end; it is
   * reaped as it ends, and its orphans go to init.
   */
  fromHost = false;
  /** prctl(PR_SET_CHILD_SUBREAPER). */
  subreaper = false;
  /** When the process was created (performance.now() ms, as Kernel.bootTime): /proc's starttime. */
  readonly started = performance.now();
  /** Own CPU time (threads that have exited added in) and that of reaped children. */
  readonly cpu: CpuTimes = { userNs: 0, sysNs: 0 };
  readonly childCpu: CpuTimes = { userNs: 0, sysNs: 0 };
  /** Largest resident set of the process and of its reaped children (KiB), for ru_maxrss. */
  maxRssKb = 0;
  childMaxRssKb = 0;
  /** Waiters in wait4/waitid of this process, woken when a child changes state. */
  readonly childWaiters = new Set<() => void>();
  /** Watchers of this process's end (its pidfds, ../fd/pidfd.ts): told when it becomes a zombie and when it is reaped. */
  readonly exitWatchers = new Watchers();
  /** The WriteAccess key of the program it runs (task-exec.ts runProgram): writing that file is ETXTBSY. */
  programKey: string | null = null;
  /** The executable (/proc/<pid>/exe) and its path. */
  exePath: string;
  exe: Location | null = null;
  /** Has called execve since it was forked (Linux: PF_FORKNOEXEC cleared): its parent may no longer setpgid it. */
  execed = false;
  /** argv and envp of the last execve, for /proc/<pid>/cmdline and environ. */
  cmdline: Uint8Array = new Uint8Array(0);
  environ: Uint8Array = new Uint8Array(0);

  constructor(init: {
    pid: number;
    parent: ThreadGroup | null;
    pgid: number;
    sid: number;
    creds: Credentials;
    rlimits?: Map<number, Rlimit>;
    exitSignal: number;
    exePath: string;
  }) {
    this.pid = init.pid;
    this.parent = init.parent;
    this.pgid = init.pgid;
    this.sid = init.sid;
    this.creds = init.creds;
    this.rlimits = init.rlimits ?? new Map();
    this.exitSignal = init.exitSignal;
    this.exePath = init.exePath;
  }

  /** The thread whose tid is the pid, while it lives; else any live thread. */
  get leader(): Task | undefined {
    for (const t of this.tasks) if (t.tid === this.pid) return t;
    return this.tasks.values().next().value;
  }

  /** The process's CPU time: its live threads' and its ended threads'. */
  cpuTimes(): CpuTimes {
    let userNs = this.cpu.userNs;
    let sysNs = this.cpu.sysNs;
    for (const t of this.tasks) {
      userNs += t.userNs;
      sysNs += t.sysNs;
    }
    return { userNs, sysNs };
  }

  get zombie(): boolean {
    return this.exitStatus !== undefined && !this.reaped;
  }

  /** Wakes every wait4/waitid of this process (a child changed state). */
  notifyWaiters(): void {
    for (const wake of [...this.childWaiters]) wake();
  }
}
