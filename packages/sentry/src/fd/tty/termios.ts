// struct termios and struct winsize as the x86-64 kernel lays them out
// (TCGETS/TCSETS take the kernel's 36-byte termios, not glibc's 60-byte
// one), the flag bits the line discipline honours, and the settings of a
// fresh pseudo-terminal.

/** c_iflag */
export const ISTRIP = 0o40;
export const INLCR = 0o100;
export const IGNCR = 0o200;
export const ICRNL = 0o400;
export const IXON = 0o2000;
export const IXANY = 0o4000;
export const IUTF8 = 0o40000;
/** c_oflag */
export const OPOST = 0o1;
export const ONLCR = 0o4;
export const OCRNL = 0o10;
export const ONOCR = 0o20;
export const ONLRET = 0o40;
export const TABDLY = 0o14000;
export const XTABS = 0o14000;
/** c_lflag */
export const ISIG = 0o1;
export const ICANON = 0o2;
export const ECHO = 0o10;
export const ECHOE = 0o20;
export const ECHOK = 0o40;
export const ECHONL = 0o100;
export const NOFLSH = 0o200;
export const TOSTOP = 0o400;
export const ECHOCTL = 0o1000;
export const ECHOKE = 0o4000;
export const IEXTEN = 0o100000;

/** c_cc indexes. */
export const VINTR = 0;
export const VQUIT = 1;
export const VERASE = 2;
export const VKILL = 3;
export const VEOF = 4;
export const VTIME = 5;
export const VMIN = 6;
export const VSTART = 8;
export const VSTOP = 9;
export const VSUSP = 10;
export const VEOL = 11;
export const VREPRINT = 12;
export const VWERASE = 14;
export const VLNEXT = 15;
export const VEOL2 = 16;
export const NCCS = 19;

export const TERMIOS_SIZE = 36;
export const WINSIZE_SIZE = 8;

export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  line: number;
  /** NCCS control characters; 0 (_POSIX_VDISABLE) disables one. */
  cc: Uint8Array;
}

/** Rows, columns and the pixel sizes nobody uses, as TIOCGWINSZ reports them. */
export interface WinSize {
  rows: number;
  cols: number;
  xpixel: number;
  ypixel: number;
}

/**
 * A new pseudo-terminal's settings, as Linux's pty driver gives them:
 * ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD, ISIG|ICANON|ECHO|ECHOE|ECHOK|
 * ECHOCTL|ECHOKE|IEXTEN, and ^C ^\ DEL ^U ^D, VTIME 0, VMIN 1, ^Q ^S ^Z,
 * ^R ^O ^W ^V.
 */
export function ptyTermios(): Termios {
  const cc = new Uint8Array(NCCS);
  cc.set([3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0]);
  return { iflag: 0o2400, oflag: 0o5, cflag: 0o277, lflag: 0o105073, line: 0, cc };
}

export function encodeTermios(t: Termios): Uint8Array {
  const b = new Uint8Array(TERMIOS_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, t.iflag, true);
  v.setUint32(4, t.oflag, true);
  v.setUint32(8, t.cflag, true);
  v.setUint32(12, t.lflag, true);
  b[16] = t.line;
  b.set(t.cc, 17);
  return b;
}

export function decodeTermios(b: Uint8Array): Termios {
  const v = new DataView(b.buffer, b.byteOffset, TERMIOS_SIZE);
  return {
    iflag: v.getUint32(0, true),
    oflag: v.getUint32(4, true),
    cflag: v.getUint32(8, true),
    lflag: v.getUint32(12, true),
    line: b[16]!,
    cc: b.slice(17, 17 + NCCS),
  };
}

export function encodeWinSize(w: WinSize): Uint8Array {
  const b = new Uint8Array(WINSIZE_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, w.rows, true);
  v.setUint16(2, w.cols, true);
  v.setUint16(4, w.xpixel, true);
  v.setUint16(6, w.ypixel, true);
  return b;
}

export function decodeWinSize(b: Uint8Array): WinSize {
  const v = new DataView(b.buffer, b.byteOffset, WINSIZE_SIZE);
  return { rows: v.getUint16(0, true), cols: v.getUint16(2, true), xpixel: v.getUint16(4, true), ypixel: v.getUint16(6, true) };
}
