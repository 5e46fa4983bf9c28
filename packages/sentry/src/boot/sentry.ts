// Booting a sandbox: the filesystem, the first process (the sandbox's
// init, pid 1) and the kernel, from a BootConfig.
import { Registers } from '@tsv/platform';
import { E } from '../errno.js';
import { HostOutputs } from '../fd/host-output.js';
import { HostTerminal, Terminals } from '../fd/tty/index.js';
import { InputStream, Kernel, type OutputSink, OutputStream, Task, type ExitStatus } from '../kernel/index.js';
import { MemoryAccount, MemoryManager, PageCache } from '../mm/index.js';
import { defaultRoot, type FileDescription, SyntheticFs, Vfs } from '../vfs/index.js';

const SYSFS_MAGIC = 0x62656572;
import { buildSyscallTable } from '../syscalls/all.js';
import { BootError, type BootConfig } from './config.js';
import { elfLoader } from './exec.js';
import { execTask } from '../kernel/task-exec.js';
import { type InetStack, NET_NONE, startNetwork } from '../net/inet/index.js';
import { mountProc } from '../proc/index.js';
import { RLIM_NLIMITS } from '../kernel/rlimit.js';
import { NGROUPS_MAX } from '../syscalls/creds.js';
import { setRlimit } from '../syscalls/rlimit.js';
import { setHostname } from '../syscalls/uts.js';
import { describe, openProgram } from './program.js';

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
  /** The sandbox's terminal (BootConfig.terminal) changed size: SIGWINCH for its foreground process group. */
  resize(cols: number, rows: number): void;
}

/** The host name and the first process's limits, as configured (a bad one is the operator's error: BootError 125). */
function configure(kernel: Kernel, task: Task, c: BootConfig): void {
  try {
    if (c.hostname !== undefined) setHostname(kernel, c.hostname);
  } catch (e) {
    throw new BootError((e as Error).message, 125);
  }
  for (const [resource, limit] of c.rlimits ?? []) {
    const known = Number.isInteger(resource) && resource >= 0 && resource < RLIM_NLIMITS;
    const r = known ? setRlimit(task, resource, limit, true) : -E.EINVAL;
    if (r < 0) throw new BootError(`resource limit ${resource} (soft ${limit.cur}, hard ${limit.max}): ${describe(r)}`, 125);
  }
}

/** The groups as setgroups(2) would keep them (sorted); a list it would refuse is the operator's error. */
function supplementaryGroups(groups: readonly number[]): number[] {
  if (groups.length > NGROUPS_MAX || groups.some((g) => !Number.isInteger(g) || g < 0 || g >= 0xffff_ffff))
    throw new BootError(`supplementary groups: at most ${NGROUPS_MAX} ids from 0 to 4294967294 expected`, 125);
  return [...groups].sort((x, y) => x - y);
}

export async function boot(c: BootConfig): Promise<Sentry> {
  const uid = c.uid ?? process.getuid?.() ?? 0;
  const gid = c.gid ?? process.getgid?.() ?? 0;
  const groups = supplementaryGroups(c.groups ?? []);
  // One budget for the sandbox: guest memory, in-memory files and pipe buffers.
  const account = new MemoryAccount(c.memoryLimit);
  let vfs: Vfs;
  // The sandbox's pseudo-terminals: /dev/ptmx, /dev/pts, /dev/tty.
  const terminals = new Terminals(account);
  if (c.terminal !== undefined && !(c.stdin instanceof InputStream))
    throw new BootError('a terminal needs its input as an InputStream', 125);
  if ((c.stdout === 'terminal' || c.stderr === 'terminal') && c.terminal === undefined)
    throw new BootError("output to 'terminal' needs a terminal", 125);
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
  const cwd = vfs.resolve(c.cwd);
  if (typeof cwd === 'number') throw new BootError(`working directory ${c.cwd}: ${describe(cwd)}`, 125);
  const program = openProgram(vfs, c.argv[0]!, c.env, cwd);
  program.file.close();

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
  // The first program starts as any other: an execve by the sandbox's init, from an empty image.
  const task: Task = new Task({
    kernel,
    tid: kernel.allocateTid(),
    regs: new Registers(),
    fpu: kernel.newFpuState(),
    mm: MemoryManager.forPlatform(c.platform, { account, pageCache, checkMemory: c.checkMemory }),
    fs: { root: vfs.root, cwd, umask: 0o022 },
    creds: { uid, euid: uid, suid: uid, gid, egid: gid, sgid: gid, groups },
    comm: 'init',
  });
  configure(kernel, task, c);
  const enc = (xs: string[]) => xs.map((x) => new Uint8Array(Buffer.from(x)));
  const r = execTask(task, program.path, cwd, enc(c.argv), enc(c.env));
  if (r < 0) {
    task.mm.release?.();
    const status = r === -E.ENOMEM || r === -E.E2BIG ? 125 : r === -E.ENOENT ? 127 : 126;
    throw new BootError(
      `${program.path}: ${r === -E.ENOEXEC ? 'Exec format error (not an x86-64 ELF executable or script)' : describe(r)}`,
      status,
    );
  }
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
  // Host descriptors are written without ever blocking the Node thread, one group per sandbox (fd/host-output.ts).
  const outputs = new HostOutputs();
  const sink = (s: OutputSink | number) => (typeof s === 'number' ? outputs.open(s) : s);
  const hostOutputs: OutputStream[] = [];
  const hostOutput = (s: OutputSink | number, isTty = false): OutputStream => {
    const o = new OutputStream(sink(s), isTty);
    hostOutputs.push(o);
    return o;
  };
  let terminal: HostTerminal | undefined;
  let tty: FileDescription | undefined;
  if (c.terminal !== undefined) {
    terminal = new HostTerminal(terminals, task, c.terminal, c.stdin as InputStream, hostOutput(c.terminal.output));
    tty = terminal.openSlave(terminals, vfs);
  }
  const output = (s: OutputSink | number | 'terminal') => (s === 'terminal' ? tty! : hostOutput(s, c.stdoutIsTty ?? false));
  task.fds.add(tty ?? c.stdin);
  task.fds.add(output(c.stdout));
  task.fds.add(output(c.stderr));

  let started = 0;
  return {
    kernel,
    task,
    outputs: hostOutputs,
    run: async () => {
      started = performance.now();
      try {
        const status = await kernel.run(task);
        // What the program wrote reaches the host before its end is reported (kill() stops the wait).
        await outputs.drain();
        return status;
      } finally {
        terminal?.close();
        outputs.close();
        vfs.close();
        network.shutdown();
      }
    },
    kill: (signal = 9) => {
      kernel.kill(signal);
      terminal?.close();
      outputs.close();
      network.shutdown();
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
        wallMs: started === 0 ? 0 : performance.now() - started,
      };
    },
    resize: (cols, rows) => terminal?.resize(cols, rows),
  };
}

export { InputStream };
