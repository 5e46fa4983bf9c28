// The sandbox's terminals: its pseudo-terminals (/dev/ptmx makes one,
// devpts shows them), and which is the controlling terminal of which
// session, with Linux's rules:
// - a session leader without a controlling terminal that opens a terminal
//   nobody controls, without O_NOCTTY, acquires it (so does TIOCSCTTY);
//   its process group becomes the foreground group;
// - setsid leaves the caller without one (a new session has none);
//   TIOCNOTTY gives it up (the session leader's gives it up for the whole
//   session, sending SIGHUP and SIGCONT to the foreground group);
// - when the session leader ends, the foreground group gets SIGHUP and the
//   terminal is nobody's;
// - /dev/tty is the caller's controlling terminal, ENXIO without one.
// A pty master never becomes a controlling terminal.
import { E } from '../../errno.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Task } from '../../kernel/task.js';
import type { ThreadGroup } from '../../kernel/thread-group.js';
import type { MemoryAccount } from '../../mm/account.js';
import { type DeviceOpener, type FileDescription, O_NOCTTY, type Stat } from '../../vfs/index.js';
import { DevPts, type PtsTable } from './devpts.js';
import { checkForeground, signalProcess, signalProcessGroup } from './job-control.js';
import { Pty, PtyMaster, SIGTTOU } from './pty.js';

/** /proc/sys/kernel/pty/max: ptys a sandbox may hold at once (ENOSPC past it). */
export const PTY_MAX = 4096;

const SIGHUP = 1;
const SIGCONT = 18;

export class Terminals implements PtsTable {
  readonly devpts = new DevPts(this);
  readonly #ptys = new Map<number, Pty>();
  /** Processes that gave up their session's terminal with TIOCNOTTY (not being its leader). */
  readonly #detached = new WeakSet<ThreadGroup>();
  /** For each pty controlling a session, what stops watching that session's leader. */
  readonly #leaderWatches = new Map<Pty, () => void>();
  #kernel: Kernel | undefined;

  constructor(private readonly account: MemoryAccount | null = null) {}

  /** The kernel the terminals belong to (made after /dev, which needs the terminals). */
  attach(kernel: Kernel): void {
    this.#kernel = kernel;
  }

  get #k(): Kernel {
    if (this.#kernel === undefined) throw new Error('tsv: terminals used before the kernel exists');
    return this.#kernel;
  }

  /** The task making the current system call. */
  #current(): Task | undefined {
    return this.#kernel?.current;
  }

  ptys(): Iterable<Pty> {
    return [...this.#ptys.keys()].sort((a, b) => a - b).map((i) => this.#ptys.get(i)!);
  }

  pty(index: number): Pty | undefined {
    return this.#ptys.get(index);
  }

  /** The /dev nodes that open through the terminals: ptmx and tty. */
  devices(): { ptmx: DeviceOpener; tty: DeviceOpener } {
    return {
      ptmx: { open: (flags, stat) => this.openMaster(flags, stat) },
      tty: { open: (flags, stat) => this.openControlling(flags, stat) },
    };
  }

  /** open(2) of /dev/ptmx: a new pty (the lowest free index), its master's description. */
  openMaster(flags: number, stat: () => Stat, uid = this.#current()?.creds.uid ?? 0): PtyMaster | number {
    let index = 0;
    while (this.#ptys.has(index)) index++;
    if (index >= PTY_MAX) return -E.ENOSPC;
    const pty = new Pty(index, this, uid, this.account);
    this.#ptys.set(index, pty);
    return new PtyMaster(pty, flags, stat);
  }

  /** The stat of /dev/pts/N, for a slave opened without a path (TIOCGPTPEER, the sandbox's own terminal). */
  slaveStat(pty: Pty): () => Stat {
    return () => this.devpts.nodeOf(pty).stat();
  }

  openPts(pty: Pty, flags: number, stat: () => Stat): FileDescription | number {
    const d = pty.openSlave(flags, stat);
    const t = this.#current();
    if (typeof d !== 'number' && t !== undefined && (flags & O_NOCTTY) === 0) this.#acquireOnOpen(t, pty);
    return d;
  }

  /** open(2) of /dev/tty: the caller's controlling terminal; ENXIO without one. */
  openControlling(flags: number, stat: () => Stat): FileDescription | number {
    const t = this.#current();
    const pty = t === undefined ? undefined : this.controlling(t);
    return pty === undefined ? -E.ENXIO : pty.openSlave(flags, stat);
  }

  /** The controlling terminal of `t`'s process, if any. */
  controlling(t: Task): Pty | undefined {
    if (this.#detached.has(t.group)) return undefined;
    for (const p of this.#ptys.values()) if (p.session === t.sid && !p.hungUp) return p;
    return undefined;
  }

  #acquireOnOpen(t: Task, pty: Pty): void {
    if (t.group.pid === t.sid && pty.session === 0 && this.controlling(t) === undefined) this.#setSession(t.group, pty);
  }

  /** TIOCSCTTY: `t` must lead its session and have none; `steal` (root) takes it from another session. */
  makeControlling(t: Task, pty: Pty, steal: boolean): number {
    if (t.group.pid !== t.sid) return -E.EPERM;
    const mine = this.controlling(t);
    if (mine === pty) return 0;
    if (mine !== undefined) return -E.EPERM;
    if (pty.session !== 0) {
      if (!steal || t.creds.euid !== 0) return -E.EPERM;
      this.#release(pty, false);
    }
    this.#setSession(t.group, pty);
    return 0;
  }

  /** TIOCNOTTY: `pty` must be the caller's; a session leader lets go of it for the whole session. */
  giveUp(t: Task, pty: Pty): number {
    if (this.controlling(t) !== pty) return -E.ENOTTY;
    if (t.group.pid === t.sid) this.#release(pty, true);
    else this.#detached.add(t.group);
    return 0;
  }

  #setSession(leader: ThreadGroup, pty: Pty): void {
    this.#detached.delete(leader);
    pty.session = leader.sid;
    pty.pgrp = leader.pgid;
    this.#watchLeader(leader, pty);
  }

  /** Stops watching the leader of the session `pty` was controlling (one watch per pty, so none piles up). */
  #unwatchLeader(pty: Pty): void {
    this.#leaderWatches.get(pty)?.();
    this.#leaderWatches.delete(pty);
  }

  /** When the session's leader ends, its terminal's foreground group hears SIGHUP and the terminal is free. */
  #watchLeader(leader: ThreadGroup, pty: Pty): void {
    this.#unwatchLeader(pty);
    const stop = leader.exitWatchers.add(() => {
      this.#leaderWatches.delete(pty);
      if (leader.exitStatus === undefined) this.#watchLeader(leader, pty);
      else this.#release(pty, false);
    });
    this.#leaderWatches.set(pty, stop);
  }

  /** disassociate_ctty: the foreground group gets SIGHUP (and SIGCONT when it was given up, not at an exit). */
  #release(pty: Pty, givenUp: boolean): void {
    this.#unwatchLeader(pty);
    const fg = pty.pgrp;
    pty.session = 0;
    pty.pgrp = 0;
    if (fg === 0) return;
    signalProcessGroup(this.#k, fg, SIGHUP);
    if (givenUp) signalProcessGroup(this.#k, fg, SIGCONT);
  }

  /**
   * TIOCSPGRP by `t`: its controlling terminal only (ENOTTY), from the
   * foreground (SIGTTOU otherwise), then the group `readPgrp` gives (null:
   * EFAULT), which must be one of its own session (EPERM for another
   * session's, ESRCH for none).
   */
  setForeground(t: Task, pty: Pty, readPgrp: () => number | null): number {
    if (this.controlling(t) !== pty) return -E.ENOTTY;
    const r = checkForeground(t, pty.pgrp, SIGTTOU);
    if (r < 0) return r;
    const pgrp = readPgrp();
    if (pgrp === null) return -E.EFAULT;
    if (pgrp < 0) return -E.EINVAL;
    let found = false;
    for (const g of this.#k.pids.processGroup(pgrp)) {
      if (g.exitStatus !== undefined) continue;
      if (g.sid !== t.sid) return -E.EPERM;
      found = true;
    }
    if (!found) return -E.ESRCH;
    pty.pgrp = pgrp;
    return 0;
  }

  // What a pty asks of its sandbox.

  /** Sends `sig` to every process of process group `pgrp` (from the kernel: SI_KERNEL). */
  signalGroup(pgrp: number, sig: number): void {
    if (this.#kernel !== undefined) signalProcessGroup(this.#kernel, pgrp, sig);
  }

  /** The session leader of `sid`, while it lives, gets `sig`. */
  signalLeader(sid: number, sig: number): void {
    const g = this.#kernel?.pids.group(sid);
    if (g !== undefined && g.sid === sid) signalProcess(g, sig);
  }

  /**
   * Job control for the caller of a read (SIGTTIN) or of a write or
   * settings change (SIGTTOU) on `pty`: 0 to go on, or -EIO, or
   * -ERESTARTSYS once its process group was sent `sig`.
   */
  checkAccess(pty: Pty, sig: number): number {
    const t = this.#current();
    if (t === undefined || this.controlling(t) !== pty) return 0;
    return checkForeground(t, pty.pgrp, sig);
  }

  /** The master was closed: /dev/pts/N goes. */
  released(pty: Pty): void {
    this.#unwatchLeader(pty);
    if (this.#ptys.get(pty.index) === pty) this.#ptys.delete(pty.index);
  }
}
