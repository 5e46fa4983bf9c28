// The line discipline (Linux's N_TTY) between a terminal's two sides: what
// the keyboard side (a pty master, the host's terminal) types becomes the
// bytes the program reads, and what the program writes becomes the bytes
// the screen side gets.
//
// Input (receive): ISTRIP, IGNCR/ICRNL/INLCR, ISIG (INTR, QUIT, SUSP raise
// SIGINT, SIGQUIT, SIGTSTP in the foreground process group and flush unless
// NOFLSH), IXON (STOP/START suspend and resume output), and with ICANON
// line editing (ERASE, KILL, WERASE, LNEXT, REPRINT) until a line ends at
// NL, EOL, EOL2 or EOF; ECHO, ECHOE, ECHOK, ECHOKE, ECHOCTL, ECHONL.
// Reading: a canonical read returns at most one line (an EOF at the start
// of a line reads as 0); a raw read follows VMIN and VTIME as termios(3)
// tells. Output (write): OPOST with ONLCR, OCRNL, ONOCR, ONLRET and XTABS.
//
// The input waiting to be read is bounded by N_TTY_BUF_SIZE, as on Linux:
// past it a raw terminal takes no more (the writer waits), and a canonical
// line drops what it cannot hold except the character that ends it.
// Nothing here knows about processes; the terminal (pty.ts) supplies them.
import { E } from '../../errno.js';
import { monotonicNs } from '../../kernel/clock.js';
import { Deadline } from '../../kernel/deadline.js';
import {
  ECHO,
  ECHOCTL,
  ECHOE,
  ECHOK,
  ECHOKE,
  ECHONL,
  ICANON,
  ICRNL,
  IEXTEN,
  IGNCR,
  INLCR,
  ISIG,
  ISTRIP,
  IUTF8,
  IXANY,
  IXON,
  NOFLSH,
  OCRNL,
  ONLCR,
  ONLRET,
  ONOCR,
  OPOST,
  TABDLY,
  type Termios,
  VEOF,
  VEOL,
  VEOL2,
  VERASE,
  VINTR,
  VKILL,
  VLNEXT,
  VMIN,
  VQUIT,
  VREPRINT,
  VSTART,
  VSTOP,
  VSUSP,
  VTIME,
  VWERASE,
  XTABS,
} from './termios.js';

/** Linux's n_tty read buffer: input waiting to be read, a canonical line included. */
export const N_TTY_BUF_SIZE = 4096;

const SIGINT = 2;
const SIGQUIT = 3;
const SIGTSTP = 20;
const NL = 10;
const CR = 13;
const TAB = 9;
const DEL = 0x7f;

/** What the line discipline needs from its terminal. */
export interface LineHooks {
  /** Bytes for the screen side: echoes and processed output. */
  emit(bytes: Uint8Array): void;
  /** How many bytes the screen side can take now (an echo that does not fit is dropped). */
  emitRoom(): number;
  /** ISIG: a signal for the foreground process group (input already flushed when the terminal says so). */
  signal(sig: number): void;
  /** Flush the screen side's unread bytes (ISIG without NOFLSH). */
  flushOutput(): void;
  /** Something changed for readers or writers: input arrived, a VTIME timer ran out, output resumed. */
  wake(): void;
}

const isCntrl = (c: number): boolean => c < 0x20 || c === DEL;
const isSpace = (c: number): boolean => c === 0x20 || c === TAB;

export class LineDiscipline {
  termios: Termios;
  /** Input a read may take: complete lines in canonical mode, everything in raw mode. */
  readonly #queue: number[] = [];
  /** Canonical mode: where each complete line ends in #queue (an EOF at a line's start ends an empty one). */
  readonly #ends: number[] = [];
  /** Canonical mode: the line being edited. */
  #line: number[] = [];
  /** The next character is taken literally (LNEXT). */
  #literal = false;
  /** The screen side's column, for ONOCR and tab expansion. */
  #column = 0;
  /** IXON: output is suspended by STOP until START. */
  stopped = false;
  /** VTIME: the timer of a raw read, and whether it ran out. */
  #timer: Deadline | undefined;
  #timedOut = false;

  constructor(
    termios: Termios,
    private readonly hooks: LineHooks,
  ) {
    this.termios = termios;
  }

  get #canonical(): boolean {
    return (this.termios.lflag & ICANON) !== 0;
  }

  /** The control character at `i` when enabled (0 is _POSIX_VDISABLE). */
  #is(c: number, i: number): boolean {
    const v = this.termios.cc[i]!;
    return v !== 0 && v === c;
  }

  /** New settings (TCSETS*): leaving canonical mode makes the line being edited readable. */
  setTermios(t: Termios): void {
    const wasCanonical = this.#canonical;
    this.termios = t;
    if (wasCanonical && !this.#canonical) {
      this.#queue.push(...this.#line);
      this.#line = [];
      this.#ends.length = 0;
    }
    if ((t.iflag & IXON) === 0 && this.stopped) this.stopped = false;
    this.hooks.wake();
  }

  /** TCFLSH/TCIFLUSH, ISIG: drops the input not read yet. */
  flushInput(): void {
    this.#queue.length = 0;
    this.#ends.length = 0;
    this.#line = [];
    this.#literal = false;
    this.hooks.wake();
  }

  /** Bytes receive() takes now: in canonical mode, while complete lines leave room (the line being edited drops what it cannot hold). */
  inputRoom(): number {
    const used = this.#queue.length + (this.#canonical ? 0 : this.#line.length);
    return Math.max(0, N_TTY_BUF_SIZE - used);
  }

  /** FIONREAD: bytes a read could take now. */
  get readable(): number {
    return this.#canonical ? (this.#ends.at(-1) ?? 0) : this.#queue.length;
  }

  /** poll: would a read return at once (a line, or any byte in raw mode)? */
  get hasInput(): boolean {
    return this.#canonical ? this.#ends.length > 0 : this.#queue.length > 0;
  }

  /** Typed input: processes up to `len` bytes of `buf` within inputRoom() and returns how many. */
  receive(buf: Uint8Array, len: number): number {
    const n = Math.min(len, this.inputRoom());
    for (let i = 0; i < n; i++) this.#receiveOne(buf[i]!);
    if (n > 0) {
      if (this.#timer !== undefined && this.termios.cc[VMIN]! > 0) this.#armTimer(); // VTIME is an inter-byte timer once a byte came
      this.hooks.wake();
    }
    return n;
  }

  #receiveOne(byte: number): void {
    const t = this.termios;
    let c = t.iflag & ISTRIP ? byte & 0x7f : byte;
    if (this.#literal) {
      this.#literal = false;
      if (t.lflag & ECHO) this.#echoChar(c);
      this.#store(c);
      return;
    }
    if (c === CR) {
      if (t.iflag & IGNCR) return;
      if (t.iflag & ICRNL) c = NL;
    } else if (c === NL && t.iflag & INLCR) c = CR;
    if (t.lflag & ISIG) {
      const sig = this.#is(c, VINTR) ? SIGINT : this.#is(c, VQUIT) ? SIGQUIT : this.#is(c, VSUSP) ? SIGTSTP : 0;
      if (sig !== 0) {
        if ((t.lflag & NOFLSH) === 0) {
          this.flushInput();
          this.hooks.flushOutput();
        }
        this.stopped = false;
        if (t.lflag & ECHO) this.#echoChar(c);
        this.hooks.signal(sig);
        return;
      }
    }
    if (t.iflag & IXON) {
      if (this.#is(c, VSTOP)) {
        this.stopped = true;
        return;
      }
      if (this.#is(c, VSTART)) {
        this.#resume();
        return;
      }
      if (this.stopped && t.iflag & IXANY) this.#resume();
    }
    if (this.#canonical && this.#edit(c)) return;
    if (t.lflag & ECHO || (c === NL && this.#canonical && t.lflag & ECHONL)) this.#echoChar(c);
    this.#store(c);
  }

  #resume(): void {
    this.stopped = false;
    this.hooks.wake();
  }

  /** Canonical editing and line ends: true when `c` was consumed as one. */
  #edit(c: number): boolean {
    const t = this.termios;
    const iexten = (t.lflag & IEXTEN) !== 0;
    if (this.#is(c, VERASE) || this.#is(c, VKILL) || (iexten && this.#is(c, VWERASE))) {
      this.#erase(c);
      return true;
    }
    if (iexten && this.#is(c, VLNEXT)) {
      this.#literal = true;
      if (t.lflag & ECHO && t.lflag & ECHOCTL) this.#echo([0x5e, 8]); // '^' under the cursor until the next character
      return true;
    }
    if (iexten && this.#is(c, VREPRINT)) {
      if (t.lflag & ECHO) {
        this.#echoChar(c);
        this.#echo([NL]);
        for (const x of this.#line) this.#echoChar(x);
      }
      return true;
    }
    if (this.#is(c, VEOF)) {
      this.#commit();
      return true;
    }
    if (c === NL || this.#is(c, VEOL) || this.#is(c, VEOL2)) {
      if (t.lflag & ECHO || (c === NL && t.lflag & ECHONL)) this.#echoChar(c);
      this.#line.push(c);
      this.#commit();
      return true;
    }
    return false;
  }

  /** A character that is not an edit: into the line (canonical, while it has room) or the queue. */
  #store(c: number): void {
    if (!this.#canonical) {
      this.#queue.push(c);
      return;
    }
    if (this.#queue.length + this.#line.length < N_TTY_BUF_SIZE - 1) this.#line.push(c);
  }

  #commit(): void {
    this.#queue.push(...this.#line);
    this.#line = [];
    this.#ends.push(this.#queue.length);
  }

  /**
   * ERASE (one character), WERASE (a word and the blanks after it) or KILL
   * (the line). With ECHOE (ECHOKE too for KILL) the echo rubs the
   * characters out; otherwise the echo is the editing character itself
   * (and a newline after KILL with ECHOK).
   */
  #erase(c: number): void {
    const t = this.termios;
    const line = this.#line;
    if (line.length === 0) return;
    const kill = this.#is(c, VKILL);
    const word = !kill && !this.#is(c, VERASE);
    const echo = (t.lflag & ECHO) !== 0;
    const rubout = echo && (t.lflag & ECHOE) !== 0 && (!kill || (t.lflag & ECHOKE) !== 0);
    if (echo && !rubout) {
      this.#echoChar(c);
      if (kill && t.lflag & ECHOK) this.#echo([NL]);
    }
    let seenWord = false;
    while (line.length > 0) {
      const last = line.at(-1)!;
      if (word) {
        if (isSpace(last) && seenWord) break;
        if (!isSpace(last)) seenWord = true;
      }
      const gone = this.#dropLast();
      if (rubout) for (const x of gone) if (!(t.iflag & IUTF8 && (x & 0xc0) === 0x80)) this.#rubout(x);
      if (!kill && !word) break;
    }
  }

  /** Removes the last character of the line (a whole UTF-8 sequence with IUTF8) and returns its bytes. */
  #dropLast(): number[] {
    const line = this.#line;
    let start = line.length - 1;
    if (this.termios.iflag & IUTF8) while (start > 0 && (line[start]! & 0xc0) === 0x80) start--;
    return line.splice(start);
  }

  /** Erases one echoed character from the screen: a control character echoed as ^X takes two columns. */
  #rubout(c: number): void {
    const wide = isCntrl(c) && c !== TAB && this.termios.lflag & ECHOCTL;
    this.#echo(wide ? [8, 0x20, 8, 8, 0x20, 8] : [8, 0x20, 8]);
  }

  /** Echoes one input character: a control character as ^X with ECHOCTL (not TAB or NL). */
  #echoChar(c: number): void {
    if (isCntrl(c) && c !== TAB && c !== NL && this.termios.lflag & ECHOCTL) this.#echo([0x5e, c ^ 0x40]);
    else this.#echo([c]);
  }

  /** An echo goes through output processing; one the screen side has no room for is dropped. */
  #echo(bytes: number[]): void {
    const out = this.#process(Uint8Array.from(bytes), bytes.length, Infinity);
    if (out.bytes.length <= this.hooks.emitRoom()) this.hooks.emit(out.bytes);
  }

  /**
   * A read of up to `len` bytes into `buf`: a count (0 at an empty EOF
   * line, or when VMIN/VTIME say so) or -EAGAIN when it must wait; with
   * `nonblock` it never waits for VMIN/VTIME.
   */
  read(buf: Uint8Array, len: number, nonblock: boolean): number {
    if (this.#canonical) return this.#readLine(buf, len);
    const min = this.termios.cc[VMIN]!;
    const time = this.termios.cc[VTIME]!;
    const have = this.#queue.length;
    if (nonblock) return have > 0 ? this.#take(buf, len) : min === 0 && time === 0 ? 0 : -E.EAGAIN;
    if (have >= Math.max(1, Math.min(min, len)) || (min === 0 && time === 0)) return this.#take(buf, len);
    if (time === 0) return -E.EAGAIN;
    if (this.#timedOut) return this.#take(buf, len);
    // MIN 0: the timer runs from the read; MIN > 0: from the first byte, restarted by each one (receive).
    if (this.#timer === undefined && (min === 0 || have > 0)) this.#armTimer();
    return -E.EAGAIN;
  }

  #armTimer(): void {
    this.#timer?.cancel();
    const at = monotonicNs() + BigInt(this.termios.cc[VTIME]!) * 100_000_000n;
    this.#timer = new Deadline(at, () => {
      this.#timedOut = true;
      this.hooks.wake();
    });
  }

  #readLine(buf: Uint8Array, len: number): number {
    const end = this.#ends[0];
    if (end === undefined) return -E.EAGAIN;
    const n = Math.min(len, end);
    this.#shift(buf, n);
    if (n === end) this.#ends.shift();
    return n;
  }

  #take(buf: Uint8Array, len: number): number {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timedOut = false;
    const n = Math.min(len, this.#queue.length);
    this.#shift(buf, n);
    return n;
  }

  /** Moves the first `n` queued bytes into `buf`; line ends move with them. */
  #shift(buf: Uint8Array, n: number): void {
    const q = this.#queue;
    for (let i = 0; i < n; i++) buf[i] = q[i]!;
    q.splice(0, n);
    for (let i = 0; i < this.#ends.length; i++) this.#ends[i]! -= n;
    if (n > 0) this.hooks.wake();
  }

  /** Stops a VTIME timer (the terminal is going away). */
  close(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /**
   * The program's output: processes bytes of `buf` while their output fits
   * in `room` bytes; returns how many input bytes were taken and the bytes
   * for the screen side.
   */
  output(buf: Uint8Array, len: number, room: number): { taken: number; bytes: Uint8Array } {
    return this.#process(buf, len, room);
  }

  #process(buf: Uint8Array, len: number, room: number): { taken: number; bytes: Uint8Array } {
    const o = this.termios.oflag;
    if ((o & OPOST) === 0) {
      const n = Math.min(len, room);
      return { taken: n, bytes: buf.slice(0, n) };
    }
    const out: number[] = [];
    let taken = 0;
    for (; taken < len; taken++) {
      const c = buf[taken]!;
      const mark = out.length;
      let col = this.#column;
      if (c === NL && o & ONLCR) {
        out.push(CR, NL);
        col = 0;
      } else if (c === NL) {
        out.push(NL);
        if (o & ONLRET) col = 0;
      } else if (c === CR) {
        if (!(o & ONOCR && col === 0)) out.push(o & OCRNL ? NL : CR);
        if (!(o & OCRNL) || o & ONLRET) col = 0;
      } else if (c === TAB && (o & TABDLY) === XTABS) {
        const spaces = 8 - (col % 8);
        for (let i = 0; i < spaces; i++) out.push(0x20);
        col += spaces;
      } else {
        out.push(c);
        if (c === 8) col = Math.max(0, col - 1);
        else if (c === TAB) col += 8 - (col % 8);
        else if (!isCntrl(c) && (c & 0xc0) !== 0x80) col++;
      }
      if (out.length > room) {
        out.length = mark;
        break;
      }
      this.#column = col;
    }
    return { taken, bytes: Uint8Array.from(out) };
  }
}
