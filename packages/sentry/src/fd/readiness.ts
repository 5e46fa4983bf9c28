// Readiness: the one mechanism poll, ppoll, select, pselect6 and epoll
// share. An object that can be waited on (Linux: a file whose f_op has
// ->poll) is Pollable: it tells the events it has now as a mask of POLL*
// bits (the EPOLL* bits are the same values) and calls its watchers when
// that may have changed. A waiter looks at the mask, and when it finds
// nothing, parks watching the object and looks again when woken
// (../kernel/wait-ready.ts): nobody polls in a loop.
//
// Objects without that (regular files, directories, most devices) are
// always readable and writable for poll and select, and epoll refuses them
// with EPERM, as Linux does.
import type { FileDescription } from '../vfs/index.js';

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLWRNORM = 0x100;
export const POLLRDHUP = 0x2000;
/** What an object without readiness reports: always readable and writable (DEFAULT_POLLMASK). */
export const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

/**
 * Something a task can wait on. `watch` calls `onChange` once, at the next
 * change (after the change, so `readiness()` already shows it); the result
 * forgets it first (a wait that ended for another reason leaves nothing
 * behind). A watcher that wants every change watches again when called.
 */
export interface Pollable {
  /** The POLL* events the object has now. */
  readiness(): number;
  watch(onChange: () => void): () => void;
}

export function isPollable(f: FileDescription): f is FileDescription & Pollable {
  const p = f as Partial<Pollable>;
  return typeof p.readiness === 'function' && typeof p.watch === 'function';
}

/** The events `f` has now (DEFAULT_POLLMASK for a file without readiness). */
export function readinessOf(f: FileDescription): number {
  return isPollable(f) ? f.readiness() : DEFAULT_POLLMASK;
}

/** The watchers of one Pollable: each is called once, at the next notify(). */
export class Watchers {
  #set = new Set<() => void>();

  /** Registers `onChange` for the next notify(); the result forgets it. */
  add(onChange: () => void): () => void {
    const once = (): void => onChange();
    this.#set.add(once);
    return () => this.#set.delete(once);
  }

  get size(): number {
    return this.#set.size;
  }

  /** Calls every watcher registered so far; those they register meanwhile wait for the next notify(). */
  notify(): void {
    const w = this.#set;
    if (w.size === 0) return;
    this.#set = new Set();
    for (const onChange of w) onChange();
  }
}
