// An epoll instance (Linux fs/eventpoll.c): an interest list of (file,
// descriptor number) items and a ready list, on the readiness mechanism of
// ../readiness.ts.
//
// Each item watches its file for as long as it is in the set (it watches
// again at every change). A change that leaves the file with an event the
// item asks for puts the item at the end of the ready list, once. A harvest
// (epoll_wait) walks the ready list in order and asks each file again:
// an item whose events are gone is dropped, the others are reported —
// level-triggered ones go back to the end of the list (so the next
// harvest asks again), edge-triggered ones (EPOLLET) wait for the next
// change of their file, and EPOLLONESHOT ones are disabled until
// EPOLL_CTL_MOD arms them again.
//
// The instance is itself Pollable (POLLIN while an item is really ready),
// so poll, select and other epoll sets can watch it. It wakes its watchers
// when an item enters the ready list, but not again until someone has
// looked at it (readiness or harvest): a file held in many nested sets
// then costs one wake-up per set per look, not one per path between them.
//
// The instance is a plain description: dup and fork share it. Items hold
// their files without keeping them open; the last close of a file removes
// it from every set (links.ts). Each item is charged EPITEM_COST and the
// instance EPOLL_COST to the sandbox's memory account: past it, ENOMEM.
import { E } from '../../errno.js';
import type { MemoryAccount } from '../../mm/account.js';
import type { FileDescription } from '../../vfs/index.js';
import { AnonDescription } from '../anon.js';
import { type Pollable, POLLERR, POLLHUP, POLLIN, POLLRDNORM, Watchers } from '../readiness.js';
import { link, unlink } from './links.js';

export const EPOLLEXCLUSIVE = 1 << 28;
export const EPOLLWAKEUP = 1 << 29;
export const EPOLLONESHOT = 1 << 30;
export const EPOLLET = 1 << 31;
/** The flag bits an item keeps when EPOLLONESHOT disables it (Linux's EP_PRIVATE_BITS). */
const PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
/** Always reported, whether asked for or not. */
export const ALWAYS_EVENTS = POLLERR | POLLHUP;

/** Host bytes charged per instance and per item. */
export const EPOLL_COST = 1024;
export const EPITEM_COST = 256;

type Watched = FileDescription & Pollable;

export interface EpollItem {
  readonly epoll: EpollFile;
  readonly file: Watched;
  readonly fd: number;
  /** The events asked for (with ALWAYS_EVENTS) and the flag bits; only the flags after a EPOLLONESHOT report. */
  events: number;
  /** epoll_data: returned as given. */
  data: bigint;
  /** Called at each change of `file`. */
  readonly changed: () => void;
  unwatch: () => void;
}

/** Receives one reported event; false when it cannot be delivered (the guest buffer faulted). */
export type EventSink = (events: number, data: bigint) => boolean;

export class EpollFile extends AnonDescription implements Pollable {
  readonly anonName = '[eventpoll]';
  readonly #interest = new Map<Watched, Map<number, EpollItem>>();
  /** In order of arrival; a Set keeps an item in it once. */
  readonly #ready = new Set<EpollItem>();
  readonly #watchers = new Watchers();
  /** The watchers were woken and nobody has looked since. */
  #unseen = false;
  readonly #account: MemoryAccount | null;
  #closed = false;

  constructor(account: MemoryAccount | null) {
    super();
    this.#account = account;
  }

  /** The item for (`file`, `fd`), if the set holds it. */
  find(file: FileDescription, fd: number): EpollItem | undefined {
    return this.#interest.get(file as Watched)?.get(fd);
  }

  /** Every item, for the nesting checks. */
  *items(): IterableIterator<EpollItem> {
    for (const byFd of this.#interest.values()) yield* byFd.values();
  }

  /** Adds (`file`, `fd`), which the set must not hold yet: 0, or -ENOMEM. */
  add(file: Watched, fd: number, events: number, data: bigint): number {
    if (this.#account && !this.#account.charge(EPITEM_COST)) return -E.ENOMEM;
    const item: EpollItem = {
      epoll: this,
      file,
      fd,
      events,
      data,
      changed: () => this.#changed(item),
      unwatch: () => {},
    };
    let byFd = this.#interest.get(file);
    if (byFd === undefined) this.#interest.set(file, (byFd = new Map()));
    byFd.set(fd, item);
    link(item);
    item.unwatch = file.watch(item.changed);
    this.#queueIfReady(item);
    return 0;
  }

  /** EPOLL_CTL_MOD: new events and data (re-arming an EPOLLONESHOT item). */
  modify(item: EpollItem, events: number, data: bigint): void {
    item.events = events;
    item.data = data;
    this.#queueIfReady(item);
  }

  /** Removes `item` from the set (EPOLL_CTL_DEL, or its file is closing). */
  remove(item: EpollItem): void {
    const byFd = this.#interest.get(item.file);
    if (byFd?.get(item.fd) !== item) return;
    byFd.delete(item.fd);
    if (byFd.size === 0) this.#interest.delete(item.file);
    this.#ready.delete(item);
    item.unwatch();
    unlink(item);
    this.#account?.uncharge(EPITEM_COST);
  }

  /**
   * Reports up to `max` ready items to `sink`, in order: how many, or
   * -EFAULT when the first could not be delivered (an item that could not
   * be delivered stays first in line, as Linux puts it back).
   */
  harvest(max: number, sink: EventSink): number {
    this.#unseen = false;
    let n = 0;
    let faulted = false;
    const again: EpollItem[] = [];
    for (const item of this.#ready) {
      if (n >= max) break;
      const revents = item.file.readiness() & item.events;
      if (revents === 0) {
        this.#ready.delete(item);
        continue;
      }
      if (!sink(revents, item.data)) {
        faulted = true;
        break;
      }
      this.#ready.delete(item);
      n++;
      if ((item.events & EPOLLONESHOT) !== 0) item.events &= PRIVATE_BITS;
      else if ((item.events & EPOLLET) === 0) again.push(item);
    }
    for (const item of again) this.#ready.add(item);
    return n === 0 && faulted ? -E.EFAULT : n;
  }

  /** POLLIN while an item is really ready; items that no longer are leave the ready list (Linux's ep_eventpoll_poll). */
  readiness(): number {
    this.#unseen = false;
    for (const item of this.#ready) {
      if ((item.file.readiness() & item.events) !== 0) return POLLIN | POLLRDNORM;
      this.#ready.delete(item);
    }
    return 0;
  }

  watch(onChange: () => void): () => void {
    return this.#watchers.add(onChange);
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const item of [...this.items()]) this.remove(item);
    this.#account?.uncharge(EPOLL_COST);
  }

  #changed(item: EpollItem): void {
    if (this.find(item.file, item.fd) !== item) return; // removed while its file was notifying
    item.unwatch = item.file.watch(item.changed);
    this.#queueIfReady(item);
  }

  #queueIfReady(item: EpollItem): void {
    if (this.#ready.has(item) || (item.file.readiness() & item.events) === 0) return;
    this.#ready.add(item);
    if (this.#unseen) return;
    this.#unseen = true;
    this.#watchers.notify();
  }
}

/** A new instance charged to `account`: -ENOMEM when it cannot take EPOLL_COST more. */
export function newEpoll(account?: MemoryAccount): EpollFile | number {
  if (account && !account.charge(EPOLL_COST)) return -E.ENOMEM;
  return new EpollFile(account ?? null);
}
