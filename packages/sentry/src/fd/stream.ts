// Streams: descriptions with no offset (pipes, the standard streams, later
// sockets) whose reads and writes can find nothing to do.
//
// The blocking protocol: read/write return -EAGAIN when they would block.
// The syscall layer then, unless the description is O_NONBLOCK, parks the
// task watching the stream (`watch`) and tries again when it changes. The
// stream calls `notify()` whenever data, space or an end arrives. Nothing
// here blocks the Node thread.
import { E } from '../errno.js';
import { FileDescription } from '../vfs/index.js';

export abstract class StreamDescription extends FileDescription {
  #watchers = new Set<() => void>();

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

  /**
   * Calls `onChange` once, at the next notify(); the result forgets it
   * first (a wait that ended for another reason, such as a signal, leaves
   * nothing behind).
   */
  watch(onChange: () => void): () => void {
    const once = (): void => onChange();
    this.#watchers.add(once);
    return () => this.#watchers.delete(once);
  }

  /** Calls every watcher registered so far. */
  protected notify(): void {
    const w = this.#watchers;
    if (w.size === 0) return;
    this.#watchers = new Set();
    for (const onChange of w) onChange();
  }
}

export function isStream(f: FileDescription): f is StreamDescription {
  return f instanceof StreamDescription;
}
