// A host descriptor the program reads, as a guest description: a regular
// file is the file itself (seekable, as `tsv run < file` gives it); a pipe,
// a FIFO, a terminal or anything else is a stream whose bytes this thread
// reads as they come and hands to the program (a read with nothing there
// waits, never blocking this thread). The descriptor stays the caller's: a
// pipe or terminal is read through a description of our own, opened
// through /proc/self/fd (non-blocking, which changes nothing for the other
// holders of the caller's), and stop() closes only that.
import { constants, createReadStream, fstatSync, openSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { isatty, ReadStream } from 'node:tty';
import { type FileDescription, HostFileInput, InputStream } from '@tsv/sentry';
import { SandboxError } from './sandbox-error.js';

/** The access mode bits of open(2) flags (Node exports no O_ACCMODE). */
const O_ACCMODE = 3;

export interface HostInput {
  description: FileDescription;
  /** Stops reading the host descriptor (the program then sees what was read so far, then EOF). */
  stop(): void;
}

/** `fd` as the program's input; `typed`: it is typed on a terminal, so even a regular file is streamed. */
export function hostInput(fd: number, typed = false): HostInput {
  let regular: boolean;
  try {
    regular = fstatSync(fd).isFile();
  } catch (e) {
    throw new SandboxError(`host descriptor ${fd}: ${(e as Error).message}`, 125);
  }
  if (regular && !typed) return { description: new HostFileInput(fd), stop: () => {} };
  const input = new InputStream(isatty(fd));
  const { source, own } = readable(fd);
  const onData = (chunk: Buffer) => input.push(new Uint8Array(chunk));
  const onEnd = () => input.end();
  source.on('data', onData);
  source.on('end', onEnd);
  source.on('error', onEnd);
  return {
    description: input,
    stop: () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.on('error', () => {}); // an error after this is nobody's
      // Our own description goes with the stream; the caller's descriptor is never closed here.
      if (own) source.destroy();
      else source.pause();
      input.end();
    },
  };
}

/** A stream of `fd`'s bytes; `own`: over a description of our own, which destroying the stream closes. */
function readable(fd: number): { source: Readable; own: boolean } {
  const st = fstatSync(fd);
  const tty = isatty(fd);
  if (st.isFIFO() || tty) {
    const own = openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    return { source: tty ? new ReadStream(own) : new Socket({ fd: own, readable: true, writable: false }), own: true };
  }
  // A socket or a device: read from the thread pool, on the caller's descriptor (destroying this stream would close it).
  return { source: createReadStream('', { fd, autoClose: false }), own: false };
}

/** Whether host descriptor `fd` is open for reading only (its flags in /proc/self/fdinfo). */
export function readsOnly(fd: number): boolean {
  try {
    const m = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m !== null && (Number.parseInt(m[1]!, 8) & O_ACCMODE) === constants.O_RDONLY;
  } catch {
    return false;
  }
}
