// Booting a sandbox: the filesystem, the first process (the sandbox's
// init, pid 1) and the kernel, from a BootConfig.
import { Registers } from '@tsv/platform';
import { E } from '../errno.js';
import { HostOutputs } from '../fd/host-output.js';
import { InputStream, Kernel, type OutputSink, OutputStream, Task, type ExitStatus } from '../kernel/index.js';
import { MemoryAccount, MemoryManager, PageCache } from '../mm/index.js';
import { defaultRoot, SyntheticFs, Vfs } from '../vfs/index.js';

const SYSFS_MAGIC = 0x62656572;
import { buildSyscallTable } from '../syscalls/all.js';
import { BootError, type BootConfig } from './config.js';
import { elfLoader } from './exec.js';
import { execTask } from '../kernel/task-exec.js';
import { type InetStack, NET_NONE, startNetwork } from '../net/inet/index.js';
import { mountProc } from '../proc/index.js';
import { RLIM_NLIMITS } from '../kernel/rlimit.js';
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
  /** Runs the program to its end. */
  run(): Promise<ExitStatus>;
  kill(signal?: number): void;
  stats(): RunStats;
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

export async function boot(c: BootConfig): Promise<Sentry> {
  const uid = c.uid ?? process.getuid?.() ?? 0;
  const gid = c.gid ?? process.getgid?.() ?? 0;
  // One budget for the sandbox: guest memory, in-memory files and pipe buffers.
  const account = new MemoryAccount(c.memoryLimit);
  let vfs: Vfs;
  let stdout: OutputStream | undefined;
  try {
    // /dev/tty exists only when the sandbox's stdin is a terminal; it writes where stdout does (it is no
    // stream that parks: while the host terminal is slow to take output, a write there is EAGAIN).
    const tty = {
      read: (b: Uint8Array, len: number) => c.stdin.read(b, len),
      write: (b: Uint8Array, len: number) => stdout?.write(b, len) ?? -E.EIO,
      stream: true,
    };
    vfs = new Vfs({
      root: c.root ?? defaultRoot(),
      overlay: c.overlay ?? true,
      volumes: c.volumes ?? [],
      dev: c.stdinIsTty ? { tty } : true,
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
  // The first program starts as any other: an execve by the sandbox's init, from an empty image.
  const task: Task = new Task({
    kernel,
    tid: kernel.allocateTid(),
    regs: new Registers(),
    fpu: kernel.newFpuState(),
    mm: MemoryManager.forPlatform(c.platform, { account, pageCache, checkMemory: c.checkMemory }),
    fs: { root: vfs.root, cwd, umask: 0o022 },
    creds: { uid, euid: uid, suid: uid, gid, egid: gid, sgid: gid, groups: [] },
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
  stdout = new OutputStream(sink(c.stdout), c.stdoutIsTty ?? false);
  task.fds.add(c.stdin);
  task.fds.add(stdout);
  task.fds.add(new OutputStream(sink(c.stderr), c.stdoutIsTty ?? false));

  let started = 0;
  return {
    kernel,
    task,
    run: async () => {
      started = performance.now();
      try {
        const status = await kernel.run(task);
        // What the program wrote reaches the host before its end is reported (kill() stops the wait).
        await outputs.drain();
        return status;
      } finally {
        outputs.close();
        vfs.close();
        network.shutdown();
      }
    },
    kill: (signal = 9) => {
      kernel.kill(signal);
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
  };
}

export { InputStream };
