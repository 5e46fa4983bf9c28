// Copy-in and copy-out of system-call arguments. The kernel touching user
// memory behaves as if the task touched it: pages missing from the
// AddressSpace are demand-paged through the Pager, protections are
// respected (copy-out needs PROT_WRITE). Every bad pointer — unmapped,
// protected, in the kernel half, negative, not an integer, or a range that
// wraps or ends above user space — is -EFAULT, never an exception.
import { ACCESS_READ, ACCESS_WRITE } from '@tsv/platform';
import { E } from '../errno.js';
import { MAX_RW_COUNT, PAGE_SIZE, PROT_READ, PROT_WRITE, UIO_MAXIOV } from './constants.js';
import { FAULT_OOM, type Pager } from './pager.js';

const PAGE = PAGE_SIZE;
/** Copies up to this many bytes with a loop rather than a subarray (which allocates). */
const SMALL = 32;

/** A 64-bit value as two unsigned 32-bit halves (reuse one to read without allocating). */
export class U64 {
  lo = 0;
  hi = 0;

  /** The value as a number: exact below 2^53. */
  get value(): number {
    return this.hi * 0x1_0000_0000 + this.lo;
  }
}

export interface Iovec {
  base: number;
  len: number;
}

export class UserAccess {
  /**
   * Set when a copy failed because memory ran out (not a bad pointer): the
   * caller should kill the process as for a FAULT_OOM fault. Cleared by the caller.
   */
  oomPending = false;

  constructor(protected readonly pager: Pager) {}

  /** Resolves a page fault: FAULT_OK, or FAULT_MAPERR / FAULT_ACCERR (SIGSEGV), FAULT_SIGBUS, FAULT_OOM (SIGKILL). */
  handleFault(address: number, access: number): number {
    return this.pager.fault(address, access);
  }

  /** Copies `len` bytes at user `addr` into `dst`; 0 or -EFAULT. */
  copyIn(addr: number, dst: Uint8Array, len = dst.length): number {
    if (!this.#valid(addr, len) || len > dst.length) return -E.EFAULT;
    const bytes = this.pager.mem.bytes;
    for (let done = 0; done < len; ) {
      const va = addr + done;
      const pa = this.#pa(va, false);
      if (pa < 0) return -E.EFAULT;
      const n = Math.min(len - done, PAGE - (va % PAGE));
      if (n <= SMALL) for (let i = 0; i < n; i++) dst[done + i] = bytes[pa + i]!;
      else dst.set(bytes.subarray(pa, pa + n), done);
      done += n;
    }
    return 0;
  }

  /** Copies `len` bytes of `src` to user `addr` (which must be writable); 0 or -EFAULT. */
  copyOut(addr: number, src: Uint8Array, len = src.length): number {
    if (!this.#valid(addr, len) || len > src.length) return -E.EFAULT;
    const bytes = this.pager.mem.bytes;
    for (let done = 0; done < len; ) {
      const va = addr + done;
      const pa = this.#pa(va, true);
      if (pa < 0) return -E.EFAULT;
      const n = Math.min(len - done, PAGE - (va % PAGE));
      if (n <= SMALL) for (let i = 0; i < n; i++) bytes[pa + i] = src[done + i]!;
      else bytes.set(src.subarray(done, done + n), pa);
      done += n;
    }
    return 0;
  }

  /** Zeroes `len` bytes at user `addr` (clear_user); 0 or -EFAULT. */
  zeroOut(addr: number, len: number): number {
    if (!this.#valid(addr, len)) return -E.EFAULT;
    for (let done = 0; done < len; ) {
      const va = addr + done;
      const pa = this.#pa(va, true);
      if (pa < 0) return -E.EFAULT;
      const n = Math.min(len - done, PAGE - (va % PAGE));
      this.pager.mem.bytes.fill(0, pa, pa + n);
      done += n;
    }
    return 0;
  }

  /** The little-endian u32 at `addr` (>= 0), or -EFAULT. */
  readU32(addr: number): number {
    const pa = this.#scalar(addr, 4, false);
    if (pa === -2) return -E.EFAULT;
    if (pa >= 0) return this.pager.mem.view.getUint32(pa, true);
    const b = this.#bounce;
    if (this.copyIn(addr, b, 4) < 0) return -E.EFAULT;
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /** Reads the little-endian u64 at `addr` into `out`; 0 or -EFAULT. */
  readU64(addr: number, out: U64): number {
    const pa = this.#scalar(addr, 8, false);
    if (pa === -2) return -E.EFAULT;
    if (pa >= 0) {
      out.lo = this.pager.mem.view.getUint32(pa, true);
      out.hi = this.pager.mem.view.getUint32(pa + 4, true);
      return 0;
    }
    const b = this.#bounce;
    if (this.copyIn(addr, b, 8) < 0) return -E.EFAULT;
    out.lo = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    out.hi = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
    return 0;
  }

  /** Writes `value` (its low 32 bits) little-endian at `addr`; 0 or -EFAULT. */
  writeU32(addr: number, value: number): number {
    const pa = this.#scalar(addr, 4, true);
    if (pa === -2) return -E.EFAULT;
    if (pa >= 0) {
      this.pager.mem.view.setUint32(pa, value >>> 0, true);
      return 0;
    }
    const b = this.#bounce;
    for (let i = 0; i < 4; i++) b[i] = value >>> (8 * i);
    return this.copyOut(addr, b, 4);
  }

  /** Writes the u64 with halves `lo`, `hi` at `addr`; 0 or -EFAULT. */
  writeU64(addr: number, lo: number, hi: number): number {
    const pa = this.#scalar(addr, 8, true);
    if (pa === -2) return -E.EFAULT;
    if (pa >= 0) {
      this.pager.mem.view.setUint32(pa, lo >>> 0, true);
      this.pager.mem.view.setUint32(pa + 4, hi >>> 0, true);
      return 0;
    }
    const b = this.#bounce;
    for (let i = 0; i < 4; i++) {
      b[i] = lo >>> (8 * i);
      b[4 + i] = hi >>> (8 * i);
    }
    return this.copyOut(addr, b, 8);
  }

  /**
   * The NUL-terminated string at `addr` without its NUL. -ENAMETOOLONG when
   * no NUL is among the first `max` bytes (so `max` counts the NUL, as
   * PATH_MAX does); -EFAULT when an unreadable byte comes first.
   */
  readCString(addr: number, max: number): Uint8Array | number {
    if (!Number.isInteger(addr) || addr < 0 || !Number.isInteger(max) || max < 0) return -E.EFAULT;
    const bytes = this.pager.mem.bytes;
    let len = 0;
    while (len < max) {
      const va = addr + len;
      if (va >= this.pager.limits.max) return -E.EFAULT;
      const pa = this.#pa(va, false);
      if (pa < 0) return -E.EFAULT;
      const n = Math.min(PAGE - (va % PAGE), max - len);
      for (let i = 0; i < n; i++) {
        if (bytes[pa + i] === 0) {
          const out = new Uint8Array(len + i);
          return this.copyIn(addr, out) < 0 ? -E.EFAULT : out;
        }
      }
      len += n;
    }
    return -E.ENAMETOOLONG;
  }

  /**
   * The `count` struct iovec at `addr`, as readv/writev take them: -EINVAL
   * for a count above UIO_MAXIOV or a negative length, -EFAULT for an
   * unreadable array or a buffer outside user space. Lengths are trimmed so
   * the total stays within MAX_RW_COUNT, as Linux does.
   */
  readIovecs(addr: number, count: number): Iovec[] | number {
    if (!Number.isInteger(count) || count < 0 || count > UIO_MAXIOV) return -E.EINVAL;
    if (count === 0) return [];
    const raw = new Uint8Array(count * 16);
    if (this.copyIn(addr, raw) < 0) return -E.EFAULT;
    const view = new DataView(raw.buffer);
    const out: Iovec[] = [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      const base = view.getUint32(i * 16 + 4, true) * 0x1_0000_0000 + view.getUint32(i * 16, true);
      const hi = view.getUint32(i * 16 + 12, true);
      if (hi >= 0x8000_0000) return -E.EINVAL;
      let len = hi * 0x1_0000_0000 + view.getUint32(i * 16 + 8, true);
      if (len > MAX_RW_COUNT - total) len = MAX_RW_COUNT - total;
      if (len > 0 && !this.#valid(base, len)) return -E.EFAULT;
      total += len;
      out.push({ base, len });
    }
    return out;
  }

  readonly #bounce = new Uint8Array(8);

  #valid(addr: number, len: number): boolean {
    return Number.isInteger(addr) && Number.isInteger(len) && addr >= 0 && len >= 0 && addr + len <= this.pager.limits.max;
  }

  /**
   * The physical address for a `size`-byte scalar at `addr` when it lies in
   * one page (-1 when it straddles two: use the bounce buffer), or -2 for a
   * bad pointer.
   */
  #scalar(addr: number, size: number, write: boolean): number {
    if (!this.#valid(addr, size)) return -2;
    if (addr % PAGE > PAGE - size) return -1;
    const pa = this.#pa(addr, write);
    return pa < 0 ? -2 : pa;
  }

  /** The physical address of user byte `va`, faulting its page in if the VMA allows; -1 if not. */
  #pa(va: number, write: boolean): number {
    const off = va % PAGE;
    const page = va - off;
    const prot = write ? PROT_WRITE : PROT_READ;
    let pa = this.pager.as.translate(page, prot);
    if (pa < 0) {
      const r = this.handleFault(page, write ? ACCESS_WRITE : ACCESS_READ);
      if (r === FAULT_OOM) this.oomPending = true;
      if (r !== 0) return -1;
      pa = this.pager.as.translate(page, prot);
      if (pa < 0) return -1;
    }
    return pa + off;
  }
}
