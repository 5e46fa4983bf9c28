// Streams: descriptions with no offset (pipes, the standard streams, later
// sockets) whose reads and writes can find nothing to do.
//
// The blocking protocol: read/write return -EAGAIN when they would block.
// The syscall layer then, unless the description is O_NONBLOCK, parks the
// task watching the stream (`watch`) and tries again when it changes. The
// stream calls `notify()` whenever data, space or an end arrives. Nothing
// here blocks the Node thread.
//
// Every stream is Pollable (readiness.ts): its mask is built from
// pollReadyRead, pollReadyWrite and pollHangup.
import { E } from '../errno.js';
import { FileDescription } from '../vfs/index.js';
import { type Pollable, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, Watchers } from './readiness.js';

export abstract class StreamDescription extends FileDescription implements Pollable {
  readonly #watchers = new Watchers();

  protected override get seekable(): boolean {
    return false;
  }

  override lseek(): number {
    return -E.ESPIPE;
  }

  /** poll(): would a read not block? */
  pollReadyRead(): boolean {
    return false;
  }

  /** poll(): would a write not block? */
  pollReadyWrite(): boolean {
    return false;
  }

  /** poll(): the other end is gone: POLLERR for a write-only end, POLLHUP otherwise. */
  pollHangup(): boolean {
    return false;
  }

  readiness(): number {
    let m = 0;
    if (this.pollReadyRead()) m |= POLLIN | POLLRDNORM;
    if (this.pollReadyWrite()) m |= POLLOUT | POLLWRNORM;
    if (this.pollHangup()) m |= this.writable && !this.readable ? POLLERR : POLLHUP;
    return m;
  }

  /**
   * Calls `onChange` once, at the next notify(); the result forgets it
   * first (a wait that ended for another reason, such as a signal, leaves
   * nothing behind).
   */
  watch(onChange: () => void): () => void {
    return this.#watchers.add(onChange);
  }

  /** Calls every watcher registered so far. */
  protected notify(): void {
    this.#watchers.notify();
  }
}

export function isStream(f: FileDescription): f is StreamDescription {
  return f instanceof StreamDescription;
}
