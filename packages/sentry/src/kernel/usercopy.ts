// What syscall handlers need of a process's memory: copies between guest
// virtual memory and host buffers. Every guest address and length is
// hostile: a bad one is -EFAULT (or the documented errno), never an
// exception. Implemented by the memory manager (../mm).
import { E } from '../errno.js';
import { safeU64 } from '../u64.js';

export interface UserMemory {
  /** Copies `len` bytes (default dst.length) at guest `addr` into `dst`. 0, or -EFAULT. */
  copyIn(addr: number, dst: Uint8Array, len?: number): number;
  /** Copies `src` to guest `addr` (needs write permission). 0, or -EFAULT. */
  copyOut(addr: number, src: Uint8Array): number;
  /** The NUL-terminated string at `addr`, without the NUL: -EFAULT, or -ENAMETOOLONG past `max` bytes. */
  readCString(addr: number, max: number): Uint8Array | number;
}

/** PATH_MAX: the longest path a system call accepts, NUL included. */
export { PATH_MAX } from '../vfs/constants.js';

// Guest words, for the kernel and the syscall layer alike. One scratch buffer:
// the Sentry is single threaded and every use is synchronous.
const word = new Uint8Array(8);
const wordView = new DataView(word.buffer);

/** The little-endian u32 at `addr`: the value, or -EFAULT. */
export function readU32(mm: UserMemory, addr: number): number {
  if (addr <= 0 || mm.copyIn(addr, word, 4) < 0) return -E.EFAULT;
  return wordView.getUint32(0, true);
}

/** Writes `value`'s low 32 bits little-endian at `addr`: 0 or -EFAULT. */
export function writeU32(mm: UserMemory, addr: number, value: number): number {
  if (addr <= 0) return -E.EFAULT;
  wordView.setUint32(0, value >>> 0, true);
  return mm.copyOut(addr, word.subarray(0, 4));
}

/** The little-endian u64 at `addr` as a number (Infinity from 2^53 up, which every range check rejects), or -EFAULT. */
export function readU64(mm: UserMemory, addr: number): number {
  if (addr <= 0 || mm.copyIn(addr, word, 8) < 0) return -E.EFAULT;
  return safeU64(wordView, 0);
}
