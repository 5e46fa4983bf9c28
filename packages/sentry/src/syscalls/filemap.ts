// Open files as the memory manager maps them, and the page-cache side of
// file I/O: write(), read(), truncation and fsync of a file whose frames
// MAP_SHARED mappings hold (../mm/filecache.ts) must agree with them. While
// no shared file mapping exists each hook costs one size check.
//
// Frames are shared per file: by the (dev, ino) the description's stat()
// reports, stable for an open file (an overlay copy-up keeps the inode
// number), so two opens of one file share them as two mappings of one open do.
import { E } from '../errno.js';
import { isMemfd } from '../fd/memfd.js';
import { hold, release } from '../kernel/fdtable.js';
import type { Task } from '../kernel/task.js';
import { type FileKey, type FilePages, fileKey, type MappedFile, MemoryManager } from '../mm/index.js';
import { type FileDescription, O_APPEND, S_IFMT, S_IFREG, type Stat } from '../vfs/index.js';

const wrappers = new WeakMap<FileDescription, MappedFile>();
const keys = new WeakMap<FileDescription, FileKey | null>();

/**
 * `f` as the memory manager maps it (a regular file, else -ENODEV): one
 * object per description, so mappings through one description merge and a
 * shared mapping keeps it open after close(2) (hold/release).
 */
export function mappedFile(f: FileDescription): MappedFile | number {
  const st = f.stat();
  if (typeof st === 'number') return st;
  if ((st.mode & S_IFMT) !== S_IFREG) return -E.ENODEV;
  let m = wrappers.get(f);
  if (m === undefined) {
    m = {
      name: f.location?.path ?? 'anon_inode',
      dev: st.dev,
      ino: st.ino,
      readable: f.readable,
      writable: f.writable,
      pread: (buf, len, off) => f.pread(buf, len, off),
      pwrite: (buf, len, off) => positionalWrite(f, buf, len, off),
      size: () => {
        const s = f.stat();
        return typeof s === 'number' ? s : s.size;
      },
      version: () => {
        const s = f.stat();
        return typeof s === 'number' ? undefined : `${s.size}:${s.mtimeSec}:${s.mtimeNsec}`;
      },
      sync: () => f.fsync(),
      hold: () => hold(f),
      release: () => {
        release(f);
      },
    };
    if (isMemfd(f)) {
      const node = f.node;
      m.writeSealed = () => node.writeSealed;
      m.sharedWriters = (delta) => {
        node.writableMaps += delta;
      };
    }
    wrappers.set(f, m);
  }
  return m;
}

/** Write-back goes to the page's own offset: O_APPEND (which makes pwrite append) does not apply, as on Linux. */
function positionalWrite(f: FileDescription, buf: Uint8Array, len: number, off: number): number {
  const flags = f.flags;
  f.flags = flags & ~O_APPEND;
  try {
    return f.pwrite(buf, len, off);
  } finally {
    f.flags = flags;
  }
}

/** The shared pages of the file `f` is open on, if some mapping holds any. */
function pagesOf(t: Task, f: FileDescription): FilePages | undefined {
  const mm = t.mm;
  if (!(mm instanceof MemoryManager) || mm.pageCache.size === 0) return undefined;
  let key = keys.get(f);
  if (key === undefined) {
    const st = f.stat();
    if (typeof st === 'number') return undefined;
    key = (st.mode & S_IFMT) === S_IFREG ? fileKey(st.dev, st.ino) : null;
    keys.set(f, key);
  }
  return key === null ? undefined : mm.pageCache.get(key);
}

/** write() stored `data` in the file at `offset` (null: where the file offset now ends it): mappings see it. */
export function fileWritten(t: Task, f: FileDescription, offset: number | null, data: Uint8Array): void {
  const fp = pagesOf(t, f);
  if (fp === undefined) return;
  let at = offset ?? f.pos - data.length;
  if ((f.flags & O_APPEND) !== 0) {
    const st = f.stat();
    if (typeof st === 'number') return;
    at = st.size - data.length;
  }
  fp.written(at, data);
}

/** read() got `n` bytes of the file at `offset` (null: where the file offset now ends them) into `buf`: stores through mappings show. */
export function fileRead(t: Task, f: FileDescription, offset: number | null, buf: Uint8Array, n: number): void {
  pagesOf(t, f)?.overlay(offset ?? f.pos - n, buf, n);
}

/** `f`'s file was truncated (ftruncate, open with O_TRUNC): mapped pages past its end go. */
export function fileResized(t: Task, f: FileDescription): void {
  const fp = pagesOf(t, f);
  if (fp === undefined) return;
  const st = f.stat();
  if (typeof st !== 'number') fp.truncated(st.size);
}

/** truncate(2) resized the file `stat` describes (called only when some shared file mapping exists). */
export function pathResized(t: Task, stat: () => Stat | number): void {
  const mm = t.mm;
  if (!(mm instanceof MemoryManager) || mm.pageCache.size === 0) return;
  const st = stat();
  if (typeof st !== 'number') mm.pageCache.get(fileKey(st.dev, st.ino))?.truncated(st.size);
}

/** fsync(2): stores through shared mappings of the file reach it first; 0 or the write-back error. */
export function fileSync(t: Task, f: FileDescription): number {
  return pagesOf(t, f)?.writeback(0, Infinity, wrappers.get(f) ?? null) ?? 0;
}
