// ioctl on a terminal (fd/tty): termios, the window size, the foreground
// process group and session, the controlling terminal, and a pty master's
// own requests (its number, the slave's lock, opening the slave), in
// Linux's order of checks. Requests on a master that concern the terminal
// (termios, window size, process groups) act on its slave, as on Linux.
import { E } from '../../errno.js';
import { SIGTTOU, type TtyEnd, PtyMaster, type Pty } from '../../fd/tty/pty.js';
import type { Terminals } from '../../fd/tty/terminals.js';
import { decodeTermios, decodeWinSize, encodeTermios, encodeWinSize, TERMIOS_SIZE, WINSIZE_SIZE } from '../../fd/tty/termios.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import { readU32, writeU32 } from '../../kernel/usercopy.js';
import { O_ACCMODE, O_CLOEXEC, O_NOCTTY, O_NONBLOCK } from '../../vfs/index.js';

const TCGETS = 0x5401;
const TCSETS = 0x5402;
const TCSETSW = 0x5403;
const TCSETSF = 0x5404;
const TCSBRK = 0x5409;
const TCXONC = 0x540a;
const TCFLSH = 0x540b;
const TIOCEXCL = 0x540c;
const TIOCNXCL = 0x540d;
const TIOCSCTTY = 0x540e;
const TIOCGPGRP = 0x540f;
const TIOCSPGRP = 0x5410;
const TIOCOUTQ = 0x5411;
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
const FIONREAD = 0x541b;
const TIOCNOTTY = 0x5422;
const TIOCSETD = 0x5423;
const TIOCGETD = 0x5424;
const TCSBRKP = 0x5425;
const TIOCGSID = 0x5429;
const TIOCGPTN = 0x80045430;
const TIOCSPTLCK = 0x40045431;
const TIOCGPTLCK = 0x80045439;
const TIOCGEXCL = 0x80045440;
const TIOCGPTPEER = 0x5441;

/** TCFLSH and TCXONC arguments. */
const TCIFLUSH = 0;
const TCOFLUSH = 1;
const TCIOFLUSH = 2;
const TCOOFF = 0;
const TCOON = 1;
const TCIOFF = 2;
const TCION = 3;
/** VSTOP and VSTART, sent by TCIOFF and TCION. */
const VSTOP = 9;
const VSTART = 8;

const putInt = (t: Task, addr: number, value: number): number => writeU32(t.mm, addr, value);

/** The int at `addr`, or null when it cannot be read. */
function getInt(t: Task, addr: number): number | null {
  const v = readU32(t.mm, addr);
  return v < 0 ? null : v | 0;
}

/** TCSETS, TCSETSW, TCSETSF: SIGTTOU from the background first, then the new settings (TCSETSF drops unread input). */
function setTermios(t: Task, pty: Pty, req: number, arg: number): number {
  const r = pty.terminals.checkAccess(pty, SIGTTOU);
  if (r < 0) return r;
  const b = new Uint8Array(TERMIOS_SIZE);
  if (arg <= 0 || t.mm.copyIn(arg, b) < 0) return -E.EFAULT;
  if (req === TCSETSF) pty.ldisc.flushInput();
  pty.ldisc.setTermios(decodeTermios(b));
  return 0;
}

/** TCFLSH: a master's input is what its slave wrote, and its output what it types. */
function flush(f: TtyEnd, which: number): number {
  if (which !== TCIFLUSH && which !== TCOFLUSH && which !== TCIOFLUSH) return -E.EINVAL;
  const master = f instanceof PtyMaster;
  const typed = which === TCIOFLUSH || (which === TCIFLUSH) !== master;
  const shown = which === TCIOFLUSH || (which === TCOFLUSH) !== master;
  if (typed) f.pty.ldisc.flushInput();
  if (shown) f.pty.flushScreen();
  return 0;
}

/** TCXONC: suspend or resume output, or type STOP or START. */
function flow(pty: Pty, action: number): number {
  const typeChar = (i: number): void => {
    const c = pty.termios.cc[i]!;
    if (c !== 0) pty.type(Uint8Array.of(c), 1);
  };
  if (action === TCOOFF) pty.ldisc.stopped = true;
  else if (action === TCOON) {
    pty.ldisc.stopped = false;
    pty.wakeAll();
  } else if (action === TCIOFF) typeChar(VSTOP);
  else if (action === TCION) typeChar(VSTART);
  else return -E.EINVAL;
  return 0;
}

/** TIOCGPTPEER: a new descriptor of the slave, opened without a path and never made controlling. */
function openPeer(t: Task, terms: Terminals, pty: Pty, flags: number): number {
  const allowed = O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
  if (flags & ~allowed) return -E.EINVAL;
  const s = pty.openSlave(flags & ~O_CLOEXEC, terms.slaveStat(pty));
  if (typeof s === 'number') return s;
  const fd = t.fds.add(s, (flags & O_CLOEXEC) !== 0);
  if (fd < 0) s.close();
  return fd;
}

/** The request `req` on terminal `f`: a result, or -ENOTTY for one terminals do not have. */
export function ttyIoctl(t: Task, f: TtyEnd, req: number, a: SyscallArgs): number {
  const pty = f.pty;
  const terms = pty.terminals;
  const master = f instanceof PtyMaster;
  const arg = a.ptr(2);
  /** The slave side asks as the caller's controlling terminal; the master side needs not. */
  const mine = master || terms.controlling(t) === pty;
  switch (req) {
    case TCGETS:
      return arg <= 0 ? -E.EFAULT : t.mm.copyOut(arg, encodeTermios(pty.termios));
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
      return setTermios(t, pty, req, arg);
    case TIOCGWINSZ:
      return arg <= 0 ? -E.EFAULT : t.mm.copyOut(arg, encodeWinSize(pty.winsize));
    case TIOCSWINSZ: {
      const b = new Uint8Array(WINSIZE_SIZE);
      if (arg <= 0 || t.mm.copyIn(arg, b) < 0) return -E.EFAULT;
      pty.resize(decodeWinSize(b));
      return 0;
    }
    case FIONREAD:
      return putInt(t, arg, master ? pty.screenBytes : pty.ldisc.readable);
    case TIOCOUTQ:
      return putInt(t, arg, 0);
    case TCSBRK:
    case TCSBRKP:
      return 0;
    case TCFLSH:
      return flush(f, a.int(2));
    case TCXONC:
      return flow(pty, a.int(2));
    case TIOCEXCL:
    case TIOCNXCL:
      return 0;
    case TIOCGEXCL:
      return putInt(t, arg, 0);
    case TIOCGETD:
      return putInt(t, arg, 0);
    case TIOCSETD: {
      const d = getInt(t, arg);
      return d === null ? -E.EFAULT : d === 0 ? 0 : -E.EINVAL;
    }
    case TIOCGPGRP:
      return mine ? putInt(t, arg, pty.pgrp) : -E.ENOTTY;
    case TIOCGSID:
      return mine && pty.session !== 0 ? putInt(t, arg, pty.session) : -E.ENOTTY;
    case TIOCSPGRP: {
      const r = terms.setForeground(t, pty, () => getInt(t, arg));
      return r === -E.EIO ? -E.ENOTTY : r;
    }
    case TIOCSCTTY:
      if (!f.readable && t.creds.euid !== 0) return -E.EPERM;
      return terms.makeControlling(t, pty, a.int(2) === 1);
    case TIOCNOTTY:
      return master ? -E.ENOTTY : terms.giveUp(t, pty);
    case TIOCGPTN:
      return master ? putInt(t, arg, pty.index) : -E.ENOTTY;
    case TIOCGPTLCK:
      return master ? putInt(t, arg, pty.locked ? 1 : 0) : -E.ENOTTY;
    case TIOCSPTLCK: {
      if (!master) return -E.ENOTTY;
      const v = getInt(t, arg);
      if (v === null) return -E.EFAULT;
      pty.locked = v !== 0;
      return 0;
    }
    case TIOCGPTPEER:
      return master ? openPeer(t, terms, pty, a.int(2)) : -E.ENOTTY;
    default:
      return -E.ENOTTY;
  }
}
