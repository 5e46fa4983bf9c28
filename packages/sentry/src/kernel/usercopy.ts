// What syscall handlers need of a process's memory: copies between guest
// virtual memory and host buffers. Every guest address and length is
// hostile: a bad one is -EFAULT (or the documented errno), never an
// exception. Implemented by the memory manager (../mm).
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
