// ftruncate, fsync, fdatasync: operations on an open file's contents.
import { E } from '../../errno.js';
import { isStream } from '../../fd/stream.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import type { SyscallSpec } from '../table.js';
import { fileOf } from './common.js';

function ftruncate(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0));
  if (typeof f === 'number') return f;
  const len = a.i64(1);
  return len < 0 ? -E.EINVAL : f.truncate(len);
}

/** fsync/fdatasync: there is no cache of our own to flush; pipes and sockets cannot be synced (EINVAL). */
function fsync(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0));
  if (typeof f === 'number') return f;
  return isStream(f) ? -E.EINVAL : f.fsync();
}

export const SYNC_SYSCALLS: readonly SyscallSpec[] = [
  ['ftruncate', ['fd', 'off'], ftruncate],
  ['fsync', ['fd'], fsync],
  ['fdatasync', ['fd'], fsync],
];
