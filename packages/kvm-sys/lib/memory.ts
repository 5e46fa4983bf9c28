// Guest physical memory: private anonymous pages of this process, kept out
// of its forks (src/memory.cc says why these and not a memfd). The same
// pages back a KVM memslot (via hostAddress) and are visible to TypeScript
// as `buffer` with no copy. A buffer is at most 4 GiB (Node 20's typed-array
// limit); larger guests use several regions.
import { native } from './binding.js';
import { check, ClosedError } from './errors.js';

export const MAX_REGION_SIZE = 2 ** 32;
export const PAGE_SIZE = 4096;

export class GuestMemory {
  readonly size: number;
  readonly hostAddress: bigint;
  #buffer: ArrayBuffer;
  #closed = false;
  /** Byte view of the whole region; empty after close(). */
  bytes: Uint8Array;
  /** DataView over the whole region; empty after close(). */
  view: DataView;

  /** Creates a zero-filled region of `size` bytes (a multiple of 4 KiB); host memory backs a page once it is touched. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0 || size % PAGE_SIZE !== 0 || size > MAX_REGION_SIZE) {
      throw new RangeError(`guest memory size must be a positive multiple of 4096 up to 4 GiB, got ${size}`);
    }
    const m = native.mapGuest(size);
    if (typeof m === 'number') {
      check('mmap', m, 'guest memory');
      throw new Error('unreachable');
    }
    this.size = size;
    this.hostAddress = m.address;
    this.#buffer = m.buffer;
    this.bytes = new Uint8Array(m.buffer);
    this.view = new DataView(m.buffer);
  }

  get buffer(): ArrayBuffer {
    if (this.#closed) throw new ClosedError('guest memory');
    return this.#buffer;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Returns pages to the host: they read as zero afterwards. */
  discard(offset: number, length: number): void {
    if (offset % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0 || offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`discard(${offset}, ${length}): not page aligned or outside the region`);
    }
    check('madvise', native.discard(this.buffer, offset, length), 'MADV_DONTNEED');
  }

  /**
   * Backs [offset, offset + length) with host memory now, in one call
   * (MADV_POPULATE_WRITE), instead of one host fault per page at the guest's
   * first touch. Contents are unchanged. Best effort: false where the host
   * kernel cannot (before Linux 5.14) or is out of memory; the pages are then
   * backed on first touch as before.
   */
  populate(offset: number, length: number): boolean {
    if (offset % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0 || offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`populate(${offset}, ${length}): not page aligned or outside the region`);
    }
    return native.populate(this.buffer, offset, length) === 0;
  }

  /** Unmaps the region; the buffer is detached. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    native.unmap(this.#buffer);
    this.bytes = new Uint8Array(0);
    this.view = new DataView(new ArrayBuffer(0));
  }
}
