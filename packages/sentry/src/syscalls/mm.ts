// Memory system calls: thin decoding over the memory manager (../mm), which
// owns every rule (VMAs, limits, errnos).
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { Task } from '../kernel/task.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_TYPE, type MappedFile, MemoryManager, PAGE_SIZE, PROT_WRITE } from '../mm/index.js';
import { type FileDescription, makedev, S_IFCHR, S_IFMT } from '../vfs/index.js';
import { mappedFile } from './filemap.js';
import { mapSealed } from '../fd/memfd.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

const DEV_ZERO = makedev(1, 5);

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
  let mapFlags = flags;
  if ((flags & MAP_ANONYMOUS) === 0) {
    const f = t.fds.get(a.int(4));
    if (f === undefined) return -E.EBADF;
    const m = mappedFile(f);
    if (m === -E.ENODEV) {
      // Not a regular file: only /dev/zero maps, as anonymous memory.
      const zero = devZero(f, flags, a.uint(2), offset);
      if (zero < 0) return zero;
      if (zero === 0) return m;
      mapFlags |= MAP_ANONYMOUS;
    } else if (typeof m === 'number') {
      return m;
    } else if (mapSealed(f, (flags & MAP_TYPE) !== MAP_PRIVATE, (a.uint(2) & PROT_WRITE) !== 0)) {
      return -E.EPERM;
    } else {
      file = m;
    }
  }
  if (!Number.isFinite(len)) return -E.ENOMEM;
  return mm(t).mmap(addr, len, a.uint(2), mapFlags, file, (mapFlags & MAP_ANONYMOUS) !== 0 ? 0 : offset);
}

/**
 * Mapping /dev/zero is anonymous memory, private or shared as asked (the
 * old way to get it, still used): 1 when `f` (not a regular file) is
 * /dev/zero and may be mapped so, 0 when it is not /dev/zero, or -errno
 * (EACCES as Linux for a descriptor that is not readable, or not writable
 * for a writable shared map).
 */
function devZero(f: FileDescription, flags: number, prot: number, offset: number): number {
  const st = f.stat();
  if (typeof st === 'number' || (st.mode & S_IFMT) !== S_IFCHR || st.rdev !== DEV_ZERO) return 0;
  if (offset % PAGE_SIZE !== 0) return -E.EINVAL;
  if (!f.readable) return -E.EACCES;
  if ((flags & MAP_TYPE) !== MAP_PRIVATE && (prot & PROT_WRITE) !== 0 && !f.writable) return -E.EACCES;
  return 1;
}

/** A range that starts in the kernel half or is too long for user space: EINVAL if misaligned, else ENOMEM (no such mapping), as Linux. */
function outsideUser(a: SyscallArgs): number {
  return (a.uint(0) & 0xfff) !== 0 ? -E.EINVAL : -E.ENOMEM;
}

export const MM_SYSCALLS: readonly SyscallSpec[] = [
  ['brk', ['ptr'], (t, a) => mm(t).brk(Math.max(0, a.ptr(0))), 'ptr'],
  ['mmap', ['ptr', 'size', 'prot', 'mapflags', 'fd', 'off'], mmap, 'ptr'],
  ['munmap', ['ptr', 'size'], (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? -E.EINVAL : mm(t).munmap(a.ptr(0), a.size(1)))],
  [
    'mprotect',
    ['ptr', 'size', 'prot'],
    (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? -E.ENOMEM : mm(t).mprotect(a.ptr(0), a.size(1), a.uint(2))),
  ],
  [
    'mremap',
    ['ptr', 'size', 'size', 'hex', 'ptr'],
    (t, a) => {
      if (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) || !Number.isFinite(a.size(2))) return -E.EINVAL;
      return mm(t).mremap(a.ptr(0), a.size(1), a.size(2), a.uint(3), Math.max(0, a.ptr(4)));
    },
    'ptr',
  ],
  [
    'madvise',
    ['ptr', 'size', 'int'],
    (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? outsideUser(a) : mm(t).madvise(a.ptr(0), a.size(1), a.int(2))),
  ],
  [
    'msync',
    ['ptr', 'size', 'hex'],
    (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? outsideUser(a) : mm(t).msync(a.ptr(0), a.size(1), a.uint(2))),
  ],
  ['mlock', ['ptr', 'size'], (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? -E.ENOMEM : mm(t).mlock(a.ptr(0), a.size(1)))],
  [
    'mlock2',
    ['ptr', 'size', 'hex'],
    (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? -E.ENOMEM : mm(t).mlock(a.ptr(0), a.size(1), a.uint(2))),
  ],
  ['munlock', ['ptr', 'size'], (t, a) => (a.ptr(0) < 0 || !Number.isFinite(a.size(1)) ? -E.ENOMEM : mm(t).munlock(a.ptr(0), a.size(1)))],
  ['mlockall', ['hex'], (t, a) => mm(t).mlockall(a.uint(0))],
  ['munlockall', [], (t) => mm(t).munlockall()],
];
