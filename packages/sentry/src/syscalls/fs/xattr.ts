// The extended-attribute calls. The sandbox's filesystems keep no extended
// attributes (no user.*, no security labels, no ACLs), so they answer as a
// Linux filesystem without xattr support does: the file is looked up and
// the name checked first (ENOENT, EBADF, EFAULT, ERANGE win), then get, set
// and remove fail with EOPNOTSUPP and list returns an empty list. ls, cp -a
// and tar treat that as "nothing to show or copy".
import { E } from '../../errno.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import { credOf, fileOf, pathArg } from './common.js';

/** Linux's XATTR_NAME_MAX. */
const XATTR_NAME_MAX = 255;
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;

/** What the call acts on: `path` (argument 0), followed or not, or a descriptor. */
type Target = 'path' | 'link' | 'fd';

/** Looks up the file the call names: 0, or its errno. */
function lookup(t: Task, a: SyscallArgs, target: Target): number {
  if (target === 'fd') {
    const f = fileOf(t, a.int(0));
    return typeof f === 'number' ? f : 0;
  }
  const path = pathArg(t, a, 0);
  if (typeof path === 'number') return path;
  const st = t.kernel.vfs.stat(path, { at: t.fs.cwd, cred: credOf(t), follow: target === 'path' });
  return typeof st === 'number' ? st : 0;
}

/** The attribute name at argument 1: 0, or EFAULT / ERANGE (empty or longer than XATTR_NAME_MAX), as import_xattr_name. */
function checkName(t: Task, a: SyscallArgs): number {
  const addr = a.ptr(1);
  if (addr <= 0) return -E.EFAULT;
  const name = t.mm.readCString(addr, XATTR_NAME_MAX + 1);
  if (typeof name === 'number') return name === -E.ENAMETOOLONG ? -E.ERANGE : name;
  return name.length === 0 ? -E.ERANGE : 0;
}

function named(target: Target, checkFlags: boolean) {
  return (t: Task, a: SyscallArgs): number => {
    if (checkFlags && (a.int(4) & ~(XATTR_CREATE | XATTR_REPLACE)) !== 0) return -E.EINVAL;
    const n = checkName(t, a);
    if (n < 0) return n;
    const r = lookup(t, a, target);
    return r < 0 ? r : -E.EOPNOTSUPP;
  };
}

function list(target: Target) {
  return (t: Task, a: SyscallArgs): number => lookup(t, a, target);
}

export const XATTR_SYSCALLS: readonly SyscallSpec[] = [
  ['getxattr', ['path', 'ptr', 'ptr', 'size'], named('path', false)],
  ['lgetxattr', ['path', 'ptr', 'ptr', 'size'], named('link', false)],
  ['fgetxattr', ['fd', 'ptr', 'ptr', 'size'], named('fd', false)],
  ['setxattr', ['path', 'ptr', 'ptr', 'size', 'hex'], named('path', true)],
  ['lsetxattr', ['path', 'ptr', 'ptr', 'size', 'hex'], named('link', true)],
  ['fsetxattr', ['fd', 'ptr', 'ptr', 'size', 'hex'], named('fd', true)],
  ['removexattr', ['path', 'ptr'], named('path', false)],
  ['lremovexattr', ['path', 'ptr'], named('link', false)],
  ['fremovexattr', ['fd', 'ptr'], named('fd', false)],
  ['listxattr', ['path', 'ptr', 'size'], list('path')],
  ['llistxattr', ['path', 'ptr', 'size'], list('link')],
  ['flistxattr', ['fd', 'ptr', 'size'], list('fd')],
];
