// Pipes: a bounded byte queue with a read end and a write end, each its own
// description (so O_NONBLOCK and close are per end, as in Linux).
import { E } from '../errno.js';
import { O_DIRECT, O_RDONLY, O_WRONLY, S_IFIFO, type Stat } from '../vfs/index.js';
import { StreamDescription } from './stream.js';

/** Linux's default pipe capacity. */
export const PIPE_CAPACITY = 65536;
/** Writes up to this size are atomic. */
export const PIPE_BUF = 4096;
/** /proc/sys/fs/pipe-max-size: the largest capacity F_SETPIPE_SZ grants. */
export const PIPE_MAX_SIZE = 1 << 20;
const PAGE = 4096;

let nextIno = 1;

class PipeBuffer {
  readonly chunks: Uint8Array[] = [];
  size = 0;
  capacity = PIPE_CAPACITY;
  readers = 1;
  writers = 1;
  readonly ino = nextIno++;
  readonly ends: PipeEnd[] = [];

  notifyAll(): void {
    for (const e of this.ends) e.wake();
  }
}

export class PipeEnd extends StreamDescription {
  readonly #pipe: PipeBuffer;
  readonly #write: boolean;
  #closed = false;

  constructor(pipe: PipeBuffer, write: boolean, flags: number) {
    super((write ? O_WRONLY : O_RDONLY) | flags);
    this.#pipe = pipe;
    this.#write = write;
    pipe.ends.push(this);
  }

  wake(): void {
    this.notify();
  }

  get buffered(): number {
    return this.#pipe.size;
  }

  /** F_GETPIPE_SZ. */
  get capacity(): number {
    return this.#pipe.capacity;
  }

  /**
   * F_SETPIPE_SZ: rounds up to a power-of-two number of pages (at least one),
   * as Linux does; EPERM above pipe-max-size (1 MiB), EBUSY below what is
   * buffered. Returns the new capacity.
   */
  setCapacity(bytes: number): number {
    if (!(bytes >= 0)) return -E.EINVAL;
    let cap = PAGE;
    while (cap < bytes && cap <= PIPE_MAX_SIZE) cap *= 2;
    if (cap > PIPE_MAX_SIZE) return -E.EPERM;
    if (cap < this.#pipe.size) return -E.EBUSY;
    this.#pipe.capacity = cap;
    this.#pipe.notifyAll();
    return cap;
  }

  protected override readAt(buf: Uint8Array, len: number): number {
    const p = this.#pipe;
    if (len === 0) return 0;
    if (p.size === 0) return p.writers === 0 ? 0 : -E.EAGAIN;
    if ((this.flags & O_DIRECT) !== 0) return this.#readPacket(buf, len);
    let n = 0;
    while (n < len && p.chunks.length > 0) {
      const c = p.chunks[0]!;
      const take = Math.min(c.length, len - n);
      buf.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) p.chunks.shift();
      else p.chunks[0] = c.subarray(take);
    }
    p.size -= n;
    p.notifyAll();
    return n;
  }

  /** Packet mode (O_DIRECT): one write's bytes per read; what does not fit is discarded, as in Linux. */
  #readPacket(buf: Uint8Array, len: number): number {
    const p = this.#pipe;
    const c = p.chunks.shift()!;
    const n = Math.min(c.length, len);
    buf.set(c.subarray(0, n));
    p.size -= c.length;
    p.notifyAll();
    return n;
  }

  /** Returns -EPIPE when no reader is left (the caller raises SIGPIPE). */
  protected override writeAt(buf: Uint8Array, len: number): number {
    const p = this.#pipe;
    if (p.readers === 0) return -E.EPIPE;
    if (len === 0) return 0;
    const room = p.capacity - p.size;
    // Small writes are all or nothing; large ones may be partial.
    if (room === 0 || (len <= PIPE_BUF && room < len)) return -E.EAGAIN;
    const n = Math.min(room, len);
    // In packet mode each PIPE_BUF-sized piece is one packet.
    const piece = (this.flags & O_DIRECT) !== 0 ? PIPE_BUF : n;
    for (let at = 0; at < n; at += piece) p.chunks.push(buf.slice(at, Math.min(n, at + piece)));
    p.size += n;
    p.notifyAll();
    return n;
  }

  override pollReadyRead(): boolean {
    return !this.#write && (this.#pipe.size > 0 || this.#pipe.writers === 0);
  }

  override pollReadyWrite(): boolean {
    return this.#write && (this.#pipe.readers === 0 || this.#pipe.size < this.#pipe.capacity);
  }

  override pollHangup(): boolean {
    return this.#write ? this.#pipe.readers === 0 : this.#pipe.writers === 0;
  }

  override stat(): Stat | number {
    return {
      dev: 0xc, ino: this.#pipe.ino, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0,
      blksize: 4096, blocks: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0, ctimeSec: 0, ctimeNsec: 0,
    };
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#write) this.#pipe.writers--;
    else this.#pipe.readers--;
    this.#pipe.notifyAll();
  }
}

/** A new pipe: [read end, write end]. `flags` may carry O_NONBLOCK (and O_CLOEXEC, ignored here). */
export function newPipe(flags = 0): [PipeEnd, PipeEnd] {
  const p = new PipeBuffer();
  return [new PipeEnd(p, false, flags), new PipeEnd(p, true, flags)];
}
