// Streams: descriptions with no offset (pipes, the standard streams, later
// sockets) whose reads and writes can find nothing to do.
//
// The blocking protocol: read/write return -EAGAIN when they would block.
// The syscall layer then, unless the description is O_NONBLOCK, waits for
// `changed()` and tries again. The stream calls `notify()` whenever data,
// space or an end arrives. Nothing here blocks the Node thread.
import { E } from '../errno.js';
import { FileDescription } from '../vfs/index.js';

export abstract class StreamDescription extends FileDescription {
  #waiters: (() => void)[] = [];

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

  /** poll(): the other end is gone (POLLHUP). */
  pollHangup(): boolean {
    return false;
  }

  /** Resolves at the next notify(). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Wakes everything waiting in changed(). */
  protected notify(): void {
    const w = this.#waiters;
    if (w.length === 0) return;
    this.#waiters = [];
    for (const resolve of w) resolve();
  }
}

export function isStream(f: FileDescription): f is StreamDescription {
  return f instanceof StreamDescription;
}
