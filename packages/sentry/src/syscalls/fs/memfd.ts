// memfd_create and the sealing commands of fcntl: the file itself is
// ../../fd/memfd.ts.
import { E } from '../../errno.js';
import {
  ALL_SEALS,
  addSeals,
  isMemfd,
  MFD_ALLOW_SEALING,
  MFD_CLOEXEC,
  MFD_EXEC,
  MFD_HUGETLB,
  MFD_NAME_MAX,
  MFD_NOEXEC_SEAL,
  memfdSpace,
} from '../../fd/memfd.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import type { Task } from '../../kernel/task.js';
import { type FileDescription, toBinary } from '../../vfs/index.js';
import { install } from './open.js';

export const F_ADD_SEALS = 1033;
export const F_GET_SEALS = 1034;
const ALL_FLAGS = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;

/**
 * memfd_create(name, flags) in Linux's order: flags (EINVAL; MFD_EXEC with
 * MFD_NOEXEC_SEAL too), then the name (EFAULT, EINVAL past 249 bytes).
 * MFD_HUGETLB (with or without a page size) is EINVAL: there is no
 * hugetlbfs here, as on a kernel built without it.
 */
function memfdCreate(t: Task, a: SyscallArgs): number {
  const flags = a.uint(1);
  if ((flags & ~ALL_FLAGS) !== 0 || flags & MFD_HUGETLB) return -E.EINVAL;
  if (flags & MFD_EXEC && flags & MFD_NOEXEC_SEAL) return -E.EINVAL;
  const p = a.ptr(0);
  if (p <= 0) return -E.EFAULT;
  const name = t.mm.readCString(p, MFD_NAME_MAX + 1);
  if (name === -E.ENAMETOOLONG) return -E.EINVAL;
  if (typeof name === 'number') return name;
  const f = memfdSpace(t.kernel.vfs).create(toBinary(name), flags, t.creds.euid, t.creds.egid);
  if (typeof f === 'number') return f;
  return install(t, f, (flags & MFD_CLOEXEC) !== 0);
}

/**
 * fcntl F_GET_SEALS, and F_ADD_SEALS (of the argument's low 32 bits, as
 * Linux's do_fcntl passes it) in Linux's order: a description not open for
 * writing (EPERM), unknown seals (EINVAL), then a file without seals (EINVAL).
 */
export function fcntlSeals(f: FileDescription, cmd: number, a: SyscallArgs): number {
  if (cmd === F_GET_SEALS) return isMemfd(f) ? f.node.seals : -E.EINVAL;
  const seals = a.uint(2);
  if (!f.writable) return -E.EPERM;
  if ((seals & ~ALL_SEALS) !== 0) return -E.EINVAL;
  if (!isMemfd(f)) return -E.EINVAL;
  return addSeals(f, seals);
}

export const MEMFD_SYSCALLS: readonly SyscallSpec[] = [['memfd_create', ['path', 'hex'], memfdCreate]];
