// Host descriptors Node has no call for (src/host-fds.cc): a host
// pseudo-terminal pair, and descriptors passed over unix sockets
// (SCM_RIGHTS). A container runtime built on tsv sends a terminal's master
// to the engine's --console-socket and hands a caller's stdio to the
// process holding a sandbox with them. Each descriptor made is
// close-on-exec and the caller's to close; each failure is a KvmError
// naming the call.
import { constants } from 'node:os';
import { native } from './binding.js';
import { check, KvmError } from './errors.js';

/** A new host pseudo-terminal: its master and its slave, the slave in raw mode (no echo, no editing, no output processing). */
export function openPty(): { master: number; slave: number } {
  const r = native.openpty();
  if (typeof r === 'number') throw new KvmError('openpty', -r);
  return { master: r[0], slave: r[1] };
}

/** A non-blocking unix stream socket listening at `path` (at most 107 bytes: a longer one is ENAMETOOLONG). */
export function unixListen(path: string): number {
  return check('listen', native.unixListen(path), path);
}

/**
 * The first message of the next connection waiting on `listener`, with the
 * descriptors it carried (now this process's); null when none waits or its
 * sender has not written yet. Never blocks; the connection is closed.
 */
export function unixAccept(listener: number): { data: Buffer; fds: number[] } | null {
  const r = native.unixAccept(listener);
  if (r === -constants.errno.EAGAIN) return null;
  if (typeof r === 'number') throw new KvmError('accept', -r);
  return r;
}

/**
 * Connects to the unix stream socket at `path`, sends `data` (not empty)
 * with copies of `fds` in one message, and closes the connection: what was
 * sent stays for the other end to read.
 */
export function unixSend(path: string, data: Uint8Array, fds: readonly number[] = []): void {
  check('sendmsg', native.unixSend(path, data, [...fds]), path);
}
