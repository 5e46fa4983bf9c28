// The bytes a TCP socket has received and not yet read, charged to the
// sandbox's memory account while they are held. Small arrivals are packed
// into the tail chunk (a stream of 1-byte writes costs its bytes, not an
// array each), which a queue keeps when it drains; large ones are kept as
// the array the sender filled.
import type { MemoryAccount } from '../../mm/account.js';

/** Room a small arrival's chunk is made with. */
const CHUNK = 4096;

interface Chunk {
  data: Uint8Array;
  /** Unread bytes are data[start, end). */
  start: number;
  end: number;
}

export class ByteQueue {
  readonly #chunks: Chunk[] = [];
  /** Unread bytes. */
  size = 0;

  constructor(private readonly account: MemoryAccount | null) {}

  /**
   * Appends `bytes`; `owned` says the queue may keep the array itself.
   * False (nothing taken) when the account cannot hold them.
   */
  push(bytes: Uint8Array, owned: boolean): boolean {
    const n = bytes.length;
    if (n === 0) return true;
    const tail = this.#chunks.at(-1);
    if (tail !== undefined && tail.data.length - tail.end >= n) {
      tail.data.set(bytes, tail.end);
      tail.end += n;
    } else {
      const data = owned && n >= CHUNK ? bytes : new Uint8Array(Math.max(n, CHUNK));
      if (this.account && !this.account.charge(data.length)) return false;
      if (data !== bytes) data.set(bytes);
      this.#chunks.push({ data, start: 0, end: n });
    }
    this.size += n;
    return true;
  }

  /**
   * Hands up to `max` bytes, chunk by chunk, to `sink` (which returns how
   * many it took: fewer ends the read). Unless `peek`, what was taken
   * leaves the queue. Returns the count taken.
   */
  read(max: number, sink: (bytes: Uint8Array) => number, peek = false): number {
    let done = 0;
    for (let i = 0; i < this.#chunks.length && done < max; ) {
      const c = this.#chunks[i]!;
      const part = c.data.subarray(c.start, Math.min(c.end, c.start + max - done));
      const took = sink(part);
      done += took;
      if (!peek) {
        c.start += took;
        this.size -= took;
        if (c.start === c.end && this.#chunks.length === 1 && c.data.length === CHUNK) {
          // Drained: the chunk stays (charged) for the next small arrival, so request/response traffic allocates nothing.
          c.start = c.end = 0;
          i++;
        } else if (c.start === c.end) this.#drop(i);
        else i++;
      } else i++;
      if (took < part.length) break;
    }
    return done;
  }

  #drop(i: number): void {
    const [c] = this.#chunks.splice(i, 1);
    this.account?.uncharge(c!.data.length);
  }

  /** Frees every byte. */
  clear(): void {
    while (this.#chunks.length > 0) this.#drop(0);
    this.size = 0;
  }
}
