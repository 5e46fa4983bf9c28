// The contents of an in-memory file: a sparse list of chunks of at most
// CHUNK bytes, each allocated (and charged) when first written. A chunk
// grows by doubling up to CHUNK, so a small file costs little and growing
// a large one copies at most one chunk at a time (never two copies of the
// file). A missing chunk, or the bytes past a chunk's end, read as zeros,
// so ftruncate to a large size costs nothing until written, as in tmpfs.
import type { MemStore } from './budget.js';

/** Largest chunk: the unit of allocation for large files. */
export const CHUNK = 64 << 10;
const MIN_CHUNK = 64;
/**
 * What a chunk costs the host beyond its bytes (its Map entry and typed
 * array object, ~300 bytes measured), charged too: else a sparse file with
 * one byte every CHUNK bytes uses ~5x its charge.
 */
export const CHUNK_COST = 320;

/** The allocation that holds `n` bytes of one chunk: a power of two in [MIN_CHUNK, CHUNK]. */
function chunkSize(n: number): number {
  let c = MIN_CHUNK;
  while (c < n) c *= 2;
  return c;
}

export class FileBytes {
  readonly #chunks = new Map<number, Uint8Array>();
  #length = 0;
  /** Bytes allocated, all charged to the store. */
  #charged = 0;

  get length(): number {
    return this.#length;
  }

  /** Bytes of file data allocated (st_blocks); the store is charged CHUNK_COST more per chunk. */
  get allocated(): number {
    return this.#charged;
  }

  read(buf: Uint8Array, len: number, pos: number): number {
    if (pos >= this.#length) return 0;
    const n = Math.min(len, this.#length - pos);
    for (let done = 0; done < n; ) {
      const at = pos + done;
      const off = at % CHUNK;
      const take = Math.min(n - done, CHUNK - off);
      const c = this.#chunks.get((at - off) / CHUNK);
      const have = c ? Math.max(0, Math.min(take, c.length - off)) : 0;
      if (have > 0) buf.set(c!.subarray(off, off + have), done);
      if (have < take) buf.fill(0, done + have, done + take);
      done += take;
    }
    return n;
  }

  /**
   * Writes `len` bytes of `buf` at `pos`, extending the length. Stops where
   * the store has no room: the count written, or -1 if none was.
   */
  write(store: MemStore, buf: Uint8Array, len: number, pos: number): number {
    let done = 0;
    while (done < len) {
      const at = pos + done;
      const off = at % CHUNK;
      const take = Math.min(len - done, CHUNK - off);
      const c = this.#room((at - off) / CHUNK, off + take, store);
      if (!c) break;
      c.set(buf.subarray(done, done + take), off);
      done += take;
    }
    if (done === 0 && len > 0) return -1;
    this.#length = Math.max(this.#length, pos + done);
    return done;
  }

  /** Chunk `i` with at least `need` bytes, grown (and charged) if needed; null when the store is full. */
  #room(i: number, need: number, store: MemStore): Uint8Array | null {
    const c = this.#chunks.get(i);
    if (c && c.length >= need) return c;
    const size = chunkSize(need);
    const old = c?.length ?? 0;
    if (!store.charge(size - old + (c ? 0 : CHUNK_COST))) return null;
    const next = new Uint8Array(size);
    if (c) next.set(c);
    this.#chunks.set(i, next);
    this.#charged += size - old;
    return next;
  }

  /** Sets the length; growing allocates nothing, shrinking frees the chunks past the end. */
  resize(store: MemStore, len: number): void {
    if (len < this.#length) {
      const keep = Math.ceil(len / CHUNK);
      for (const [i, c] of this.#chunks) {
        if (i >= keep) {
          this.#chunks.delete(i);
          this.#free(store, c.length);
          store.uncharge(CHUNK_COST);
        }
      }
      this.#cut(store, keep - 1, len - (keep - 1) * CHUNK);
    }
    this.#length = len;
  }

  /** Keeps `bytes` of chunk `i` (the last one), so bytes past the end read as zeros if the file regrows. */
  #cut(store: MemStore, i: number, bytes: number): void {
    const c = this.#chunks.get(i);
    if (!c || c.length <= bytes) return;
    const size = chunkSize(bytes);
    if (size < c.length) {
      this.#chunks.set(i, c.slice(0, size).fill(0, bytes));
      this.#free(store, c.length - size);
    } else {
      c.fill(0, bytes);
    }
  }

  #free(store: MemStore, bytes: number): void {
    this.#charged -= bytes;
    store.uncharge(bytes);
  }

  /** Frees everything. */
  clear(store: MemStore): void {
    store.uncharge(this.#charged + this.#chunks.size * CHUNK_COST);
    this.#chunks.clear();
    this.#charged = 0;
    this.#length = 0;
  }
}
