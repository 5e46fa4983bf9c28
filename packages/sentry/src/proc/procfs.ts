// A synthetic /proc: /proc/self, /proc/<pid>/{exe,cwd,root,fd/,cmdline,comm,
// status,stat,maps} and a few system-wide files. Per-process entries are
// computed from the live Task at lookup, readlink or open time; a pid whose
// task is gone is ENOENT.
import type { Task } from '../kernel/task.js';
import type { Vfs } from '../vfs/index.js';
import { O_ACCMODE, O_RDONLY, O_WRONLY, toBinary } from '../vfs/index.js';
import { type Owner, ProcDir, ProcFile, ProcFsBase, ProcLink, type ProcNode } from './nodes.js';
import { cpuinfoText, fdTarget, meminfoText, statText, statusText, uptimeText } from './text.js';

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
  constructor(readonly tasks: ProcTasks) {
    super(() => this.#top);
  }

  readonly #top: ProcNode = new ProcDir(this, '/', () => this.#topNames(), (name) => this.#topChild(name));

  #topNames(): string[] {
    const cur = this.tasks.current();
    const pids = this.tasks.pids?.() ?? (cur === undefined ? [] : [cur.pid]);
    return ['self', 'cpuinfo', 'meminfo', 'uptime', ...[...pids].map(String)];
  }

  #topChild(name: string): ProcNode | undefined {
    const kernel = () => this.tasks.current()?.kernel;
    switch (name) {
      case 'self': {
        if (this.tasks.current() === undefined) return undefined;
        return new ProcLink(this, 'self', () => String(this.tasks.current()?.pid ?? 0));
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
    return t === undefined || t.exited ? undefined : this.#pidDir(t);
  }

  #pidDir(t: Task): ProcNode {
    const key = String(t.pid);
    const owner: Owner = { uid: t.creds.euid, gid: t.creds.egid };
    const entries: Record<string, () => ProcNode> = {
      exe: () => new ProcLink(this, `${key}/exe`, () => toBinary(t.exePath), owner),
      cwd: () => new ProcLink(this, `${key}/cwd`, () => t.fs.cwd.path, owner),
      root: () => new ProcLink(this, `${key}/root`, () => t.fs.root.path, owner),
      fd: () => this.#fdDir(t, owner),
      cmdline: () => new ProcFile(this, `${key}/cmdline`, () => this.tasks.cmdline?.(t) ?? nulTerminated(t.exePath), owner),
      comm: () => new ProcFile(this, `${key}/comm`, () => `${t.comm}\n`, owner, 0o644),
      status: () => new ProcFile(this, `${key}/status`, () => statusText(t), owner),
      stat: () => new ProcFile(this, `${key}/stat`, () => statText(t), owner),
      maps: () => new ProcFile(this, `${key}/maps`, () => (t.mm as MapsSource).procMaps?.() ?? '', owner),
    };
    return new ProcDir(this, key, () => Object.keys(entries), (name) => entries[name]?.(), owner);
  }

  #fdDir(t: Task, owner: Owner): ProcNode {
    const key = `${t.pid}/fd`;
    const names = () => [...t.fds.entries()].map(([fd]) => String(fd));
    const child = (name: string): ProcNode | undefined => {
      if (name !== '0' && !PID.test(name)) return undefined;
      const f = t.fds.get(Number(name));
      if (f === undefined) return undefined;
      // The link's permission bits show the access mode, as Linux's do (lr-x, l-wx, lrwx).
      const acc = f.flags & O_ACCMODE;
      const perm = (acc === O_WRONLY ? 0 : 0o500) | (acc === O_RDONLY ? 0 : 0o300);
      return new ProcLink(this, `${key}/${name}`, () => fdTarget(f), owner, perm);
    };
    return new ProcDir(this, key, names, child, owner, 0o500);
  }
}

function nulTerminated(s: string): Uint8Array {
  const b = Buffer.from(`${s}\0`, 'utf8');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Mounts a synthetic /proc on `vfs` and returns it. */
export function mountProc(vfs: Vfs, tasks: ProcTasks): ProcFs {
  const fs = new ProcFs(tasks);
  vfs.mount('/proc', fs);
  return fs;
}
