// Socket addresses as the guest passes them: every length checked before a
// byte is copied, as Linux's move_addr_to_kernel and move_addr_to_user do.
// The bytes are the family's to interpret (unix/address.ts, inet/).
import { E } from '../errno.js';
import type { UserMemory } from '../kernel/usercopy.js';

/** sizeof(struct sockaddr_storage): the longest address a call takes. */
export const SOCKADDR_STORAGE = 128;

/**
 * The `len` bytes of address at guest `addr` (move_addr_to_kernel): -EINVAL
 * for a length below 0 or above SOCKADDR_STORAGE, -EFAULT for bad memory;
 * an empty address for length 0, whatever the pointer.
 */
export function copyInSockaddr(mm: UserMemory, addr: number, len: number): Uint8Array | number {
  if (len < 0 || len > SOCKADDR_STORAGE) return -E.EINVAL;
  const b = new Uint8Array(len);
  if (len === 0) return b;
  if (addr <= 0) return -E.EFAULT;
  return mm.copyIn(addr, b) < 0 ? -E.EFAULT : b;
}

/**
 * Stores `bytes` at guest `addr` with its length at `lenAddr`, a
 * value-result int (move_addr_to_user): the guest's length bounds what is
 * copied, and the full length is written back. -EINVAL for a negative
 * length, -EFAULT for bad memory.
 */
export function copyOutSockaddr(mm: UserMemory, bytes: Uint8Array, addr: number, lenAddr: number): number {
  if (lenAddr <= 0) return -E.EFAULT;
  const lb = new Uint8Array(4);
  if (mm.copyIn(lenAddr, lb) < 0) return -E.EFAULT;
  const v = new DataView(lb.buffer);
  const len = Math.min(v.getInt32(0, true), bytes.length);
  if (len < 0) return -E.EINVAL;
  if (len > 0 && (addr <= 0 || mm.copyOut(addr, bytes.subarray(0, len)) < 0)) return -E.EFAULT;
  v.setInt32(0, bytes.length, true);
  return mm.copyOut(lenAddr, lb) < 0 ? -E.EFAULT : 0;
}

/** The sa_family of an address (0 when it is too short to have one). */
export function sockaddrFamily(b: Uint8Array): number {
  return b.length >= 2 ? b[0]! | (b[1]! << 8) : 0;
}
