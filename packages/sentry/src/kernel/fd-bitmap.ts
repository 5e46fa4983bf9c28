// Which descriptors of a table are in use, kept so that the lowest free one
// at or above any start is found in O(limit / 1024) word reads at worst and
// O(1) in the common case. As Linux's fdtable: a bit per descriptor
// (open_fds) and a bit per 32-descriptor word that is full (full_fds_bits),
// so a scan skips 1024 taken descriptors per word it reads; the table adds
// the lowest-free hint (next_fd).

const WORD = 32;

/** The index of the lowest set bit of a non-zero 32-bit `x`. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** The bits of a word at positions >= `from` (0..31). */
function fromBit(from: number): number {
  return -1 << from;
}

/** A growable set of non-negative integers answering "the lowest one not in the set, at or above n". */
export class FdBitmap {
  /** Bit fd % 32 of word fd / 32: descriptor fd is in use. Words past the end are all free. */
  #used = new Uint32Array(4);
  /** Bit w % 32 of word w / 32: #used[w] is full. */
  #full = new Uint32Array(1);

  has(fd: number): boolean {
    const w = fd >>> 5;
    return w < this.#used.length && (this.#used[w]! & (1 << (fd & 31))) !== 0;
  }

  add(fd: number): void {
    const w = fd >>> 5;
    if (w >= this.#used.length) this.#grow(w + 1);
    const bits = (this.#used[w]! | (1 << (fd & 31))) >>> 0;
    this.#used[w] = bits;
    if (bits === 0xffffffff) this.#full[w >>> 5]! |= 1 << (w & 31);
  }

  delete(fd: number): void {
    const w = fd >>> 5;
    if (w >= this.#used.length) return;
    this.#used[w]! &= ~(1 << (fd & 31));
    this.#full[w >>> 5]! &= ~(1 << (w & 31));
  }

  /** The lowest integer >= `from` (>= 0) not in the set; it may be past any limit, which the caller checks. */
  lowestFree(from: number): number {
    let w = from >>> 5;
    if (w >= this.#used.length) return from;
    const here = ~this.#used[w]! & fromBit(from & 31);
    if (here !== 0) return w * WORD + lowestBit(here);
    w++;
    // The first word at or after w that is not full, read from #full a word of words at a time.
    for (let fw = w >>> 5; fw < this.#full.length; fw++) {
      const notFull = ~this.#full[fw]! & (fw === w >>> 5 ? fromBit(w & 31) : -1);
      if (notFull === 0) continue;
      const word = fw * WORD + lowestBit(notFull);
      return word >= this.#used.length ? word * WORD : word * WORD + lowestBit(~this.#used[word]!);
    }
    return Math.max(w, this.#full.length * WORD) * WORD;
  }

  /** Makes room for `words` words of descriptors (doubling, so growth is amortized O(1)). */
  #grow(words: number): void {
    const used = new Uint32Array(Math.max(words, this.#used.length * 2));
    used.set(this.#used);
    this.#used = used;
    const full = new Uint32Array(Math.ceil(used.length / WORD));
    full.set(this.#full);
    this.#full = full;
  }
}
