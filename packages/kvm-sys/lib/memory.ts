// Guest physical memory: a sparse memfd mapped shared into this process. The
// same pages back a KVM memslot (via hostAddress) and are visible to
// TypeScript as `buffer` with no copy. A buffer is at most 4 GiB (Node 20's
// typed-array limit); larger guests use several regions.
import { native } from './binding.js';
import { check, ClosedError } from './errors.js';
import { FdResource } from './resource.js';

export const MAX_REGION_SIZE = 2 ** 32;
export const PAGE_SIZE = 4096;

export class GuestMemory {
  readonly size: number;
  readonly hostAddress: bigint;
  #buffer: ArrayBuffer;
  readonly #fd: FdResource;
  /** Byte view of the whole region; empty after close(). */
  bytes: Uint8Array;
  /** DataView over the whole region; empty after close(). */
  view: DataView;

  /** Creates a zero-filled region of `size` bytes (a multiple of 4 KiB). */
  constructor(size: number, name = 'tsv-guest') {
    if (!Number.isInteger(size) || size <= 0 || size % PAGE_SIZE !== 0 || size > MAX_REGION_SIZE) {
      throw new RangeError(`guest memory size must be a positive multiple of 4096 up to 4 GiB, got ${size}`);
    }
    const fd = check('memfd_create', native.memfdCreate(name, size));
    this.#fd = new FdResource(fd, 'guest memory');
    const m = native.mapShared(fd, size, 0);
    if (typeof m === 'number') {
      this.#fd.close();
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
    if (this.#fd.closed) throw new ClosedError('guest memory');
    return this.#buffer;
  }

  /** The memfd, e.g. to map the same pages elsewhere. */
  get fd(): number {
    return this.#fd.fd;
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  /** Returns pages to the host: they read as zero afterwards. */
  punchHole(offset: number, length: number): void {
    if (offset % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0 || offset < 0 || offset + length > this.size) {
      throw new RangeError(`punchHole(${offset}, ${length}): not page aligned or outside the region`);
    }
    check('fallocate', native.punchHole(this.fd, offset, length), 'PUNCH_HOLE');
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
    if (this.#fd.closed) throw new ClosedError('guest memory');
    return native.populate(this.#buffer, offset, length) === 0;
  }

  /** Unmaps the region and closes the memfd; the buffer is detached. */
  close(): void {
    if (this.#fd.closed) return;
    native.unmap(this.#buffer);
    this.bytes = new Uint8Array(0);
    this.view = new DataView(new ArrayBuffer(0));
    this.#fd.close();
  }
}
