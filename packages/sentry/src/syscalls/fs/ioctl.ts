// ioctl: the few requests ordinary programs make of descriptors — a
// terminal's (./tty-ioctl.ts), terminal queries on standard streams that
// are the host's terminal (isatty, the window size), FIONREAD,
// close-on-exec and non-blocking switches; a socket's own requests are in
// ../socket-ioctl.ts. Everything else is ENOTTY.
import { isSocket } from '../../net/socket.js';
import { E } from '../../errno.js';
import { PipeEnd } from '../../fd/pipe.js';
import { isStream } from '../../fd/stream.js';
import { isTtyEnd } from '../../fd/tty/pty.js';
import { encodeTermios, encodeWinSize, ptyTermios, TERMIOS_SIZE } from '../../fd/tty/termios.js';
import type { SyscallArgs } from '../../kernel/args.js';
import { InputStream, OutputStream } from '../../kernel/stdio.js';
import type { Task } from '../../kernel/task.js';
import { writeU32 } from '../../kernel/usercopy.js';
import { type FileDescription, O_NONBLOCK, S_IFMT, S_IFREG } from '../../vfs/index.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import { socketInq, socketIoctl } from '../socket-ioctl.js';
import { fileOf } from './common.js';
import { ttyIoctl } from './tty-ioctl.js';

const TCGETS = 0x5401;
const TCSETS = 0x5402;
const TCSETSW = 0x5403;
const TCSETSF = 0x5404;
const TIOCGWINSZ = 0x5413;
const FIONREAD = 0x541b;
const FIONBIO = 0x5421;
const FIONCLEX = 0x5450;
const FIOCLEX = 0x5451;

/** What the host's terminal reports when a standard stream is it: a fresh pty's settings. */
const defaultTermios = (): Uint8Array => encodeTermios(ptyTermios());

function isTty(f: FileDescription): boolean {
  return (f instanceof InputStream || f instanceof OutputStream) && f.isTty;
}

/** Bytes a read would return now, or -ENOTTY for objects without that notion. */
function readable(f: FileDescription): number {
  if (f instanceof PipeEnd) return f.buffered;
  if (f instanceof InputStream) return f.available;
  if (isSocket(f)) return socketInq(f);
  if (isStream(f)) return -E.ENOTTY;
  const st = f.stat();
  if (typeof st === 'number') return st;
  if ((st.mode & S_IFMT) !== S_IFREG) return -E.ENOTTY;
  return Math.max(0, st.size - f.pos);
}

function ioctl(t: Task, a: SyscallArgs): number {
  const fd = a.int(0);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  const arg = a.ptr(2);
  const req = a.uint(1);
  if (isTtyEnd(f) && req !== FIOCLEX && req !== FIONCLEX && req !== FIONBIO) return ttyIoctl(t, f, req, a);
  switch (req) {
    case FIOCLEX:
      t.fds.setCloexec(fd, true);
      return 0;
    case FIONCLEX:
      t.fds.setCloexec(fd, false);
      return 0;
    case FIONBIO: {
      const b = new Uint8Array(4);
      if (arg <= 0 || t.mm.copyIn(arg, b) < 0) return -E.EFAULT;
      const on = new DataView(b.buffer).getInt32(0, true) !== 0;
      f.flags = on ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
      return 0;
    }
    case FIONREAD: {
      const n = readable(f);
      return n < 0 ? n : writeU32(t.mm, arg, Math.min(n, 0x7fff_ffff));
    }
    case TCGETS:
      if (!isTty(f)) return -E.ENOTTY;
      return arg <= 0 ? -E.EFAULT : t.mm.copyOut(arg, defaultTermios());
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
      // The host terminal's mode is the runner's: settings are accepted, not applied.
      if (!isTty(f)) return -E.ENOTTY;
      return arg <= 0 ? -E.EFAULT : t.mm.copyIn(arg, new Uint8Array(TERMIOS_SIZE));
    }
    case TIOCGWINSZ: {
      if (!isTty(f)) return -E.ENOTTY;
      return arg <= 0 ? -E.EFAULT : t.mm.copyOut(arg, encodeWinSize({ rows: 24, cols: 80, xpixel: 0, ypixel: 0 }));
    }
    default:
      return (isSocket(f) ? socketIoctl(t, f, a.uint(1), arg) : undefined) ?? -E.ENOTTY;
  }
}

export const IOCTL_SYSCALLS: readonly SyscallSpec[] = [['ioctl', ['fd', 'hex', 'hex'], ioctl]];
