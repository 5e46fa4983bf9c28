// The inotify side of one sandbox's filesystem events: which instances
// watch which inode, and the dispatch of each event (../../vfs/notify.ts)
// to them — to the watches of the directory it came through (with the
// entry's name) first, then to those of the inode itself, as Linux's
// fsnotify_handle_event. The hub listens to the VFS only while some watch
// exists, so a sandbox without inotify pays nothing.
import type { FsEvent, FsEvents, FsListener } from '../../vfs/index.js';
import type { Inotify, WatchRegistry } from './inotify.js';

export class InotifyHub implements FsListener, WatchRegistry {
  readonly #watchers = new Map<string, Set<Inotify>>();
  readonly #events: FsEvents;

  constructor(events: FsEvents) {
    this.#events = events;
  }

  add(key: string, i: Inotify): void {
    let set = this.#watchers.get(key);
    if (set === undefined) this.#watchers.set(key, (set = new Set()));
    set.add(i);
    this.#events.listener = this;
  }

  remove(key: string, i: Inotify): void {
    const set = this.#watchers.get(key);
    if (set === undefined) return;
    set.delete(i);
    if (set.size === 0) this.#watchers.delete(key);
    if (this.#watchers.size === 0 && this.#events.listener === this) this.#events.listener = null;
  }

  event(e: FsEvent): void {
    if (e.dir !== null) for (const i of [...(this.#watchers.get(e.dir) ?? [])]) i.deliver(e.dir, e, e.name);
    if (e.target !== null) for (const i of [...(this.#watchers.get(e.target) ?? [])]) i.deliver(e.target, e, null);
  }
}

const hubs = new WeakMap<FsEvents, InotifyHub>();

/** The hub of the namespace whose events are `events`. */
export function inotifyHub(events: FsEvents): InotifyHub {
  let h = hubs.get(events);
  if (h === undefined) hubs.set(events, (h = new InotifyHub(events)));
  return h;
}
