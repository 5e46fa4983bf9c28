// What a sandbox is booted with, and the errors that stop it from starting.
import type { Platform } from '@tsv/platform';
import type { InputStream, OutputSink, Rlimit } from '../kernel/index.js';
import type { NetPolicy } from '../net/inet/index.js';
import type { FileDescription, Vfs } from '../vfs/index.js';

/**
 * One process of the sandbox as it starts: its program, environment,
 * working directory, identity, limits and descriptors. The sandbox's init
 * starts from one (BootConfig), and so does each process started later
 * from outside (Sentry.spawn).
 */
export interface ProcessConfig {
  /** argv as the program sees it; argv[0] names the program (searched in PATH when it has no '/'). */
  argv: string[];
  /** The environment, K=V. */
  env: string[];
  /** Working directory inside the sandbox. */
  cwd: string;
  /** Standard input: a stream fed by the host, or (HostFileInput) a regular file. */
  stdin: InputStream | FileDescription;
  /**
   * Where output goes: a function taking the bytes, or a host descriptor
   * (1, 2: inherited), written without ever blocking the Node thread; or
   * 'terminal', the process's terminal (with `terminal`).
   */
  stdout: OutputSink | number | 'terminal';
  stderr: OutputSink | number | 'terminal';
  /**
   * A terminal for the program (a Sandbox's `pty`, tsv run from a
   * terminal): a pseudo-terminal, /dev/pts/N, that is the program's stdin
   * (and its stdout and stderr where they are 'terminal') and the
   * controlling terminal of its session. `stdin` (an InputStream) is what
   * is typed on it; what the program writes to it, and the echoes, go to
   * `output`. Sentry.resize changes the size of init's.
   */
  terminal?: { cols: number; rows: number; output: OutputSink | number };
  /**
   * Descriptors 3, 4, ... of the program, in order: descriptions (a host
   * descriptor to read: HostFileInput, an InputStream the host feeds), or
   * host descriptors the program writes to, as its stdout.
   */
  fds?: (FileDescription | number)[];
  stdoutIsTty?: boolean;
  /** Credentials of the program (default: this process's). */
  uid?: number;
  gid?: number;
  /** Supplementary groups of the program (getgroups; default none), at most NGROUPS_MAX. */
  groups?: readonly number[];
  /**
   * Resource limits of the process (RLIMIT_* → soft and hard), set as by a
   * privileged parent before the program starts (a hard limit may be
   * raised; NOFILE at most NR_OPEN).
   */
  rlimits?: ReadonlyMap<number, Rlimit>;
}

export interface BootConfig extends ProcessConfig {
  platform: Platform;
  /**
   * Host directory seen as / (all of it: '/' shows the whole host). Absent:
   * the default root (vfs/default-root.ts), the host's system directories
   * without its secrets and empty directories of the sandbox's own.
   */
  root?: string;
  /** An in-memory writable layer over the root's host directories (default true); false: EROFS. */
  overlay?: boolean;
  /** 'HOST:GUEST[:ro]' bind mounts with durable writes. */
  volumes?: string[];
  /**
   * Called with the sandbox's file system (its root and volumes; /proc,
   * /sys and /dev/pts are mounted later) before the working directory and
   * the program are looked up: the runner places its input files there,
   * the program itself may be one. What it throws stops the boot, as it is.
   */
  prepare?: (vfs: Vfs) => void;
  /** Bytes of memory the program may own. */
  memoryLimit: number;
  strace?: (line: string) => void;
  warn?: (line: string) => void;
  /** Diagnostics: a line for each fault that kills the program. */
  debug?: (line: string) => void;
  /**
   * Check every memory invariant (MemoryManager.checkInvariants: frames,
   * reference counts, page tables against VMAs) after each memory system
   * call and each resolved page fault; a violation ends the run with an
   * internal error (MemoryInvariantError). Slow: for tests and fuzzers.
   */
  checkMemory?: boolean;
  /** The host name uname() reports. */
  hostname?: string;
  /** The sandbox's task limit (threads plus zombies): a fork bomb gets EAGAIN past it. Default 4096. */
  maxTasks?: number;
  /** What the sandbox may reach besides its own loopback (netPolicy() parses --net and --publish); default none. */
  net?: NetPolicy;
}

/** The program could not be started; `status` is what a shell would report (127 not found, 126 cannot execute). */
export class BootError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'BootError';
    this.status = status;
  }
}
