// An inotify instance (Linux fs/notify/inotify/): watches on inodes, each
// with a mask and a descriptor number (wd), and the queue of events a read
// returns as struct inotify_event records.
//
// Events arrive from the VFS (../../vfs/notify.ts) through the sandbox's
// hub (hub.ts). An event is queued for a watch whose mask has one of its
// bits; an event identical to the last one queued is dropped (Linux's
// inotify_merge); past MAX_QUEUED events one IN_Q_OVERFLOW (wd -1) ends the
// queue until it is read. IN_ONESHOT removes the watch after its first
// event; a removed watch (inotify_rm_watch, IN_DELETE_SELF) queues
// IN_IGNORED. A read needs room for the first record (EINVAL) and returns
// as many whole records as fit; with none it would block (EAGAIN, the
// stream protocol). Readiness: POLLIN|POLLRDNORM while events are queued.
//
// Memory: the instance, each watch and each queued event (with its name)
// are charged to the sandbox's account; a watch or event that does not fit
// is ENOMEM / an overflow.
import { E } from '../../errno.js';
import type { MemoryAccount } from '../../mm/account.js';
import { type FsEvent, IN_DELETE_SELF, IN_ISDIR, O_RDONLY, toBytes } from '../../vfs/index.js';
import { AnonStream } from '../anon.js';

export const IN_IGNORED = 0x8000;
export const IN_Q_OVERFLOW = 0x4000;
export const IN_ONLYDIR = 0x100_0000;
export const IN_DONT_FOLLOW = 0x200_0000;
export const IN_EXCL_UNLINK = 0x400_0000;
export const IN_MASK_CREATE = 0x1000_0000;
export const IN_MASK_ADD = 0x2000_0000;
export const IN_ONESHOT = 0x8000_0000;
/** Every event a watch can ask for. */
export const IN_ALL_EVENTS = 0xfff;
/** Linux's fs.inotify.max_queued_events default. */
export const MAX_QUEUED = 16384;
/** Host bytes charged per instance, per watch, and per event beyond its name. */
export const INOTIFY_COST = 1024;
export const WATCH_COST = 256;
const EVENT_COST = 64;
/** sizeof(struct inotify_event): wd, mask, cookie, len; the name follows. */
const HEADER = 16;

interface Watch {
  wd: number;
  key: string;
  mask: number;
}

interface Queued {
  wd: number;
  mask: number;
  cookie: number;
  name: Uint8Array | null;
}

/** Where instances register the inodes they watch (the sandbox's hub). */
export interface WatchRegistry {
  add(key: string, i: Inotify): void;
  remove(key: string, i: Inotify): void;
}

/** The record length of an event: the header, then the name NUL-padded to a multiple of 16 (Linux's round_event_name_len). */
function recordSize(e: Queued): number {
  return HEADER + (e.name === null ? 0 : Math.ceil((e.name.length + 1) / HEADER) * HEADER);
}

export class Inotify extends AnonStream {
  readonly anonName = 'inotify';
  readonly #byWd = new Map<number, Watch>();
  readonly #byKey = new Map<string, Watch>();
  readonly #queue: Queued[] = [];
  #nextWd = 1;
  #charged = 0;
  readonly #registry: WatchRegistry;
  readonly #account: MemoryAccount | null;

  constructor(flags: number, registry: WatchRegistry, account: MemoryAccount | null) {
    super(O_RDONLY | flags);
    this.#registry = registry;
    this.#account = account;
  }

  /**
   * inotify_add_watch on the inode `key`: a new watch (its wd), or the
   * existing one with `mask` replacing its own (or added to it with
   * IN_MASK_ADD; EEXIST with IN_MASK_CREATE). ENOMEM past the account.
   */
  addWatch(key: string, mask: number): number {
    const have = this.#byKey.get(key);
    if (have !== undefined) {
      if (mask & IN_MASK_CREATE) return -E.EEXIST;
      have.mask = mask & IN_MASK_ADD ? have.mask | (mask & ~IN_MASK_ADD) : mask;
      return have.wd;
    }
    if (!this.#charge(WATCH_COST)) return -E.ENOMEM;
    const w: Watch = { wd: this.#nextWd++, key, mask };
    this.#byWd.set(w.wd, w);
    this.#byKey.set(key, w);
    this.#registry.add(key, this);
    return w.wd;
  }

  /** inotify_rm_watch: EINVAL for a wd this instance does not have; queues IN_IGNORED. */
  removeWatch(wd: number): number {
    const w = this.#byWd.get(wd);
    if (w === undefined) return -E.EINVAL;
    this.#drop(w);
    return 0;
  }

  #drop(w: Watch): void {
    this.#byWd.delete(w.wd);
    this.#byKey.delete(w.key);
    this.#registry.remove(w.key, this);
    this.#uncharge(WATCH_COST);
    this.#push({ wd: w.wd, mask: IN_IGNORED, cookie: 0, name: null });
  }

  /** An event on an inode this instance watches (`key`), with the entry name when it came through the watched directory. */
  deliver(key: string, e: FsEvent, name: string | null): void {
    const w = this.#byKey.get(key);
    if (w === undefined) return;
    const wanted = (w.mask & e.mask & IN_ALL_EVENTS) !== 0;
    if (wanted)
      this.#push({ wd: w.wd, mask: (e.mask & (w.mask | IN_ISDIR)) >>> 0, cookie: e.cookie, name: name === null ? null : toBytes(name) });
    // The inode is gone: its watch goes whatever it asked for.
    if ((wanted && w.mask & IN_ONESHOT) || (name === null && e.mask & IN_DELETE_SELF)) this.#drop(w);
  }

  #push(e: Queued): void {
    const q = this.#queue;
    const last = q[q.length - 1];
    if (last !== undefined && last.mask === IN_Q_OVERFLOW) return;
    if (last !== undefined && sameEvent(last, e)) return;
    const cost = EVENT_COST + (e.name?.length ?? 0);
    if (q.length >= MAX_QUEUED - 1 || !this.#charge(cost)) {
      if (!this.#charge(EVENT_COST)) return;
      q.push({ wd: -1, mask: IN_Q_OVERFLOW, cookie: 0, name: null });
    } else {
      q.push(e);
    }
    this.notify();
  }

  protected override readAt(buf: Uint8Array, len: number): number {
    const q = this.#queue;
    if (q.length === 0) return -E.EAGAIN;
    if (recordSize(q[0]!) > len) return -E.EINVAL;
    const v = new DataView(buf.buffer, buf.byteOffset, len);
    let at = 0;
    while (q.length > 0) {
      const e = q[0]!;
      const size = recordSize(e);
      if (at + size > len) break;
      v.setInt32(at, e.wd, true);
      v.setUint32(at + 4, e.mask, true);
      v.setUint32(at + 8, e.cookie, true);
      v.setUint32(at + 12, size - HEADER, true);
      buf.fill(0, at + HEADER, at + size);
      if (e.name !== null) buf.set(e.name, at + HEADER);
      at += size;
      q.shift();
      this.#uncharge(EVENT_COST + (e.name?.length ?? 0));
    }
    return at;
  }

  /** Bytes a read could return now (FIONREAD). */
  get pendingBytes(): number {
    let n = 0;
    for (const e of this.#queue) n += recordSize(e);
    return n;
  }

  override pollReadyRead(): boolean {
    return this.#queue.length > 0;
  }

  /** Linux's inotify_fdinfo: one line per watch (without the file handle). */
  fdinfo(): string {
    let s = '';
    for (const w of this.#byWd.values()) {
      const [dev, ino] = w.key.split(':').map(Number) as [number, number];
      s += `inotify wd:${w.wd} ino:${ino.toString(16)} sdev:${dev.toString(16)} mask:${(w.mask >>> 0).toString(16)} ignored_mask:0\n`;
    }
    return s;
  }

  #charge(n: number): boolean {
    if (this.#account !== null && !this.#account.charge(n)) return false;
    this.#charged += n;
    return true;
  }

  #uncharge(n: number): void {
    this.#account?.uncharge(n);
    this.#charged -= n;
  }

  /** The watches go without IN_IGNORED (nobody can read them); everything charged goes back. */
  protected override release(): void {
    for (const w of this.#byWd.values()) this.#registry.remove(w.key, this);
    this.#byWd.clear();
    this.#byKey.clear();
    this.#queue.length = 0;
    this.#account?.uncharge(this.#charged + INOTIFY_COST);
    this.#charged = 0;
  }
}

function sameEvent(a: Queued, b: Queued): boolean {
  if (a.wd !== b.wd || a.mask !== b.mask || a.cookie !== b.cookie) return false;
  if (a.name === null || b.name === null) return a.name === b.name;
  return a.name.length === b.name.length && a.name.every((c, i) => c === b.name![i]);
}

/** A new instance; -ENOMEM when `account` cannot take INOTIFY_COST more. */
export function newInotify(flags: number, registry: WatchRegistry, account?: MemoryAccount): Inotify | number {
  if (account && !account.charge(INOTIFY_COST)) return -E.ENOMEM;
  return new Inotify(flags, registry, account ?? null);
}
