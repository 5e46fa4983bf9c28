// Which epoll items watch a file (Linux's file->f_ep): an item holds its
// file without keeping it open, so when the file's last reference goes
// (FdTable's release, Linux's __fput), epollRelease removes it from every
// set before the file is closed. A file nobody watches costs one WeakMap
// look-up there.
import type { FileDescription } from '../../vfs/index.js';
import type { EpollItem } from './epoll.js';

const links = new WeakMap<FileDescription, Set<EpollItem>>();

export function link(item: EpollItem): void {
  let s = links.get(item.file);
  if (s === undefined) links.set(item.file, (s = new Set()));
  s.add(item);
}

export function unlink(item: EpollItem): void {
  const s = links.get(item.file);
  if (s === undefined) return;
  s.delete(item);
  if (s.size === 0) links.delete(item.file);
}

/** The items watching `f`, in every epoll set. */
export function watchersOf(f: FileDescription): ReadonlySet<EpollItem> {
  return links.get(f) ?? new Set();
}

/** `f` is being closed: it leaves every epoll set that holds it. */
export function epollRelease(f: FileDescription): void {
  const s = links.get(f);
  if (s === undefined) return;
  for (const item of [...s]) item.epoll.remove(item);
}
