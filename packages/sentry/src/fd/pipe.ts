// Pipes: a bounded byte queue with a read end and a write end, each its own
// description (so O_NONBLOCK and close are per end, as in Linux). Reopening
// an end through /proc/<pid>/fd/N adds a description of either direction, or
// both (O_RDWR), as opening a FIFO does.
//
// Memory: the buffered bytes are charged to the sandbox's memory account
// (see pipe-queue.ts), and each pipe's own objects to it as PIPE_COST, so
// thousands of full pipes stay within --memory: past it, pipe2 fails with
// ENFILE and a write with ENOMEM, as on Linux under a memory cgroup. The
// capacity F_SETPIPE_SZ grants is not charged until bytes fill it.
import { E } from '../errno.js';
import type { MemoryAccount } from '../mm/account.js';
import { O_ACCMODE, O_DIRECT, O_RDONLY, O_WRONLY, objectStat, S_IFIFO, type Stat } from '../vfs/index.js';
import { PIPE_BUF, PipeQueue } from './pipe-queue.js';
import { StreamDescription } from './stream.js';

export { PIPE_BUF };
/** Linux's default pipe capacity. */
export const PIPE_CAPACITY = 65536;
/** /proc/sys/fs/pipe-max-size: the largest capacity F_SETPIPE_SZ grants. */
export const PIPE_MAX_SIZE = 1 << 20;
/** Host bytes charged per pipe besides its buffer: the pipe, its two descriptions and their table slots. */
export const PIPE_COST = 1024;
const PAGE = 4096;

let nextIno = 1;

class PipeBuffer {
  readonly queue: PipeQueue;
  capacity = PIPE_CAPACITY;
  readers = 0;
  writers = 0;
  readonly ino = nextIno++;
  readonly ends: PipeEnd[] = [];

  constructor(readonly account: MemoryAccount | null) {
    this.queue = new PipeQueue(account);
  }

  get size(): number {
    return this.queue.size;
  }

  /** Bytes a write may add now: within the capacity and, for packets, within its page slots (as Linux counts them). */
  room(packet: boolean): number {
    const bytes = this.capacity - this.queue.size;
    return packet ? Math.max(0, Math.min(bytes, (this.capacity / PAGE - this.queue.segments) * PIPE_BUF)) : bytes;
  }

  notifyAll(): void {
    for (const e of this.ends) e.wake();
  }
}

export class PipeEnd extends StreamDescription {
  readonly #pipe: PipeBuffer;
  readonly #reads: boolean;
  readonly #writes: boolean;
  #closed = false;

  /** `flags` carries the access mode: O_RDONLY, O_WRONLY or O_RDWR (both ends in one). */
  constructor(pipe: PipeBuffer, flags: number) {
    super(flags);
    this.#pipe = pipe;
    this.#reads = (flags & O_ACCMODE) !== O_WRONLY;
    this.#writes = (flags & O_ACCMODE) !== O_RDONLY;
    if (this.#reads) pipe.readers++;
    if (this.#writes) pipe.writers++;
    pipe.ends.push(this);
  }

  /** Access mode 3 (neither read nor write) is EINVAL, as fifo_open answers. */
  override reopen(flags: number): PipeEnd | number {
    return (flags & O_ACCMODE) === O_ACCMODE ? -E.EINVAL : new PipeEnd(this.#pipe, flags);
  }

  wake(): void {
    this.notify();
  }

  get buffered(): number {
    return this.#pipe.size;
  }

  /** Whether `other` is an end of the same pipe (splice and tee refuse a pipe to itself). */
  samePipe(other: PipeEnd): boolean {
    return other.#pipe === this.#pipe;
  }

  /**
   * tee's read: copies up to `len` buffered bytes into `buf` and leaves
   * them; 0 when the pipe is empty and has no writer, -EAGAIN when empty.
   */
  peek(buf: Uint8Array, len: number): number {
    const p = this.#pipe;
    if (!this.#reads) return -E.EBADF;
    if (p.size === 0) return p.writers === 0 ? 0 : -E.EAGAIN;
    return p.queue.peek(buf, len);
  }

  /** F_GETPIPE_SZ. */
  get capacity(): number {
    return this.#pipe.capacity;
  }

  /**
   * F_SETPIPE_SZ: rounds up to a power-of-two number of pages (at least one),
   * as Linux does; EPERM above pipe-max-size (1 MiB), EBUSY below what is
   * buffered (bytes, or page slots for packets). Returns the new capacity.
   */
  setCapacity(bytes: number): number {
    if (!(bytes >= 0)) return -E.EINVAL;
    let cap = PAGE;
    while (cap < bytes && cap <= PIPE_MAX_SIZE) cap *= 2;
    if (cap > PIPE_MAX_SIZE) return -E.EPERM;
    if (cap < this.#pipe.size || cap / PAGE < this.#pipe.queue.segments) return -E.EBUSY;
    this.#pipe.capacity = cap;
    this.#pipe.notifyAll();
    return cap;
  }

  protected override readAt(buf: Uint8Array, len: number): number {
    const p = this.#pipe;
    if (len === 0) return 0;
    if (p.size === 0) return p.writers === 0 ? 0 : -E.EAGAIN;
    const n = p.queue.read(buf, len);
    p.notifyAll();
    return n;
  }

  #packets(): boolean {
    return (this.flags & O_DIRECT) !== 0;
  }

  /**
   * Returns -EPIPE when no reader is left (the caller raises SIGPIPE), and
   * -ENOMEM when the sandbox's memory cannot hold another byte.
   */
  protected override writeAt(buf: Uint8Array, len: number): number {
    const p = this.#pipe;
    if (p.readers === 0) return -E.EPIPE;
    if (len === 0) return 0;
    const room = p.room(this.#packets());
    // Small writes are all or nothing; large ones may be partial.
    if (room === 0 || (len <= PIPE_BUF && room < len)) return -E.EAGAIN;
    const n = p.queue.push(buf, Math.min(room, len), this.#packets());
    if (n === 0) return -E.ENOMEM;
    p.notifyAll();
    return n;
  }

  // Readiness as Linux's pipe_poll: POLLIN while bytes are buffered (a read
  // end whose writers left is POLLHUP, with POLLIN only while data is
  // left), POLLOUT while there is room (a write end whose readers left is
  // POLLERR, with POLLOUT only while there is room).
  override pollReadyRead(): boolean {
    return this.#reads && this.#pipe.size > 0;
  }

  override pollReadyWrite(): boolean {
    return this.#writes && this.#pipe.room(this.#packets()) > 0;
  }

  override pollHangup(): boolean {
    return (this.#reads && this.#pipe.writers === 0) || (this.#writes && this.#pipe.readers === 0);
  }

  override stat(): Stat | number {
    return objectStat(0xc, this.#pipe.ino, S_IFIFO | 0o600);
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const p = this.#pipe;
    if (this.#reads) p.readers--;
    if (this.#writes) p.writers--;
    p.notifyAll();
    p.ends.splice(p.ends.indexOf(this), 1);
    if (p.ends.length > 0) return;
    p.queue.clear();
    p.account?.uncharge(PIPE_COST);
  }
}

/**
 * A new pipe: [read end, write end]. `flags` may carry O_NONBLOCK and
 * O_DIRECT (O_CLOEXEC is ignored here). With an `account`, the pipe and its
 * bytes are charged to it: ENFILE when it cannot take PIPE_COST more.
 */
export function newPipe(flags?: number): [PipeEnd, PipeEnd];
export function newPipe(flags: number, account: MemoryAccount | undefined): [PipeEnd, PipeEnd] | number;
export function newPipe(flags = 0, account?: MemoryAccount): [PipeEnd, PipeEnd] | number {
  if (account && !account.charge(PIPE_COST)) return -E.ENFILE;
  const p = new PipeBuffer(account ?? null);
  return [new PipeEnd(p, O_RDONLY | flags), new PipeEnd(p, O_WRONLY | flags)];
}
