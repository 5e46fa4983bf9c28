// A synthetic /proc: /proc/self, /proc/thread-self, /proc/<pid>/{exe,cwd,
// root,fd/,fdinfo/,task/,cmdline,comm,status,stat,maps} and a few
// system-wide files. Per-process entries are computed from the live Task at
// lookup, readlink or open time; a pid whose task is gone is ENOENT. exe,
// cwd, root and fd/N are magic links: following one lands on the object the
// kernel holds, never on whatever its text would resolve to.
import { E } from '../errno.js';
import type { Task } from '../kernel/task.js';
import type { Location, Vfs } from '../vfs/index.js';
import { toBinary } from '../vfs/index.js';
import { FdLinks } from './fdlinks.js';
import { type Owner, ProcDir, ProcFile, ProcFsBase, ProcLink, ProcMagicLink, type ProcNode, type SnapshotAccount } from './nodes.js';
import { cpuinfoText, meminfoText, statText, statusText, uptimeText } from './text.js';

/** Where /proc finds processes; the kernel's task table implements it. */
export interface ProcTasks {
  /** The live task with this pid, if any. */
  get(pid: number): Task | undefined;
  /** The task making the current system call: what /proc/self names. */
  current(): Task | undefined;
  /** Every live pid, for listing /proc (default: the current task's). */
  pids?(): Iterable<number>;
  /** argv as NUL-terminated strings, for /proc/<pid>/cmdline (default: the executable's path). */
  cmdline?(t: Task): Uint8Array;
}

/** The memory manager's /proc/<pid>/maps text, when the task's memory has one. */
interface MapsSource {
  procMaps?(): string;
}

const PID = /^[1-9][0-9]{0,9}$/;

export class ProcFs extends ProcFsBase {
  /** `account`: the sandbox's memory account, charged for every open file's snapshot. */
  constructor(
    readonly tasks: ProcTasks,
    account: SnapshotAccount | null = null,
  ) {
    super(() => this.#top, account);
  }

  readonly #top: ProcNode = new ProcDir(this, '/', () => this.#topNames(), (name) => this.#topChild(name));
  readonly #fds = new FdLinks(this);

  #topNames(): string[] {
    const cur = this.tasks.current();
    const pids = this.tasks.pids?.() ?? (cur === undefined ? [] : [cur.pid]);
    return ['self', 'thread-self', 'cpuinfo', 'meminfo', 'uptime', ...[...pids].map(String)];
  }

  #topChild(name: string): ProcNode | undefined {
    const kernel = () => this.tasks.current()?.kernel;
    switch (name) {
      case 'self':
      case 'thread-self': {
        if (this.tasks.current() === undefined) return undefined;
        const link = (t: Task | undefined) => (t === undefined ? -E.ENOENT : name === 'self' ? String(t.pid) : `${t.pid}/task/${t.tid}`);
        return new ProcLink(this, name, () => link(this.tasks.current()));
      }
      case 'cpuinfo':
        return new ProcFile(this, name, cpuinfoText);
      case 'meminfo':
        return new ProcFile(this, name, () => meminfoText(kernel()));
      case 'uptime':
        return new ProcFile(this, name, () => uptimeText(kernel()));
    }
    if (!PID.test(name)) return undefined;
    const t = this.tasks.get(Number(name));
    return t === undefined || t.exited ? undefined : this.#pidDir(t, String(t.pid), true);
  }

  /** /proc/<pid> (with `task/`) or /proc/<pid>/task/<tid> (without): the same entries, under keys of their own. */
  #pidDir(t: Task, key: string, withThreads: boolean): ProcNode {
    const owner: Owner = { uid: t.creds.euid, gid: t.creds.egid };
    const vfs = t.kernel.vfs;
    const dirLink = (name: string, loc: () => Location) =>
      new ProcMagicLink(this, `${key}/${name}`, () => dirText(vfs, loc()), loc, owner);
    const entries: Record<string, () => ProcNode> = {
      exe: () => {
        const exe = t.exe;
        if (exe === null) return new ProcLink(this, `${key}/exe`, () => toBinary(t.exePath), owner);
        return new ProcMagicLink(this, `${key}/exe`, () => exe.path, () => exe, owner);
      },
      cwd: () => dirLink('cwd', () => t.fs.cwd),
      root: () => dirLink('root', () => t.fs.root),
      fd: () => this.#fds.fdDir(t, `${key}/fd`, owner),
      fdinfo: () => this.#fds.fdinfoDir(t, `${key}/fdinfo`, owner),
      cmdline: () => new ProcFile(this, `${key}/cmdline`, () => this.tasks.cmdline?.(t) ?? nulTerminated(t.exePath), owner),
      comm: () => new ProcFile(this, `${key}/comm`, () => `${t.comm}\n`, owner, 0o644),
      status: () => new ProcFile(this, `${key}/status`, () => statusText(t), owner),
      stat: () => new ProcFile(this, `${key}/stat`, () => statText(t), owner),
      maps: () => new ProcFile(this, `${key}/maps`, () => (t.mm as MapsSource).procMaps?.() ?? '', owner),
    };
    if (withThreads) entries.task = () => this.#taskDir(t, `${key}/task`, owner);
    return new ProcDir(this, key, () => Object.keys(entries), (name) => entries[name]?.(), owner);
  }

  /** /proc/<pid>/task: one directory per thread (each process has one thread for now). */
  #taskDir(t: Task, key: string, owner: Owner): ProcNode {
    const tid = String(t.tid);
    return new ProcDir(this, key, () => [tid], (name) => (name === tid ? this.#pidDir(t, `${key}/${tid}`, false) : undefined), owner);
  }
}

/** A directory's path, marked as Linux marks one that has been removed. */
function dirText(vfs: Vfs, loc: Location): string {
  return vfs.isRemoved(loc) ? `${loc.path} (deleted)` : loc.path;
}

function nulTerminated(s: string): Uint8Array {
  const b = Buffer.from(`${s}\0`, 'utf8');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Mounts a synthetic /proc on `vfs` and returns it; open files' snapshots are charged to `account`. */
export function mountProc(vfs: Vfs, tasks: ProcTasks, account: SnapshotAccount | null = null): ProcFs {
  const fs = new ProcFs(tasks, account);
  vfs.mount('/proc', fs);
  return fs;
}
