// Memory system calls: thin decoding over the memory manager (../mm), which
// owns every rule (VMAs, limits, errnos).
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { Task } from '../kernel/task.js';
import { MAP_ANONYMOUS, type MappedFile, MemoryManager } from '../mm/index.js';
import { mappedFile } from './filemap.js';
import type { SyscallSpec } from './table.js';

function mm(t: Task): MemoryManager {
  if (!(t.mm instanceof MemoryManager)) throw new Error('memory system calls need a MemoryManager');
  return t.mm;
}

function mmap(t: Task, a: SyscallArgs): number {
  const addr = a.ptr(0);
  const len = a.size(1);
  const flags = a.uint(3);
  const offset = a.i64(5);
  if (addr < 0) return -E.ENOMEM;
  let file: MappedFile | null = null;
  if ((flags & MAP_ANONYMOUS) === 0) {
    const f = t.fds.get(a.int(4));
    if (f === undefined) return -E.EBADF;
    const m = mappedFile(f);
    if (typeof m === 'number') return m;
    file = m;
  }
  if (!Number.isFinite(len)) return -E.ENOMEM;
  return mm(t).mmap(addr, len, a.uint(2), flags, file, offset);
}

/** A range that starts in the kernel half or is too long for user space: EINVAL if misaligned, else ENOMEM (no such mapping), as Linux. */
function outsideUser(a: SyscallArgs): number {
  return (a.uint(0) & 0xfff) !== 0 ? -E.EINVAL : -E.ENOMEM;
}

export const MM_SYSCALLS: readonly SyscallSpec[] = [
  ['brk', ['ptr'], (t, a) => mm(t).brk(Math.max(0, a.ptr(0))), 'ptr'],
  ['mmap', ['ptr', 'size', 'prot', 'mapflags', 'fd', 'off'], mmap, 'ptr'],
  ['munmap', ['ptr', 'size'], (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? -E.EINVAL : mm(t).munmap(a.ptr(0), a.size(1)))],
  ['mprotect', ['ptr', 'size', 'prot'], (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? -E.ENOMEM : mm(t).mprotect(a.ptr(0), a.size(1), a.uint(2)))],
  ['mremap', ['ptr', 'size', 'size', 'hex', 'ptr'], (t, a) => {
    if (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) || !Number.isFinite(a.size(2))) return -E.EINVAL;
    return mm(t).mremap(a.ptr(0), a.size(1), a.size(2), a.uint(3), Math.max(0, a.ptr(4)));
  }, 'ptr'],
  ['madvise', ['ptr', 'size', 'int'], (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? outsideUser(a) : mm(t).madvise(a.ptr(0), a.size(1), a.int(2)))],
  ['msync', ['ptr', 'size', 'hex'], (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? outsideUser(a) : mm(t).msync(a.ptr(0), a.size(1), a.uint(2)))],
  ['mlock', ['ptr', 'size'], (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? -E.ENOMEM : mm(t).mlock(a.ptr(0), a.size(1)))],
  ['mlock2', ['ptr', 'size', 'hex'], (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? -E.ENOMEM : mm(t).mlock(a.ptr(0), a.size(1), a.uint(2)))],
  ['munlock', ['ptr', 'size'], (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? -E.ENOMEM : mm(t).munlock(a.ptr(0), a.size(1)))],
  ['mlockall', ['hex'], (t, a) => mm(t).mlockall(a.uint(0))],
  ['munlockall', [], (t) => mm(t).munlockall()],
];
