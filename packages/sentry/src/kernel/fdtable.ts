// The descriptor table of a process: small integers -> open file
// descriptions, with the close-on-exec bit per descriptor (as Linux keeps
// FD_CLOEXEC in the table, not in the description).
import { E } from '../errno.js';
import { epollRelease } from '../fd/epoll/links.js';
import { type FileDescription, IN_CLOSE_NOWRITE, IN_CLOSE_WRITE } from '../vfs/index.js';
import { FdBitmap } from './fd-bitmap.js';

/** The default RLIMIT_NOFILE soft limit. */
export const DEFAULT_NOFILE = 1024;

export class FdTable {
  readonly #files: (FileDescription | undefined)[] = [];
  readonly #cloexec: boolean[] = [];
  /** The descriptors in use, for finding the lowest free one without a walk over the table. */
  readonly #used = new FdBitmap();
  /** No descriptor below this is free (Linux's next_fd): where a search from 0 starts. */
  #next = 0;
  /** RLIMIT_NOFILE: descriptors must be below it. */
  limit = DEFAULT_NOFILE;

  get(fd: number): FileDescription | undefined {
    return Number.isInteger(fd) && fd >= 0 ? this.#files[fd] : undefined;
  }

  cloexec(fd: number): boolean {
    return this.#cloexec[fd] === true;
  }

  setCloexec(fd: number, on: boolean): void {
    if (this.#files[fd] !== undefined) this.#cloexec[fd] = on;
  }

  /** The descriptor add() would take now: the lowest free one, or -EMFILE when none is below the limit. */
  lowestFree(min = 0): number {
    const fd = this.#used.lowestFree(Math.max(min, this.#next));
    if (min <= this.#next) this.#next = fd;
    return fd < this.limit ? fd : -E.EMFILE;
  }

  /** Installs `file` at the lowest free descriptor >= `min`; -EMFILE when none is below the limit. */
  add(file: FileDescription, cloexec = false, min = 0): number {
    if (min >= this.limit) return -E.EINVAL;
    const fd = this.lowestFree(Math.max(0, min));
    if (fd < 0) return fd;
    this.#install(fd, file, cloexec);
    return fd;
  }

  /** Installs `file` at exactly `fd`, closing what was there (dup2). */
  put(fd: number, file: FileDescription, cloexec = false): number {
    if (!Number.isInteger(fd) || fd < 0 || fd >= this.limit) return -E.EBADF;
    const old = this.#files[fd];
    this.#install(fd, file, cloexec);
    if (old !== undefined) release(old);
    return fd;
  }

  #install(fd: number, file: FileDescription, cloexec: boolean): void {
    hold(file);
    this.#files[fd] = file;
    this.#cloexec[fd] = cloexec;
    this.#used.add(fd);
  }

  /** Removes `fd`; the description is released when no descriptor refers to it any more. */
  close(fd: number): number {
    const f = this.get(fd);
    if (f === undefined) return -E.EBADF;
    this.#files[fd] = undefined;
    this.#cloexec[fd] = false;
    this.#used.delete(fd);
    if (fd < this.#next) this.#next = fd;
    return release(f);
  }

  /** Every open descriptor, ascending. */
  *entries(): IterableIterator<[number, FileDescription]> {
    for (let fd = 0; fd < this.#files.length; fd++) {
      const f = this.#files[fd];
      if (f !== undefined) yield [fd, f];
    }
  }

  /** A copy for a new process (fork without CLONE_FILES, or an exec that unshares): the same descriptions, flags and limit. */
  fork(): FdTable {
    const copy = new FdTable();
    copy.limit = this.limit;
    for (const [fd, f] of this.entries()) copy.put(fd, f, this.cloexec(fd));
    return copy;
  }

  /** execve: closes every close-on-exec descriptor. */
  closeOnExec(): void {
    for (const [fd] of [...this.entries()]) if (this.cloexec(fd)) this.close(fd);
  }

  closeAll(): void {
    for (const [fd] of [...this.entries()]) this.close(fd);
  }
}

// Descriptions are shared by dup'ed descriptors (and, later, by forked
// processes) and kept open by shared file mappings: count the references to
// each so that it is closed with the last one.
const refs = new WeakMap<FileDescription, number>();

/** Takes a reference to `f` (a descriptor, or a mapping that must outlive the descriptor); the first makes a writer count. */
export function hold(f: FileDescription): void {
  const n = refs.get(f) ?? 0;
  if (n === 0 && f.writer !== null) f.writer.access.addWriter(f.writer.key);
  refs.set(f, n + 1);
}

/** Drops a reference taken with hold(); the last one closes `f` (its error, or 0). */
export function release(f: FileDescription): number {
  const n = (refs.get(f) ?? 1) - 1;
  if (n > 0) {
    refs.set(f, n);
    return 0;
  }
  // Only a description hold() counted as a writer stops being one.
  if (refs.delete(f) && f.writer !== null) f.writer.access.dropWriter(f.writer.key);
  epollRelease(f); // it leaves every epoll set before it closes, as in Linux's __fput
  f.events?.closed(f, f.writable ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
  const r = f.close();
  return typeof r === 'number' && r < 0 ? r : 0;
}
