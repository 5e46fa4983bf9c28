import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { LineDiscipline, N_TTY_BUF_SIZE } from './ldisc.js';
import { ECHO, ICANON, ISIG, NOFLSH, OPOST, ptyTermios, VMIN, VTIME } from './termios.js';

const enc = (s: string) => Buffer.from(s, 'latin1');
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

let ld: LineDiscipline | undefined;
afterEach(() => ld?.close());

function make(change: (t: ReturnType<typeof ptyTermios>) => void = () => {}) {
  const screen: string[] = [];
  const signals: number[] = [];
  let onWake: (() => void) | undefined;
  const t = ptyTermios();
  change(t);
  ld = new LineDiscipline(t, {
    emit: (b) => screen.push(text(b)),
    emitRoom: () => 1 << 20,
    signal: (sig) => signals.push(sig),
    flushOutput: () => screen.splice(0),
    wake: () => onWake?.(),
  });
  const l = ld;
  const type = (s: string) => l.receive(enc(s), s.length);
  const read = (len = 100, nonblock = false) => {
    const b = new Uint8Array(len);
    const n = l.read(b, len, nonblock);
    return n < 0 ? n : text(b.subarray(0, n));
  };
  /** Resolves at the next wake (a VTIME timer running out). */
  const woken = () => new Promise<void>((resolve) => (onWake = resolve));
  return { l, type, read, screen: () => screen.splice(0).join(''), signals, woken };
}

describe('line discipline, canonical', () => {
  it('reads one line at a time once it ends, editing and echoing as Linux does', () => {
    const { type, read, screen } = make();
    type('ab');
    expect(read()).toBe(-E.EAGAIN);
    type('\x7fc\rone\ntwo\n');
    expect(read()).toBe('ac\n');
    expect(read(2)).toBe('on');
    expect(read()).toBe('e\n');
    expect(read()).toBe('two\n');
    expect(screen()).toBe('ab\b \bc\r\none\r\ntwo\r\n');
    type('junk\x15ok\x17x\n');
    expect(read()).toBe('x\n');
    expect(screen()).toBe('junk\b \b\b \b\b \b\b \bok\b \b\b \bx\r\n');
  });

  it('EOF ends a line without itself; at a line start it reads as 0', () => {
    const { type, read, screen } = make();
    type('xy\x04\x04');
    expect(read()).toBe('xy');
    expect(read()).toBe('');
    expect(read()).toBe(-E.EAGAIN);
    expect(screen()).toBe('xy');
  });

  it('echoes control characters as ^X and takes the next one literally after ^V', () => {
    const { type, read, screen } = make();
    type('\x01\x16\x03\n');
    expect(read()).toBe('\x01\x03\n');
    expect(screen()).toBe('^A^\b^C\r\n');
  });

  it('ISIG: ^C, ^\\ and ^Z signal the foreground group and flush, unless NOFLSH', () => {
    const a = make();
    a.type('half');
    a.type('\x03\x1c\x1a');
    expect(a.signals).toEqual([2, 3, 20]);
    a.type('\n');
    expect(a.read()).toBe('\n');
    const b = make((t) => {
      t.lflag |= NOFLSH;
    });
    b.type('half\x03\n');
    expect(b.read()).toBe('half\n');
    const c = make((t) => {
      t.lflag &= ~ISIG;
    });
    c.type('\x03\n');
    expect(c.signals).toEqual([]);
    expect(c.read()).toBe('\x03\n');
  });

  it('a line holds at most N_TTY_BUF_SIZE - 1 characters; the newline still ends it', () => {
    const { type, read, l } = make((t) => {
      t.lflag &= ~ECHO;
    });
    expect(type('x'.repeat(N_TTY_BUF_SIZE + 10))).toBe(N_TTY_BUF_SIZE);
    type('\n');
    const got = read(N_TTY_BUF_SIZE + 10);
    expect(typeof got === 'string' && got.length).toBe(N_TTY_BUF_SIZE);
    expect(l.inputRoom()).toBe(N_TTY_BUF_SIZE);
  });

  it('leaving canonical mode makes the line being edited readable', () => {
    const { l, type, read } = make();
    type('abc');
    const t = ptyTermios();
    t.lflag &= ~ICANON;
    l.setTermios(t);
    expect(read()).toBe('abc');
  });
});

describe('line discipline, raw', () => {
  const raw = (min: number, time: number) =>
    make((t) => {
      t.lflag &= ~(ICANON | ECHO | ISIG);
      t.cc[VMIN] = min;
      t.cc[VTIME] = time;
    });

  it('VMIN 0 VTIME 0 returns what there is, 0 for nothing; VMIN n waits for n bytes', () => {
    const a = raw(0, 0);
    expect(a.read()).toBe('');
    a.type('\r');
    expect(a.read()).toBe('\n');
    const b = raw(3, 0);
    b.type('ab');
    expect(b.read()).toBe(-E.EAGAIN);
    expect(b.read(2)).toBe('ab'); // a smaller request needs only its own length
    b.type('cd');
    expect(b.read(10, true)).toBe('cd');
    expect(b.read(10, true)).toBe(-E.EAGAIN);
    expect(b.l.inputRoom()).toBe(N_TTY_BUF_SIZE);
    expect(b.type('z'.repeat(N_TTY_BUF_SIZE + 1))).toBe(N_TTY_BUF_SIZE);
    expect(b.l.inputRoom()).toBe(0);
  });

  it('VTIME: a read with VMIN 0 gives 0 when the timer runs out, and wakes its waiter', async () => {
    const a = raw(0, 1);
    const woken = a.woken();
    const start = performance.now();
    expect(a.read()).toBe(-E.EAGAIN);
    await woken;
    expect(performance.now() - start).toBeGreaterThanOrEqual(99);
    expect(a.read()).toBe('');
  });

  it('VTIME with VMIN: after the first byte, the gap ends the read with what came', async () => {
    const a = raw(5, 1);
    expect(a.read()).toBe(-E.EAGAIN);
    a.type('x');
    const woken = a.woken();
    expect(a.read()).toBe(-E.EAGAIN);
    await woken;
    expect(a.read()).toBe('x');
  });
});

describe('line discipline, output', () => {
  it('OPOST|ONLCR turns NL into CR NL within the room given; without OPOST bytes pass as they are', () => {
    const { l } = make();
    expect(text(l.output(enc('a\nb'), 3, 100).bytes)).toBe('a\r\nb');
    const short = l.output(enc('\n\n'), 2, 3);
    expect(short.taken).toBe(1);
    expect(text(short.bytes)).toBe('\r\n');
    const t = ptyTermios();
    t.oflag &= ~OPOST;
    l.setTermios(t);
    expect(text(l.output(enc('a\n'), 2, 100).bytes)).toBe('a\n');
  });

  it('IXON: ^S stops output until ^Q', () => {
    const { l, type } = make();
    type('\x13');
    expect(l.stopped).toBe(true);
    type('\x11');
    expect(l.stopped).toBe(false);
  });
});
