// The sandbox's own terminal: a pty whose master side is held by the host
// (the caller's real terminal through tsv run, or a Sandbox's `pty`
// option), whose slave /dev/pts/0 is the program's standard streams and
// the controlling terminal of its session, its process group in the
// foreground. Bytes the host types go in through the line discipline as a
// keyboard's would; what the program writes (and the echoes) go out to the
// host's output as a screen's would. A resize is TIOCSWINSZ on the master:
// SIGWINCH for the foreground group.
import { E } from '../../errno.js';
import type { Task } from '../../kernel/task.js';
import { O_NOCTTY, O_RDWR, type Vfs } from '../../vfs/index.js';
import type { StreamDescription } from '../stream.js';
import type { PtyMaster, PtySlave } from './pty.js';
import type { Terminals } from './terminals.js';

/** A stop function for a pump. */
type Stop = () => void;

/**
 * Moves bytes from `from` to `to` as they come and as `to` takes them,
 * never blocking: it waits by watching whichever side must change. It
 * stops at the end of `from`, when `to` fails, or when stopped.
 */
function pump(from: StreamDescription, to: StreamDescription): Stop {
  const buf = new Uint8Array(4096);
  let pending: Uint8Array | null = null;
  let unwatch: Stop = () => {};
  let stopped = false;
  const step = (): void => {
    while (!stopped) {
      if (pending === null) {
        const n = from.read(buf, buf.length);
        if (n === -E.EAGAIN) {
          unwatch = from.watch(step);
          return;
        }
        if (n <= 0) return;
        pending = buf.slice(0, n);
      }
      const w = to.write(pending, pending.length);
      if (w === -E.EAGAIN) {
        unwatch = to.watch(step);
        return;
      }
      if (w < 0) return;
      pending = w < pending.length ? pending.subarray(w) : null;
    }
  };
  step();
  return () => {
    stopped = true;
    unwatch();
  };
}

export class HostTerminal {
  readonly #master: PtyMaster;
  readonly #stops: Stop[];

  /**
   * Makes the terminal for `init` (a session leader, before its program
   * starts), typed into from `input` and shown on `output`.
   */
  constructor(terminals: Terminals, init: Task, size: { cols: number; rows: number }, input: StreamDescription, output: StreamDescription) {
    const master = terminals.openMaster(O_RDWR, () => terminals.devpts.root().stat(), init.creds.uid);
    if (typeof master === 'number') throw new Error(`tsv: cannot make the sandbox's terminal (${master})`);
    this.#master = master;
    const pty = master.pty;
    pty.locked = false;
    pty.winsize = { rows: size.rows, cols: size.cols, xpixel: 0, ypixel: 0 };
    terminals.makeControlling(init, pty, false);
    this.#stops = [pump(input, master), pump(master, output)];
  }

  /**
   * A description of the slave for the program's standard streams (read
   * and write, as a login's), named /dev/pts/N in /proc/<pid>/fd.
   */
  openSlave(terminals: Terminals, vfs: Vfs): PtySlave {
    const pty = this.#master.pty;
    const s = pty.openSlave(O_RDWR | O_NOCTTY, terminals.slaveStat(pty));
    if (typeof s === 'number') throw new Error(`tsv: cannot open the sandbox's terminal (${s})`);
    const loc = vfs.resolve(`/dev/pts/${pty.index}`);
    if (typeof loc !== 'number') s.location = loc;
    return s;
  }

  /** The host's window changed size: SIGWINCH for the foreground process group when it differs. */
  resize(cols: number, rows: number): void {
    const w = this.#master.pty.winsize;
    this.#master.pty.resize({ ...w, cols, rows });
  }

  /** The sandbox ends: the pumps stop and the master closes. */
  close(): void {
    for (const stop of this.#stops) stop();
    this.#master.close();
  }
}
