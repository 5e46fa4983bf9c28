// A pseudo-terminal pair (Linux's pty driver with N_TTY): the master side
// is the screen and keyboard (a terminal emulator, `script`, the host's own
// terminal through host-terminal.ts), the slave side /dev/pts/N is the
// terminal the program uses. One line discipline (ldisc.ts) sits between
// them, with one termios and one window size for both sides (termios
// ioctls on the master act on the slave, as on Linux).
//
// Lifetime, as Linux's: a pty exists from the open of /dev/ptmx until its
// master is closed. Then the slave is hung up (reads give 0, writes EIO,
// poll everything), the session it controls gets SIGHUP, and /dev/pts/N is
// gone. While no slave is open after one was, master reads give EIO and
// poll shows POLLHUP (a program reading the master learns its child left).
// The slave cannot be opened while locked (unlockpt clears it).
import { E } from '../../errno.js';
import type { MemoryAccount } from '../../mm/account.js';
import { O_NONBLOCK, type Stat } from '../../vfs/index.js';
import { PipeQueue } from '../pipe-queue.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../readiness.js';
import { StreamDescription } from '../stream.js';
import { LineDiscipline } from './ldisc.js';
import { ptyTermios, type Termios, TOSTOP, type WinSize } from './termios.js';
import type { Terminals } from './terminals.js';

/** Bytes the master side holds unread before the program's writes wait (Linux: the pty's flip buffers and the master's n_tty). */
export const SCREEN_BUFFER = 16 << 10;

const SIGHUP = 1;
const SIGCONT = 18;
const SIGWINCH = 28;
export const SIGTTIN = 21;
export const SIGTTOU = 22;

export class Pty {
  readonly ldisc: LineDiscipline;
  winsize: WinSize = { rows: 0, cols: 0, xpixel: 0, ypixel: 0 };
  /** The session (sid) it is the controlling terminal of, 0 for none, and its foreground process group. */
  session = 0;
  pgrp = 0;
  /** TIOCSPTLCK: the slave cannot be opened while set (a new pty starts locked; unlockpt clears it). */
  locked = true;
  /** The master was closed: the slave side is hung up. */
  hungUp = false;
  /** The owner and group /dev/pts/N shows (the opener of /dev/ptmx; group tty). */
  readonly uid: number;
  #slaves = 0;
  #slaveOpened = false;
  /** What the program wrote (and the echoes), for the master to read. */
  readonly #screen: PipeQueue;
  readonly #ends = new Set<TtyEnd>();

  constructor(
    readonly index: number,
    readonly terminals: Terminals,
    uid: number,
    account: MemoryAccount | null,
  ) {
    this.uid = uid;
    this.#screen = new PipeQueue(account);
    this.ldisc = new LineDiscipline(ptyTermios(), {
      emit: (b) => void this.#toScreen(b),
      emitRoom: () => SCREEN_BUFFER - this.#screen.size,
      signal: (sig) => terminals.signalGroup(this.pgrp, sig),
      flushOutput: () => this.#screen.clear(),
      wake: () => this.wakeAll(),
    });
  }

  get termios(): Termios {
    return this.ldisc.termios;
  }

  /** Queues bytes for the master; false when the sandbox's memory could not hold them all. */
  #toScreen(bytes: Uint8Array): boolean {
    return bytes.length === 0 || this.#screen.push(bytes, bytes.length, false) === bytes.length;
  }

  wakeAll(): void {
    for (const e of this.#ends) e.wake();
  }

  /** TIOCSWINSZ from either side: a change sends SIGWINCH to the foreground process group. */
  resize(w: WinSize): void {
    const old = this.winsize;
    this.winsize = w;
    if (old.rows !== w.rows || old.cols !== w.cols || old.xpixel !== w.xpixel || old.ypixel !== w.ypixel) {
      if (this.pgrp !== 0) this.terminals.signalGroup(this.pgrp, SIGWINCH);
    }
  }

  /** The slave has never been open, or is open now: the master does not see a hangup. */
  get slaveGone(): boolean {
    return this.#slaveOpened && this.#slaves === 0;
  }

  /** Bytes the master can read now (FIONREAD on the master). */
  get screenBytes(): number {
    return this.#screen.size;
  }

  /** TCFLSH of the output side. */
  flushScreen(): void {
    this.#screen.clear();
    this.wakeAll();
  }

  /** A new description of the slave; -EIO while locked or hung up. `stat` is the node it was opened through. */
  openSlave(flags: number, stat: () => Stat): PtySlave | number {
    if (this.hungUp || this.locked) return -E.EIO;
    return new PtySlave(this, flags, stat);
  }

  /** TtyEnd bookkeeping. */
  attach(e: TtyEnd): void {
    this.#ends.add(e);
    if (e instanceof PtySlave) {
      this.#slaves++;
      this.#slaveOpened = true;
    }
  }

  detach(e: TtyEnd): void {
    if (!this.#ends.delete(e)) return;
    if (e instanceof PtySlave) this.#slaves--;
    if (e instanceof PtyMaster) this.#hangUp();
    this.wakeAll();
  }

  /** The master is gone: the slave side hangs up and its session hears SIGHUP (and SIGCONT), as tty_vhangup. */
  #hangUp(): void {
    this.hungUp = true;
    this.ldisc.close();
    this.#screen.clear();
    if (this.session !== 0) {
      this.terminals.signalLeader(this.session, SIGHUP);
      this.terminals.signalLeader(this.session, SIGCONT);
    }
    this.session = 0;
    this.pgrp = 0;
    this.terminals.released(this);
  }

  /** The master's read: the screen's bytes; EIO once every slave has closed and nothing is left. */
  readScreen(buf: Uint8Array, len: number): number {
    if (this.#screen.size === 0) return this.slaveGone ? -E.EIO : -E.EAGAIN;
    const n = this.#screen.read(buf, len);
    this.wakeAll();
    return n;
  }

  /** The master's write: typed input through the line discipline. */
  type(buf: Uint8Array, len: number): number {
    if (len === 0) return 0;
    const n = this.ldisc.receive(buf, len);
    return n > 0 ? n : -E.EAGAIN;
  }

  /** The slave's read: job control, then the line discipline; 0 once hung up. */
  readInput(buf: Uint8Array, len: number, flags: number): number {
    if (this.hungUp) return 0;
    const r = this.terminals.checkAccess(this, SIGTTIN);
    if (r < 0) return r;
    return this.ldisc.read(buf, len, (flags & O_NONBLOCK) !== 0);
  }

  /** The slave's write: job control with TOSTOP, then output processing into the screen's room. */
  writeOutput(buf: Uint8Array, len: number): number {
    if (this.hungUp) return -E.EIO;
    if (this.termios.lflag & TOSTOP) {
      const r = this.terminals.checkAccess(this, SIGTTOU);
      if (r < 0) return r;
    }
    if (len === 0) return 0;
    const room = SCREEN_BUFFER - this.#screen.size;
    if (this.ldisc.stopped || room <= 0) return -E.EAGAIN;
    const { taken, bytes } = this.ldisc.output(buf, len, room);
    if (taken === 0) return -E.EAGAIN;
    if (!this.#toScreen(bytes)) return -E.ENOMEM;
    this.wakeAll();
    return taken;
  }

  get screenRoom(): boolean {
    return !this.ldisc.stopped && this.#screen.size < SCREEN_BUFFER;
  }
}

/** A description of either side; its stat is the node it was opened through (/dev/ptmx, /dev/pts/N, /dev/tty). */
export abstract class TtyEnd extends StreamDescription {
  #closed = false;

  constructor(
    readonly pty: Pty,
    flags: number,
    private readonly node: () => Stat,
  ) {
    super(flags);
    pty.attach(this);
  }

  wake(): void {
    this.notify();
  }

  override stat(): Stat {
    return this.node();
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.pty.detach(this);
  }
}

export class PtyMaster extends TtyEnd {
  protected override readAt(buf: Uint8Array, len: number): number {
    return this.pty.readScreen(buf, len);
  }

  protected override writeAt(buf: Uint8Array, len: number): number {
    return this.pty.type(buf, len);
  }

  override pollReadyRead(): boolean {
    return this.pty.screenBytes > 0;
  }

  override pollReadyWrite(): boolean {
    return this.pty.ldisc.inputRoom() > 0;
  }

  override pollHangup(): boolean {
    return this.pty.slaveGone;
  }
}

export class PtySlave extends TtyEnd {
  /** A new description of the same terminal (reopening /proc/self/fd/N of one that has no path). */
  override reopen(flags: number): PtySlave | number {
    return this.pty.openSlave(flags, () => this.stat());
  }

  protected override readAt(buf: Uint8Array, len: number): number {
    return this.pty.readInput(buf, len, this.flags);
  }

  protected override writeAt(buf: Uint8Array, len: number): number {
    return this.pty.writeOutput(buf, len);
  }

  override pollReadyRead(): boolean {
    return this.pty.ldisc.hasInput;
  }

  override pollReadyWrite(): boolean {
    return this.pty.screenRoom;
  }

  /** Hung up: every event, as hung_up_tty_poll. */
  override readiness(): number {
    if (this.pty.hungUp) return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;
    return super.readiness();
  }
}

export function isTtyEnd(f: unknown): f is TtyEnd {
  return f instanceof TtyEnd;
}
