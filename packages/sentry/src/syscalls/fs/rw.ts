// read, write and their vector, positional and file-to-file forms; lseek.
import { E } from '../../errno.js';
import { isStream } from '../../fd/stream.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import { O_APPEND } from '../../vfs/index.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import { fileOf } from './common.js';
import { MAX_RW_COUNT, oneSegment, readInto, readIovecs, type Segment, segmentSource, type Source, writeFrom } from './transfer.js';

type Dir = 'read' | 'write';

/** Decodes the buffer arguments at 1 and 2: one buffer (read/write) or an iovec array (readv/writev). */
function segments(t: Task, a: SyscallArgs, vector: boolean): Segment[] | number {
  if (vector) return readIovecs(t.mm, a.ptr(1), a.size(2));
  return oneSegment(a.ptr(1), a.size(2));
}

/** Checks the access mode first, so EBADF comes before EFAULT as on Linux. */
function transfer(t: Task, a: SyscallArgs, dir: Dir, vector: boolean, offset: number | null): number | Promise<number> {
  const f = fileOf(t, a.int(0));
  if (typeof f === 'number') return f;
  if (dir === 'read' ? !f.readable : !f.writable) return -E.EBADF;
  if (offset !== null && offset < 0) return -E.EINVAL;
  const segs = segments(t, a, vector);
  if (typeof segs === 'number') return segs;
  return dir === 'read' ? readInto(t, f, segs, offset) : writeFrom(t, f, segmentSource(t.mm, segs), offset);
}

const read = (t: Task, a: SyscallArgs) => transfer(t, a, 'read', false, null);
const write = (t: Task, a: SyscallArgs) => transfer(t, a, 'write', false, null);
const readv = (t: Task, a: SyscallArgs) => transfer(t, a, 'read', true, null);
const writev = (t: Task, a: SyscallArgs) => transfer(t, a, 'write', true, null);
const pread64 = (t: Task, a: SyscallArgs) => transfer(t, a, 'read', false, a.i64(3));
const pwrite64 = (t: Task, a: SyscallArgs) => transfer(t, a, 'write', false, a.i64(3));
// x86-64 passes the whole offset in pos_l (argument 3); pos_h is unused.
const preadv = (t: Task, a: SyscallArgs) => transfer(t, a, 'read', true, a.i64(3));
const pwritev = (t: Task, a: SyscallArgs) => transfer(t, a, 'write', true, a.i64(3));

function lseek(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0));
  if (typeof f === 'number') return f;
  return f.lseek(a.i64(1), a.uint(2));
}

/**
 * sendfile(out, in, offset*, count): `in` must be a file with an offset
 * (not a stream); with `offset` the input's own offset is left alone and
 * *offset advances instead.
 */
function sendfile(t: Task, a: SyscallArgs): number | Promise<number> {
  const out = fileOf(t, a.int(0));
  const inp = fileOf(t, a.int(1));
  if (typeof out === 'number') return out;
  if (typeof inp === 'number') return inp;
  if (!inp.readable || !out.writable) return -E.EBADF;
  if (out.flags & O_APPEND || isStream(inp)) return -E.EINVAL;
  const offPtr = a.ptr(2);
  if (offPtr < 0) return -E.EFAULT;
  let pos: number | null = null;
  if (offPtr !== 0) {
    const b = new Uint8Array(8);
    if (t.mm.copyIn(offPtr, b) < 0) return -E.EFAULT;
    pos = Number(new DataView(b.buffer).getBigInt64(0, true));
    if (pos < 0 || !Number.isSafeInteger(pos)) return -E.EINVAL;
  }
  const start = pos;
  let consumed = 0;
  const src: Source = {
    total: Math.min(a.size(3), MAX_RW_COUNT),
    take: (_at, buf, n) => {
      const got = start === null ? inp.read(buf, n) : inp.pread(buf, n, start + consumed);
      if (got > 0) consumed += got;
      return got;
    },
    untake: (n) => {
      consumed -= n;
      if (start === null) inp.pos -= n;
    },
  };
  const finish = (r: number): number => {
    // A task that exited while the call waited has no memory left to write *offset to.
    if (start === null || r < 0 || t.exited) return r;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(start + consumed), true);
    return t.mm.copyOut(offPtr, b) < 0 ? -E.EFAULT : r;
  };
  const r = writeFrom(t, out, src, null);
  return typeof r === 'number' ? finish(r) : r.then(finish);
}

export const RW_SYSCALLS: readonly SyscallSpec[] = [
  ['read', ['fd', 'outbuf', 'size'], read],
  ['write', ['fd', 'inbuf', 'size'], write],
  ['readv', ['fd', 'ptr', 'int'], readv],
  ['writev', ['fd', 'ptr', 'int'], writev],
  ['pread64', ['fd', 'outbuf', 'size', 'off'], pread64],
  ['pwrite64', ['fd', 'inbuf', 'size', 'off'], pwrite64],
  ['preadv', ['fd', 'ptr', 'int', 'off'], preadv],
  ['pwritev', ['fd', 'ptr', 'int', 'off'], pwritev],
  ['lseek', ['fd', 'off', 'whence'], lseek],
  ['sendfile', ['fd', 'fd', 'ptr', 'size'], sendfile],
];
