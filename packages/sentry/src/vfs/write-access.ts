// Who may write a regular file, as Linux's i_writecount: for each file
// (its device and inode number, so hard links and an overlay's copy-up are
// the same file) either the descriptions open for writing or the running
// program images that deny writing to it, never both. Opening a running
// program's file for writing (or truncating it) is ETXTBSY, and so is
// executing a file some description has open for writing.
//
// Counts: a description open for writing counts from its first descriptor
// until its final close (kernel/fdtable.ts hold/release); a process counts
// against the program it runs from its execve until it execs again or
// ends (kernel/task-exec.ts, task-clone.ts, task-exit.ts).
import type { Stat } from './stat.js';

export class WriteAccess {
  /** Per file: > 0 descriptions open for writing, < 0 program images; absent when 0. */
  readonly #counts = new Map<string, number>();

  /** The key of the file `st` describes. */
  static keyOf(st: Stat): string {
    return `${st.dev}:${st.ino}`;
  }

  /** A running program's file: opening it for writing is ETXTBSY. */
  denied(key: string): boolean {
    return (this.#counts.get(key) ?? 0) < 0;
  }

  /** Open for writing somewhere: executing it is ETXTBSY. */
  writing(key: string): boolean {
    return (this.#counts.get(key) ?? 0) > 0;
  }

  /** One more description writes `key` (the caller has checked denied()). */
  addWriter(key: string): void {
    this.#add(key, 1);
  }

  dropWriter(key: string): void {
    this.#add(key, -1);
  }

  /** One more process runs `key` (the caller has checked writing()). */
  addExecutor(key: string): void {
    this.#add(key, -1);
  }

  dropExecutor(key: string): void {
    this.#add(key, 1);
  }

  #add(key: string, delta: number): void {
    const n = (this.#counts.get(key) ?? 0) + delta;
    if (n === 0) this.#counts.delete(key);
    else this.#counts.set(key, n);
  }
}
