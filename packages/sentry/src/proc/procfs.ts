// A synthetic /proc, from the Sentry's own state: every process of the
// sandbox's pid namespace (zombies too, until reaped) as /proc/<pid>, each
// of its threads as /proc/<pid>/task/<tid> (and, unlisted, /proc/<tid>),
// /proc/self and /proc/thread-self, and the system-wide files (stat,
// cpuinfo, meminfo, loadavg, uptime, mounts, sys/kernel/*, net/*).
//
// Directories hold a process object and a thread id, never a snapshot: each
// lookup, readlink and open finds the thread afresh, so a process that has
// been reaped, or a thread that has exited, is ENOENT from then on. exe,
// cwd, root and fd/N are magic links: following one lands on the object the
// kernel holds, never on whatever its text would resolve to.
import { E } from '../errno.js';
import type { Kernel } from '../kernel/kernel.js';
import { PID_MAX } from '../kernel/pids.js';
import type { Task } from '../kernel/task.js';
import type { ThreadGroup } from '../kernel/thread-group.js';
import { hostname, UTS_RELEASE, UTS_SYSNAME } from '../syscalls/uts.js';
import type { Location, Vfs } from '../vfs/index.js';
import { toBinary } from '../vfs/index.js';
import { tcpText, udpText } from '../net/inet/proc-net.js';
import { unixText } from '../net/unix/proc-net.js';
import { devText, ifInet6Text } from '../net/interfaces.js';
import { FdLinks } from './fdlinks.js';
import { mapsText, type MemorySource } from './memory.js';
import { MountIds, mountinfoText, mountsText } from './mounts.js';
import { type Owner, ProcDir, ProcFile, ProcFsBase, ProcLink, ProcMagicLink, type ProcNode, type SnapshotAccount } from './nodes.js';
import { cpuinfoText, loadavgText, type MemoryBudget, meminfoText, systemStatText, uptimeText } from './system-text.js';
import { commOf, limitsText, statmText, statText, statusText, type TaskView, viewOf } from './task-text.js';

/** Where /proc finds processes. */
export interface ProcTasks {
  /** The sandbox's kernel: its pid namespace (processes, zombies, threads), scheduler, memory and mounts. */
  readonly kernel: Kernel;
  /** The task making the current system call: what /proc/self names. */
  current(): Task | undefined;
}

/** The sandbox's memory account: open snapshots are charged to it, and meminfo reports it. */
export type ProcAccount = SnapshotAccount & MemoryBudget;

const PID = /^[1-9][0-9]{0,9}$/;
const TOP = ['self', 'thread-self', 'cpuinfo', 'loadavg', 'meminfo', 'mounts', 'net', 'stat', 'sys', 'uptime'];

export class ProcFs extends ProcFsBase {
  readonly #mountIds: MountIds;
  readonly #fds: FdLinks;

  /** `account`: the sandbox's memory account, charged for every open file's snapshot. */
  constructor(
    readonly tasks: ProcTasks,
    private readonly budget: ProcAccount | null = null,
  ) {
    super(() => this.#top, budget);
    this.#mountIds = new MountIds(tasks.kernel.vfs);
    this.#fds = new FdLinks(this, this.#mountIds);
  }

  readonly #top: ProcNode = new ProcDir(
    this,
    '/',
    () => this.#topNames(),
    (name) => this.#topChild(name),
  );
  readonly #sys: ProcNode = this.#sysDir();
  readonly #net: ProcNode = this.#netDir();

  get #kernel(): Kernel {
    return this.tasks.kernel;
  }

  #topNames(): string[] {
    return [...TOP, ...[...this.#kernel.pids.groups()].map((g) => String(g.pid))];
  }

  #topChild(name: string): ProcNode | undefined {
    const k = this.#kernel;
    switch (name) {
      case 'self':
      case 'thread-self': {
        const link = () => {
          const t = this.tasks.current();
          return t === undefined ? -E.ENOENT : name === 'self' ? String(t.pid) : `${t.pid}/task/${t.tid}`;
        };
        return new ProcLink(this, name, link);
      }
      case 'cpuinfo':
        return new ProcFile(this, name, () => cpuinfoText(k));
      case 'loadavg':
        return new ProcFile(this, name, () => loadavgText(k));
      case 'meminfo':
        return new ProcFile(this, name, () => meminfoText(k, this.budget));
      case 'mounts':
        return new ProcLink(this, name, () => 'self/mounts');
      case 'stat':
        return new ProcFile(this, name, () => systemStatText(k));
      case 'net':
        return this.#net;
      case 'sys':
        return this.#sys;
      case 'uptime':
        return new ProcFile(this, name, () => uptimeText(k));
    }
    if (!PID.test(name)) return undefined;
    const id = Number(name);
    const g = k.pids.group(id);
    if (g !== undefined) return this.#pidDir(g, id, name, true);
    // A thread other than a leader: reachable by its id, not listed (as Linux's /proc/<tid>).
    const t = k.pids.task(id);
    return t === undefined ? undefined : this.#pidDir(t.group, id, name, true);
  }

  /** /proc/sys/kernel: the few sysctls programs read. */
  #sysDir(): ProcNode {
    const k = () => this.#kernel;
    const files: Record<string, () => string | Uint8Array> = {
      hostname: () => Buffer.concat([hostname(k()), Buffer.from('\n')]),
      ostype: () => `${UTS_SYSNAME}\n`,
      osrelease: () => `${UTS_RELEASE}\n`,
      pid_max: () => `${PID_MAX}\n`,
    };
    const kernel = this.#textDir('sys/kernel', files);
    return new ProcDir(
      this,
      'sys',
      () => ['kernel'],
      (name) => (name === 'kernel' ? kernel : undefined),
    );
  }

  /** /proc/net: the sandbox's interfaces, inet and AF_UNIX sockets (the same for every process: the sandbox has one network namespace). */
  #netDir(): ProcNode {
    const k = () => this.#kernel;
    const files: Record<string, () => string> = {
      dev: devText,
      if_inet6: ifInet6Text,
      tcp: () => tcpText(k(), false),
      tcp6: () => tcpText(k(), true),
      udp: () => udpText(k(), false),
      udp6: () => udpText(k(), true),
      unix: () => unixText(k()),
    };
    return this.#textDir('net', files);
  }

  /** The directory `path` of /proc holding `files`, each made at open from its function. */
  #textDir(path: string, files: Record<string, () => string | Uint8Array>): ProcNode {
    return new ProcDir(
      this,
      path,
      () => Object.keys(files),
      (name) => {
        const text = files[name];
        return text === undefined ? undefined : new ProcFile(this, `${path}/${name}`, text);
      },
    );
  }

  /**
   * /proc/<pid> (`whole`, with task/) or /proc/<pid>/task/<tid> (without):
   * the same entries, under keys of their own; undefined once it has gone.
   */
  #pidDir(g: ThreadGroup, tid: number, key: string, whole: boolean): ProcNode | undefined {
    const pids = this.#kernel.pids;
    const view = () => viewOf(pids, g, tid, whole);
    if (view() === undefined) return undefined;
    const owner: Owner = { uid: g.creds.euid, gid: g.creds.egid };
    const vfs = this.#kernel.vfs;
    /** A file of the view's text; ENOENT once the thread or process has gone. */
    const file = (name: string, text: (v: TaskView) => string | Uint8Array, perm?: number) =>
      new ProcFile(
        this,
        `${key}/${name}`,
        () => {
          const v = view();
          return v === undefined ? -E.ENOENT : text(v);
        },
        owner,
        perm,
      );
    /** A file of the live process's text; empty for a zombie, as Linux shows a process without memory. */
    const live = (name: string, text: (t: Task) => string | Uint8Array, perm?: number) =>
      file(name, (v) => (v.res === undefined ? '' : text(v.res)), perm);
    const dirLink = (name: string, loc: (t: Task) => Location) =>
      new ProcMagicLink(
        this,
        `${key}/${name}`,
        () => {
          const t = view()?.res;
          return t === undefined ? -E.ENOENT : dirText(vfs, loc(t));
        },
        () => {
          const t = view()?.res;
          return t === undefined ? -E.ENOENT : loc(t);
        },
        owner,
      );
    const resOrEmpty = (name: string, dir: (t: Task) => ProcNode, perm: number) => {
      const t = view()?.res;
      return t === undefined
        ? new ProcDir(
            this,
            `${key}/${name}`,
            () => [],
            () => undefined,
            owner,
            perm,
          )
        : dir(t);
    };
    const entries: Record<string, () => ProcNode | undefined> = {
      task: () => this.#taskDir(g, `${key}/task`, owner),
      fd: () => resOrEmpty('fd', (t) => this.#fds.fdDir(t, `${key}/fd`, owner), 0o500),
      fdinfo: () => resOrEmpty('fdinfo', (t) => this.#fds.fdinfoDir(t, `${key}/fdinfo`, owner), 0o555),
      environ: () => live('environ', () => g.environ, 0o400),
      status: () => file('status', statusText),
      limits: () => file('limits', limitsText),
      comm: () => file('comm', (v) => `${commOf(v)}\n`, 0o644),
      cmdline: () => live('cmdline', () => g.cmdline),
      stat: () => file('stat', (v) => statText(v, this.#kernel)),
      statm: () => file('statm', statmText),
      maps: () => live('maps', (t) => mapsText(t.mm as MemorySource)),
      cwd: () => dirLink('cwd', (t) => t.fs.cwd),
      root: () => dirLink('root', (t) => t.fs.root),
      exe: () => this.#exeLink(`${key}/exe`, g, () => view()?.res, owner),
      mounts: () => live('mounts', (t) => mountsText(vfs, t.fs.root.path)),
      mountinfo: () => live('mountinfo', (t) => mountinfoText(vfs, t.fs.root.path, this.#mountIds)),
    };
    if (!whole) delete entries.task;
    return new ProcDir(
      this,
      key,
      () => Object.keys(entries),
      (name) => (view() === undefined ? undefined : entries[name]?.()),
      owner,
    );
  }

  /** /proc/<pid>/exe: the executable the process runs (its path when the loader kept no location); ENOENT for a zombie. */
  #exeLink(key: string, g: ThreadGroup, res: () => Task | undefined, owner: Owner): ProcNode {
    const exe = g.exe;
    if (exe === null) return new ProcLink(this, key, () => (res() === undefined ? -E.ENOENT : toBinary(g.exePath)), owner);
    return new ProcMagicLink(
      this,
      key,
      () => (res() === undefined ? -E.ENOENT : exe.path),
      () => (res() === undefined ? -E.ENOENT : exe),
      owner,
    );
  }

  /** /proc/<pid>/task: one directory per thread, the leader's while it is a zombie too. */
  #taskDir(g: ThreadGroup, key: string, owner: Owner): ProcNode {
    const names = () => {
      const tids = [...g.tasks].map((t) => t.tid);
      if (!g.reaped && !tids.includes(g.pid)) tids.unshift(g.pid);
      return tids.map(String);
    };
    return new ProcDir(
      this,
      key,
      names,
      (name) => (PID.test(name) ? this.#pidDir(g, Number(name), `${key}/${name}`, false) : undefined),
      owner,
    );
  }
}

/** A directory's path, marked as Linux marks one that has been removed. */
function dirText(vfs: Vfs, loc: Location): string {
  return vfs.isRemoved(loc) ? `${loc.path} (deleted)` : loc.path;
}

/** Mounts a synthetic /proc on `vfs` and returns it; open files' snapshots are charged to `account`. */
export function mountProc(vfs: Vfs, tasks: ProcTasks, account: ProcAccount | null = null): ProcFs {
  const fs = new ProcFs(tasks, account);
  vfs.mount('/proc', fs);
  return fs;
}
