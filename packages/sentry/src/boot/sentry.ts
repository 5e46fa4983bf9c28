// Booting a sandbox: the filesystem, the first process (the sandbox's
// init, pid 1) and the kernel, from a BootConfig.
import { HostOutputs } from '../fd/host-output.js';
import { Terminals } from '../fd/tty/index.js';
import { InputStream, Kernel, type OutputStream, type Task, type ExitStatus } from '../kernel/index.js';
import { MemoryAccount, PageCache } from '../mm/index.js';
import { defaultRoot, type Location, type Stat, SyntheticFs, Vfs } from '../vfs/index.js';

const SYSFS_MAGIC = 0x62656572;
import { buildSyscallTable } from '../syscalls/all.js';
import { BootError, type BootConfig, type ProcessConfig } from './config.js';
import { elfLoader } from './exec.js';
import { type InetStack, NET_NONE, startNetwork } from '../net/inet/index.js';
import { mountProc } from '../proc/index.js';
import { setHostname } from '../syscalls/uts.js';
import { SI_USER } from '../kernel/signals.js';
import { sendProcessSignal } from '../kernel/task-signals.js';
import { type ProcessFactory, startProcess } from './process.js';

/** What a run cost (tsv run --stats). */
export interface RunStats {
  exits: { syscall: number; fault: number; interrupt: number; other: number };
  /** Host nanoseconds spent between exits. */
  hostNs: number;
  /** System calls by name. */
  syscalls: Map<string, number>;
  unimplemented: Map<string, number>;
  pageFaults: number;
  /** Traps in the guest kernel that killed the sandbox (see KernelStats). */
  kernelTraps: number;
  wallMs: number;
}

export interface Sentry {
  readonly kernel: Kernel;
  readonly task: Task;
  /**
   * Where the program's output leaves the sandbox: its stdout and stderr,
   * and the screen of its terminal (BootConfig.terminal). A runner's output
   * limit goes on each (OutputStream.limit).
   */
  readonly outputs: readonly OutputStream[];
  /** Runs the program to its end. */
  run(): Promise<ExitStatus>;
  kill(signal?: number): void;
  stats(): RunStats;
  /**
   * Whether the host changed under what the boot saw: a file it read (the
   * program, a script's interpreter, the ELF interpreter) changed or its
   * path now leads to another file, the working directory is another one,
   * or the host path of the root or of a volume now leads elsewhere. Asked
   * of the host afresh, after forgetting what walks had learnt of it. For a
   * boot done ahead of its run.
   */
  hostFilesChanged(): boolean;
  /**
   * Ends a sandbox booted but never run, at once: releases what the boot
   * made (the first process's memory and descriptors, the filesystem's host
   * handles, the network). The platform stays the caller's to close. Does
   * nothing once run() was called.
   */
  discard(): void;
  /** The sandbox's terminal (BootConfig.terminal) changed size: SIGWINCH for its foreground process group. */
  resize(cols: number, rows: number): void;
  /**
   * Starts another program in the running sandbox, as a process that
   * joined its namespaces from outside (a container engine's exec): a new
   * process and session of its own, its parent the host (getppid 0), its
   * descriptors and terminal as `c` says. Throws BootError when it cannot
   * start (127 not found, 126 not executable, 125 otherwise, and when the
   * sandbox is not running: before run() or once its init has ended).
   */
  spawn(c: ProcessConfig): SpawnedProcess;
}

/** A process Sentry.spawn started. */
export interface SpawnedProcess {
  /** Its pid in the sandbox. */
  readonly pid: number;
  /** Resolves with how it ended, once its output has reached the host (or the sandbox ended). */
  readonly exited: Promise<ExitStatus>;
  /** Its terminal (ProcessConfig.terminal) changed size. */
  resize(cols: number, rows: number): void;
  /** Sends it `signal` from the host (si_code SI_USER, si_pid 0); false once it has ended. */
  signal(signal: number): boolean;
}

/** The host name, as configured (a bad one is the operator's error: BootError 125). */
function configure(kernel: Kernel, c: BootConfig): void {
  try {
    if (c.hostname !== undefined) setHostname(kernel, c.hostname);
  } catch (e) {
    throw new BootError((e as Error).message, 125);
  }
}

export async function boot(c: BootConfig): Promise<Sentry> {
  const uid = c.uid ?? process.getuid?.() ?? 0;
  const gid = c.gid ?? process.getgid?.() ?? 0;
  // One budget for the sandbox: guest memory, in-memory files and pipe buffers.
  const account = new MemoryAccount(c.memoryLimit);
  let vfs: Vfs;
  // The sandbox's pseudo-terminals: /dev/ptmx, /dev/pts, /dev/tty.
  const terminals = new Terminals(account);
  try {
    vfs = new Vfs({
      root: c.root ?? defaultRoot(),
      overlay: c.overlay ?? true,
      volumes: c.volumes ?? [],
      dev: { terminals: terminals.devices() },
      uid,
      gid,
      account,
    });
  } catch (e) {
    throw new BootError(e instanceof Error ? e.message : String(e), 125);
  }
  try {
    c.prepare?.(vfs);
  } catch (e) {
    vfs.close();
    throw e;
  }
  // One page cache for the sandbox: processes mapping the same file share its frames.
  const pageCache = new PageCache();
  const loader = elfLoader(c.platform, account, { pageCache, checkMemory: c.checkMemory });
  const kernel = new Kernel({
    platform: c.platform,
    vfs,
    table: buildSyscallTable(),
    strace: c.strace,
    warn: c.warn,
    debug: c.debug,
    loader,
    maxTasks: c.maxTasks,
  });
  terminals.attach(kernel);
  vfs.mount('/dev/pts', terminals.devpts);
  configure(kernel, c);
  const factory: ProcessFactory = { kernel, platform: c.platform, account, pageCache, checkMemory: c.checkMemory, terminals };
  // Host descriptors are written without ever blocking the Node thread, one group per process started from the host (fd/host-output.ts).
  const outputs = new HostOutputs();
  kernel.execOpens = [];
  const init = startProcess(factory, { ...c, uid, gid }, outputs);
  const bootFiles = kernel.execOpens;
  kernel.execOpens = undefined;
  const { task, terminal } = init;
  const cwdStat = task.fs.cwd.node.stat();
  const bootCwd = typeof cwdStat === 'number' ? undefined : { path: c.cwd, stat: cwdStat };
  let network: InetStack;
  try {
    network = await startNetwork(kernel, c.net ?? NET_NONE);
  } catch (e) {
    task.mm.release?.();
    throw new BootError(`--publish: ${e instanceof Error ? e.message : String(e)}`, 125);
  }
  // The host's /sys would tell the program about the host's kernel and
  // devices: the sandbox gets an empty one (SYSFS_MAGIC), as /proc is its own.
  vfs.mount('/sys', new SyntheticFs(SYSFS_MAGIC), { readOnly: true });
  mountProc(vfs, { kernel, current: () => kernel.current ?? task }, account);
  // Processes started by spawn() that have not ended: the sandbox's end ends their streams too.
  const spawned = new Set<() => void>();
  const closeAll = (): void => {
    terminal?.close();
    outputs.end();
    for (const close of [...spawned]) close();
  };

  const spawn = (p: ProcessConfig): SpawnedProcess => {
    const group = new HostOutputs();
    let made: ReturnType<typeof startProcess>;
    try {
      made = startProcess(factory, p, group);
    } catch (e) {
      group.end();
      throw e;
    }
    const g = made.task.group;
    const close = (): void => {
      spawned.delete(close);
      made.terminal?.close();
      group.end();
    };
    if (!kernel.spawn(made.task)) {
      made.task.mm.release?.();
      made.task.fds.closeAll();
      close();
      throw new BootError('the sandbox is not running', 125);
    }
    spawned.add(close);
    const exited = new Promise<ExitStatus>((resolve) => {
      const ended = (): void => {
        if (!g.reaped) {
          g.exitWatchers.add(ended);
          return;
        }
        // What it wrote reaches the host before its end is reported (the sandbox's end stops the wait).
        void group.drain().then(() => {
          close();
          resolve(g.exitStatus ?? { code: 0 });
        });
      };
      ended();
    });
    const signal = (signo: number): boolean => {
      if (g.exitStatus !== undefined) return false;
      sendProcessSignal(g, { signo, code: SI_USER, pid: 0, uid: 0 });
      return true;
    };
    return { pid: g.pid, exited, resize: (cols, rows) => made.terminal?.resize(cols, rows), signal };
  };

  let started = 0;
  /** What the sandbox's end releases, run or not: streams, the filesystem's host handles, the network. */
  const release = (): void => {
    closeAll();
    vfs.close();
    network.shutdown();
  };
  return {
    kernel,
    task,
    outputs: init.outputs,
    run: async () => {
      if (started < 0) throw new BootError('the sandbox was discarded', 125);
      started = performance.now();
      try {
        const status = await kernel.run(task);
        // What the program wrote reaches the host before its end is reported (kill() stops the wait, not the writing).
        await outputs.drain();
        return status;
      } finally {
        release();
      }
    },
    kill: (signal = 9) => {
      kernel.kill(signal);
      closeAll();
      network.shutdown();
    },
    discard: () => {
      if (started !== 0) return;
      started = -1; // never runs now
      task.mm.release?.();
      task.fds.closeAll();
      release();
    },
    stats: () => {
      const p = c.platform.stats;
      return {
        exits: { ...p.exits },
        hostNs: p.hostNs,
        syscalls: kernel.stats.syscalls,
        unimplemented: kernel.stats.unimplemented,
        pageFaults: kernel.stats.pageFaults,
        kernelTraps: kernel.stats.kernelTraps,
        wallMs: started <= 0 ? 0 : performance.now() - started,
      };
    },
    hostFilesChanged: () => {
      if (bootCwd === undefined || vfs.hostRootsMoved()) return true;
      vfs.forgetHost();
      const statOf = (path: string, at: Location, follow: boolean) => {
        const loc = vfs.resolve(path, { at, follow });
        return typeof loc === 'number' ? loc : loc.node.stat();
      };
      // The working directory the program starts in: the same directory (its entries are looked up as it runs).
      const cwd = statOf(bootCwd.path, vfs.root, true);
      if (typeof cwd === 'number' || cwd.dev !== bootCwd.stat.dev || cwd.ino !== bootCwd.stat.ino) return true;
      return bootFiles.some((o) => {
        const now = statOf(o.path, o.at, o.follow);
        return typeof now === 'number' || !sameFile(now, o.stat);
      });
    },
    resize: (cols, rows) => terminal?.resize(cols, rows),
    spawn,
  };
}

export { InputStream };

/** The same file, unchanged: identity, type, size and modification and change times. */
function sameFile(a: Stat, b: Stat): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.mode === b.mode &&
    a.size === b.size &&
    a.mtimeSec === b.mtimeSec &&
    a.mtimeNsec === b.mtimeNsec &&
    a.ctimeSec === b.ctimeSec &&
    a.ctimeNsec === b.ctimeNsec
  );
}
