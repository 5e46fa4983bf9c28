// The bytes a pipe holds: segments of whole pages, each charged to the
// sandbox's memory account while it holds unread bytes, as Linux charges
// pipe pages to the writer's memory cgroup. A small write fills the last
// page before a new one is taken, so a pipe occupies about its capacity
// plus a page however the writer splits its data; a large write takes
// segments of at most SEGMENT bytes, so a full account stops it part way.
import type { MemoryAccount } from '../mm/account.js';

const PAGE = 4096;
/** Writes up to this size are atomic; an O_DIRECT write is cut into packets of this size. */
export const PIPE_BUF = 4096;
/** Largest segment a write allocates at once. */
const SEGMENT = 64 << 10;

interface Segment {
  readonly data: Uint8Array;
  /** Unread bytes are data[start, end). */
  start: number;
  end: number;
  /** One O_DIRECT write: read alone, the rest of it discarded. */
  readonly packet: boolean;
}

export class PipeQueue {
  readonly #segs: Segment[] = [];
  readonly #account: MemoryAccount | null;
  /** Unread bytes. */
  size = 0;

  constructor(account: MemoryAccount | null) {
    this.#account = account;
  }

  /** Segments held: in packet mode each is one of the pipe's page slots. */
  get segments(): number {
    return this.#segs.length;
  }

  /**
   * Appends up to `len` bytes of `buf`: as packets of PIPE_BUF bytes, or
   * into the last page's room (all of an atomic write, or none) and new
   * segments. Returns the count appended, short (maybe 0) when the account
   * cannot take another segment; a write of at most PIPE_BUF is all or none.
   */
  push(buf: Uint8Array, len: number, packet: boolean): number {
    let done = 0;
    const tail = this.#segs.at(-1);
    const spare = tail && !tail.packet && !packet ? tail.data.length - tail.end : 0;
    if (spare > 0 && (len <= spare || len > PIPE_BUF)) {
      done = Math.min(len, spare);
      tail!.data.set(buf.subarray(0, done), tail!.end);
      tail!.end += done;
    }
    while (done < len) {
      const n = Math.min(len - done, packet ? PIPE_BUF : SEGMENT);
      const bytes = Math.ceil(n / PAGE) * PAGE;
      if (this.#account && !this.#account.charge(bytes)) break;
      const data = new Uint8Array(bytes);
      data.set(buf.subarray(done, done + n));
      this.#segs.push({ data, start: 0, end: n, packet });
      done += n;
    }
    this.size += done;
    return done;
  }

  /** Takes up to `len` bytes into `buf`; a packet ends the read and what of it does not fit is discarded. */
  read(buf: Uint8Array, len: number): number {
    let n = 0;
    while (n < len && this.#segs.length > 0) {
      const s = this.#segs[0]!;
      const take = Math.min(s.end - s.start, len - n);
      buf.set(s.data.subarray(s.start, s.start + take), n);
      n += take;
      s.start += take;
      this.size -= take;
      if (s.packet || s.start === s.end) this.#dropHead();
      if (s.packet) break;
    }
    return n;
  }

  /** Copies up to `len` unread bytes into `buf` without taking them (tee); packets are not kept apart. */
  peek(buf: Uint8Array, len: number): number {
    let n = 0;
    for (const s of this.#segs) {
      if (n === len) break;
      const take = Math.min(s.end - s.start, len - n);
      buf.set(s.data.subarray(s.start, s.start + take), n);
      n += take;
    }
    return n;
  }

  #dropHead(): void {
    const s = this.#segs.shift()!;
    this.size -= s.end - s.start;
    this.#account?.uncharge(s.data.length);
  }

  /** Frees every segment. */
  clear(): void {
    while (this.#segs.length > 0) this.#dropHead();
  }
}
