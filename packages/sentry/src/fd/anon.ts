// Files on Linux's anonymous inode (eventfd, epoll, later timerfd and
// signalfd): every one shares a single inode whose mode is 0600 with no
// file type bits, and /proc/<pid>/fd shows it as anon_inode:[name]. Like
// Linux's noop_llseek, lseek leaves the offset at 0 and returns it, while
// pread and pwrite are ESPIPE.
import { FileDescription, O_RDWR, objectStat, type Stat } from '../vfs/index.js';
import { StreamDescription } from './stream.js';

/** The device and inode every anonymous file reports. */
const ANON_DEV = 0xe;
const ANON_INO = 1;

export function anonStat(): Stat {
  return objectStat(ANON_DEV, ANON_INO, 0o600);
}

/** A description with a name in /proc/<pid>/fd (anon_inode:[eventfd]). */
export interface AnonFile {
  /** The bracketed name: `[eventfd]`, `[eventpoll]`. */
  readonly anonName: string;
  /** The lines Linux adds to /proc/<pid>/fdinfo for this kind of file (after ino), each ending in a newline. */
  fdinfo?(): string;
}

export function isAnonFile(f: FileDescription): f is FileDescription & AnonFile {
  return typeof (f as Partial<AnonFile>).anonName === 'string';
}

/** An anonymous file that neither reads nor writes (epoll): read and write are EINVAL, as for a file without those operations. */
export abstract class AnonDescription extends FileDescription implements AnonFile {
  abstract readonly anonName: string;

  constructor(flags = O_RDWR) {
    super(flags);
  }

  protected override get seekable(): boolean {
    return false;
  }

  override lseek(): number {
    return this.pos;
  }

  override stat(): Stat {
    return anonStat();
  }
}

/**
 * An anonymous file that reads, and maybe writes, like a stream (eventfd,
 * timerfd, signalfd, inotify): lseek leaves the offset at 0, every one
 * stats as the anonymous inode, and what it holds (a memory charge, a host
 * timer, watches) goes back once, at the first close.
 */
export abstract class AnonStream extends StreamDescription implements AnonFile {
  abstract readonly anonName: string;
  #closed = false;

  /** Whether close() has run: a closed file arms nothing new. */
  protected get closed(): boolean {
    return this.#closed;
  }

  override lseek(): number {
    return this.pos;
  }

  override stat(): Stat {
    return anonStat();
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.release();
  }

  /** Gives back what the file holds; called once, by the first close(). */
  protected abstract release(): void;
}
