// Terminals for the program. With the Sandbox option `pty` the program's
// stdin, stdout (and stderr unless that option is given) are a terminal of
// the Sentry's (a pseudo-terminal, /dev/pts/0, the controlling terminal of
// its session): what the caller passes as stdin is typed on it, what the
// program writes and the echoes are its screen, delivered as the Sandbox's
// stdout; Sandbox.resize() changes its size (SIGWINCH). A web terminal runs
// an interactive shell this way.
//
// `tsv run` from a terminal (stdin and stdout both one) does the same with
// the caller's real terminal: raw mode (no output processing either), so
// every key reaches the program's
// line discipline as it would on a real terminal (Ctrl-C is the byte the
// pty turns into SIGINT for the foreground process group), the real size,
// a resize passed on, and the real terminal's mode restored when tsv ends
// however it ends (an error, a signal tsv does not forward), SIGKILL aside.
import { spawnSync } from 'node:child_process';
import type { ReadStream, WriteStream } from 'node:tty';
import { SandboxError } from './sandbox-error.js';

/** A terminal's size in character cells. */
export interface PtySize {
  cols: number;
  rows: number;
}

/** Checks a size given to `pty` or resize(): whole numbers from 1 to 65535 (struct winsize holds 16 bits). */
export function checkPtySize(size: PtySize, what = 'pty'): PtySize {
  for (const [name, v] of [
    ['cols', size.cols],
    ['rows', size.rows],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 0xffff)
      throw new SandboxError(`${what}: ${name} must be an integer from 1 to 65535, got ${v}`, 2);
  }
  return { cols: size.cols, rows: size.rows };
}

/** This process's terminal, lent to the program for one run. */
export interface HostTerminalLease {
  /**
   * The Sandbox options that give the program a terminal of that size;
   * stderr is this process's where that is not the terminal (undefined: the terminal).
   */
  readonly options: { pty: PtySize; stderr: 'inherit' | undefined };
  /** Passes the terminal's resizes on until release(). */
  follow(resize: (cols: number, rows: number) => void): void;
  /** The terminal's mode as it was; idempotent. */
  release(): void;
}

/**
 * When this process's stdin and stdout are a terminal: puts it in raw mode
 * and returns the lease (released at exit at the latest); otherwise undefined.
 */
export function leaseHostTerminal(): HostTerminalLease | undefined {
  const input = process.stdin as ReadStream;
  const output = process.stdout as WriteStream;
  if (input.isTTY !== true || output.isTTY !== true) return undefined;
  input.setRawMode(true);
  // libuv's raw mode keeps OPOST|ONLCR; the program's terminal does its output processing, so the real one must
  // pass bytes as they are (as ssh -t does). setRawMode(false) restores the mode libuv saved, OPOST with it.
  spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  let onResize: (() => void) | undefined;
  const release = (): void => {
    process.off('exit', release);
    if (onResize !== undefined) output.off('resize', onResize);
    onResize = undefined;
    if (input.isRaw) input.setRawMode(false);
  };
  process.on('exit', release);
  return {
    options: {
      pty: { cols: output.columns || 80, rows: output.rows || 24 },
      stderr: process.stderr.isTTY ? undefined : 'inherit',
    },
    follow(resize) {
      onResize = () => resize(output.columns, output.rows);
      output.on('resize', onResize);
    },
    release,
  };
}
