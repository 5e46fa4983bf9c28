// A new process of the sandbox from a ProcessConfig: the sandbox's init at
// boot, and each process started later from outside (Sentry.spawn). Its
// program is found and loaded as an execve from an empty image would load
// it; its descriptors are the config's standard streams (or a terminal of
// its own) and its extra descriptors.
import type { Platform } from '@tsv/platform';
import { Registers } from '@tsv/platform';
import { E } from '../errno.js';
import type { HostOutputs } from '../fd/host-output.js';
import { HostTerminal, type Terminals } from '../fd/tty/index.js';
import { InputStream, type Kernel, type OutputSink, OutputStream, Task } from '../kernel/index.js';
import { RLIM_NLIMITS } from '../kernel/rlimit.js';
import { execTask } from '../kernel/task-exec.js';
import { type MemoryAccount, MemoryManager, type PageCache } from '../mm/index.js';
import { NGROUPS_MAX } from '../syscalls/creds.js';
import { setRlimit } from '../syscalls/rlimit.js';
import type { FileDescription } from '../vfs/index.js';
import { BootError, type ProcessConfig } from './config.js';
import { describe, openProgram } from './program.js';

/** What every process of one sandbox is made with. */
export interface ProcessFactory {
  kernel: Kernel;
  platform: Platform;
  account: MemoryAccount;
  pageCache: PageCache;
  checkMemory?: boolean;
  terminals: Terminals;
}

/** A process made by startProcess, its program loaded, not yet running. */
export interface NewProcess {
  task: Task;
  /** Its terminal (ProcessConfig.terminal), for resizes; closed when the process is done with. */
  terminal: HostTerminal | undefined;
  /** Its outputs to the host (stdout, stderr, the terminal's screen), for a runner's output limit. */
  outputs: OutputStream[];
}

/**
 * Makes a process running `c.argv[0]`, with its descriptors; `outputs`
 * writes its host descriptors. Throws BootError with the shell's status:
 * 127 not found, 126 not executable, 125 a bad working directory or limit.
 */
export function startProcess(f: ProcessFactory, c: ProcessConfig, outputs: HostOutputs): NewProcess {
  const { kernel } = f;
  const vfs = kernel.vfs;
  if (c.terminal !== undefined && !(c.stdin instanceof InputStream))
    throw new BootError('a terminal needs its input as an InputStream', 125);
  if ((c.stdout === 'terminal' || c.stderr === 'terminal') && c.terminal === undefined)
    throw new BootError("output to 'terminal' needs a terminal", 125);
  const cwd = vfs.resolve(c.cwd);
  if (typeof cwd === 'number') throw new BootError(`working directory ${c.cwd}: ${describe(cwd)}`, 125);
  const program = openProgram(vfs, c.argv[0]!, c.env, cwd);
  program.file.close();
  const uid = c.uid ?? process.getuid?.() ?? 0;
  const gid = c.gid ?? process.getgid?.() ?? 0;
  const groups = supplementaryGroups(c.groups ?? []);
  // The program starts as any other: an execve by a new process, from an empty image.
  const task: Task = new Task({
    kernel,
    tid: kernel.allocateTid(),
    regs: new Registers(),
    fpu: kernel.newFpuState(),
    mm: MemoryManager.forPlatform(f.platform, { account: f.account, pageCache: f.pageCache, checkMemory: f.checkMemory }),
    fs: { root: vfs.root, cwd, umask: 0o022 },
    creds: { uid, euid: uid, suid: uid, gid, egid: gid, sgid: gid, groups },
    comm: 'init', // until the exec below names it after its program
  });
  for (const [resource, limit] of c.rlimits ?? []) {
    const known = Number.isInteger(resource) && resource >= 0 && resource < RLIM_NLIMITS;
    const r = known ? setRlimit(task, resource, limit, true) : -E.EINVAL;
    if (r < 0) {
      task.mm.release?.();
      throw new BootError(`resource limit ${resource} (soft ${limit.cur}, hard ${limit.max}): ${describe(r)}`, 125);
    }
  }
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
  return { task, ...attachStdio(f, task, c, outputs) };
}

/** The groups as setgroups(2) would keep them (sorted); a list it would refuse is the operator's error. */
function supplementaryGroups(groups: readonly number[]): number[] {
  if (groups.length > NGROUPS_MAX || groups.some((g) => !Number.isInteger(g) || g < 0 || g >= 0xffff_ffff))
    throw new BootError(`supplementary groups: at most ${NGROUPS_MAX} ids from 0 to 4294967294 expected`, 125);
  return [...groups].sort((x, y) => x - y);
}

/** Descriptors 0, 1, 2 (the terminal's slave where they are the terminal) and the extra ones from 3 up. */
function attachStdio(f: ProcessFactory, task: Task, c: ProcessConfig, group: HostOutputs): Omit<NewProcess, 'task'> {
  const outputs: OutputStream[] = [];
  const hostOutput = (s: OutputSink | number, isTty = false): OutputStream => {
    const o = new OutputStream(typeof s === 'number' ? group.open(s) : s, isTty);
    outputs.push(o);
    return o;
  };
  let terminal: HostTerminal | undefined;
  let tty: FileDescription | undefined;
  if (c.terminal !== undefined) {
    terminal = new HostTerminal(f.terminals, task, c.terminal, c.stdin as InputStream, hostOutput(c.terminal.output));
    tty = terminal.openSlave(f.terminals, f.kernel.vfs);
  }
  const output = (s: OutputSink | number | 'terminal') => (s === 'terminal' ? tty! : hostOutput(s, c.stdoutIsTty ?? false));
  task.fds.add(tty ?? c.stdin);
  task.fds.add(output(c.stdout));
  task.fds.add(output(c.stderr));
  for (const d of c.fds ?? []) task.fds.add(typeof d === 'number' ? hostOutput(d) : d);
  return { terminal, outputs };
}
