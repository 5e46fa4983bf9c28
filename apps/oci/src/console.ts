// --console-socket: a container whose process has `terminal: true` gets a
// host pseudo-terminal, whose master goes to the engine over the unix
// socket it names (SCM_RIGHTS, as runc sends it) and whose slave is the
// stdio of the process standing for the program; the sandbox's own
// terminal (the Sentry's pty, /dev/pts/N inside) is bridged to that slave,
// so the line discipline, echo and job control are the sandbox's and the
// host pty only carries bytes (its slave is raw).
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { withSocketName } from './control.js';
import { CommandError } from './lifecycle.js';

/**
 * @tsv/kvm-sys, loaded when a command needs it: the others start without its
 * addon (some 20 ms). By require, which the commands' bundle has (it runs
 * through vm.Script, where a dynamic import() has no loader).
 */
export const kvmSys = (): typeof import('@tsv/kvm-sys') => createRequire(import.meta.url)('@tsv/kvm-sys');

/** The size a terminal starts with when process.consoleSize gives none (the engine resizes the master later). */
export const DEFAULT_CONSOLE = { cols: 80, rows: 24 };

/** Whether --console-socket and process.terminal agree, as runc requires; `detach`: the command returns at once. */
export function checkConsole(terminal: boolean, socket: string | undefined, detach: boolean): void {
  if (terminal && socket === undefined && detach)
    throw new CommandError('cannot allocate tty if runc will detach without setting console socket');
  if (terminal && socket === undefined)
    throw new CommandError('process.terminal needs --console-socket (tsv-oci does not proxy a terminal of its own)');
  if (!terminal && socket !== undefined) throw new CommandError('cannot use console socket if runc will not detach or allocate tty');
}

/** Makes the host pty, sends its master to `socket` and returns the slave (the caller's to close). */
export async function consoleFor(socket: string): Promise<number> {
  const { openPty, unixSend } = kvmSys();
  let pty: { master: number; slave: number };
  try {
    pty = openPty();
  } catch (e) {
    throw new CommandError(`--console-socket: ${(e as Error).message}`);
  }
  try {
    await withSocketName(socket, async (name) => unixSend(name, Buffer.from('/dev/ptmx'), [pty.master]));
  } catch (e) {
    closeSync(pty.slave);
    throw new CommandError(`--console-socket ${socket}: ${(e as Error).message}`);
  } finally {
    closeSync(pty.master);
  }
  return pty.slave;
}
