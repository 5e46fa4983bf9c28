// eventfd: a 64-bit counter behind a descriptor (Linux fs/eventfd.c).
//
// write adds its 8-byte value to the counter, waiting (or EAGAIN) while the
// sum would pass 2^64 - 2; read takes the whole counter and leaves 0, or
// with EFD_SEMAPHORE takes 1, waiting (or EAGAIN) while it is 0. A read
// needs a buffer of at least 8 bytes and a write exactly 8 (Linux 6.x
// refuses other sizes with EINVAL), and 2^64 - 1 is never a valid value.
// Blocking follows the stream protocol (stream.ts): -EAGAIN, and the
// syscall layer parks until notify(). Readiness: POLLIN while the counter
// is not 0, POLLOUT while 1 more still fits, POLLERR at 2^64 - 1 (which
// only an overflow inside the kernel reaches on Linux).
//
// Memory: each eventfd is charged EVENTFD_COST to the sandbox's account
// (ENOMEM past it), as pipes are.
import { E } from '../errno.js';
import type { MemoryAccount } from '../mm/account.js';
import { O_RDWR } from '../vfs/index.js';
import { AnonStream } from './anon.js';
import { POLLERR, POLLIN, POLLOUT } from './readiness.js';

export const EFD_SEMAPHORE = 1;
/** Host bytes charged per eventfd: the counter, its description and table slot. */
export const EVENTFD_COST = 512;
const MAX = 0xffff_ffff_ffff_ffffn;
const SIZE = 8;

export class EventFd extends AnonStream {
  readonly anonName = '[eventfd]';
  #count: bigint;
  readonly #semaphore: boolean;
  readonly #account: MemoryAccount | null;

  /** `flags` may carry O_NONBLOCK; the description is always O_RDWR. */
  constructor(initval: bigint, semaphore: boolean, flags: number, account: MemoryAccount | null) {
    super(O_RDWR | flags);
    this.#count = initval;
    this.#semaphore = semaphore;
    this.#account = account;
  }

  get count(): bigint {
    return this.#count;
  }

  protected override readAt(buf: Uint8Array, len: number): number {
    if (len < SIZE) return -E.EINVAL;
    if (this.#count === 0n) return -E.EAGAIN;
    const v = this.#semaphore ? 1n : this.#count;
    this.#count -= v;
    new DataView(buf.buffer, buf.byteOffset, SIZE).setBigUint64(0, v, true);
    this.notify();
    return SIZE;
  }

  protected override writeAt(buf: Uint8Array, len: number): number {
    if (len !== SIZE) return -E.EINVAL;
    const v = new DataView(buf.buffer, buf.byteOffset, SIZE).getBigUint64(0, true);
    if (v === MAX) return -E.EINVAL;
    if (MAX - this.#count <= v) return -E.EAGAIN;
    this.#count += v;
    this.notify();
    return SIZE;
  }

  /** Linux's eventfd_poll: POLLIN and POLLOUT without RDNORM/WRNORM. */
  override readiness(): number {
    let m = 0;
    if (this.#count > 0n) m |= POLLIN;
    if (this.#count === MAX) m |= POLLERR;
    if (MAX - 1n > this.#count) m |= POLLOUT;
    return m;
  }

  protected override release(): void {
    this.#account?.uncharge(EVENTFD_COST);
  }
}

/**
 * A new eventfd holding `initval` (an unsigned 32-bit value, as eventfd2
 * takes it); -ENOMEM when `account` cannot take EVENTFD_COST more.
 */
export function newEventFd(initval: number, semaphore: boolean, flags: number, account?: MemoryAccount): EventFd | number {
  if (account && !account.charge(EVENTFD_COST)) return -E.ENOMEM;
  return new EventFd(BigInt(initval >>> 0), semaphore, flags, account ?? null);
}
