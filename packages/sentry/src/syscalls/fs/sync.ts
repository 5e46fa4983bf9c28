// ftruncate, fsync, fdatasync: operations on an open file's contents.
import { E } from '../../errno.js';
import { isStream } from '../../fd/stream.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import { fileResized, fileSync } from '../filemap.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import { fileOf } from './common.js';
import { checkNewSize } from './fsize.js';

function ftruncate(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0));
  if (typeof f === 'number') return f;
  const len = a.i64(1);
  if (len < 0) return -E.EINVAL;
  const big = checkNewSize(t, len, f);
  if (big < 0) return big;
  const r = f.truncate(len);
  if (r === 0) fileResized(t, f);
  return r;
}

/** fsync/fdatasync: stores through shared mappings are written back first; pipes and sockets cannot be synced (EINVAL). */
function fsync(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0));
  if (typeof f === 'number') return f;
  if (isStream(f)) return -E.EINVAL;
  const w = fileSync(t, f);
  const r = f.fsync();
  return w < 0 ? w : r;
}

export const SYNC_SYSCALLS: readonly SyscallSpec[] = [
  ['ftruncate', ['fd', 'off'], ftruncate],
  ['fsync', ['fd'], fsync],
  ['fdatasync', ['fd'], fsync],
];
