// RLIMIT_FSIZE: no write or truncate makes a regular file larger than the
// process's soft limit, as Linux's generic_write_check_limits and
// inode_newsize_ok: a write starting at or past the limit, or a truncate
// past it, gets SIGXFSZ (sent to the thread, as send_sig does) and EFBIG; a
// write crossing it is cut short at it. Pipes, terminals and devices are not
// limited. Unlimited (the default), it costs one map lookup per call.
import { E } from '../../errno.js';
import { getRlimitOf, RLIMIT_FSIZE } from '../../kernel/rlimit.js';
import { SI_USER, sendSignal } from '../../kernel/signals.js';
import type { Task } from '../../kernel/task.js';
import { type FileDescription, O_APPEND, S_IFMT, S_IFREG } from '../../vfs/index.js';

const SIGXFSZ = 25;

function tooBig(t: Task): number {
  sendSignal(t, { signo: SIGXFSZ, code: SI_USER, pid: t.pid, uid: t.creds.uid });
  return -E.EFBIG;
}

/**
 * How many bytes a write of `want` bytes to `f` at `offset` (null: the file
 * offset, or its end with O_APPEND) may write: `want`, fewer, or -EFBIG
 * (SIGXFSZ sent) when it starts at or past the limit.
 */
export function writeRoom(t: Task, f: FileDescription, offset: number | null, want: number): number {
  const limit = getRlimitOf(t.group, RLIMIT_FSIZE).cur;
  if (limit === Infinity) return want;
  const size = limitedSize(f);
  if (size < 0) return want;
  const at = (f.flags & O_APPEND) !== 0 ? size : (offset ?? f.pos);
  if (at >= limit) return tooBig(t);
  return Math.min(want, limit - at);
}

/**
 * 0 when truncating to `length` keeps within the limit (or `f`, given for
 * ftruncate, is no writable regular file: its own error comes first); else
 * SIGXFSZ is sent and -EFBIG returned.
 */
export function checkNewSize(t: Task, length: number, f?: FileDescription): number {
  if (length <= getRlimitOf(t.group, RLIMIT_FSIZE).cur) return 0;
  return f !== undefined && limitedSize(f) < 0 ? 0 : tooBig(t);
}

/** The size of `f` when the limit applies to it (a regular file open for writing), else -1. */
function limitedSize(f: FileDescription): number {
  if (!f.writable) return -1;
  const st = f.stat();
  return typeof st === 'number' || (st.mode & S_IFMT) !== S_IFREG ? -1 : st.size;
}
