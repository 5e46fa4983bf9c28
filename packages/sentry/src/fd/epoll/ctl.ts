// epoll_ctl's rules, in the order Linux's do_epoll_ctl checks them once both
// descriptors are known: a file without readiness (a regular file, a
// directory, /dev/null) is EPERM; a set cannot hold itself and the first
// descriptor must be a set (EINVAL); EPOLLEXCLUSIVE is for ADD only, never
// on a set, and only with IN/OUT/ERR/HUP/WAKEUP/ET (EINVAL); a set whose
// addition would make a cycle or too deep a chain is ELOOP; then ADD of a
// held item is EEXIST, MOD or DEL of a missing one ENOENT, MOD of an
// EPOLLEXCLUSIVE item and an unknown op EINVAL. EPOLLERR and EPOLLHUP are
// always reported; EPOLLWAKEUP is accepted (there is no suspend to hold off).
import { E } from '../../errno.js';
import type { FileDescription } from '../../vfs/index.js';
import { isPollable, POLLERR, POLLHUP, POLLIN, POLLOUT } from '../readiness.js';
import { ALWAYS_EVENTS, EPOLLET, EPOLLEXCLUSIVE, EPOLLWAKEUP, EpollFile } from './epoll.js';
import { wouldLoop } from './nesting.js';

export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;

const EXCLUSIVE_OK_BITS = POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

/** struct epoll_event: the events word (unsigned 32-bit) and the caller's 64-bit data. */
export interface EpollEvent {
  readonly events: number;
  readonly data: bigint;
}

/** Does `op` carry an event (every op but DEL, unknown ones too, as Linux reads it)? */
export function opHasEvent(op: number): boolean {
  return op !== EPOLL_CTL_DEL;
}

/** Applies `op` for (`target`, `fd`) to the set `epfile`; `ev` is given when opHasEvent(op). Returns 0 or a negative errno. */
export function epollCtl(epfile: FileDescription, op: number, target: FileDescription, fd: number, ev: EpollEvent | null): number {
  if (!isPollable(target)) return -E.EPERM;
  if (epfile === target || !(epfile instanceof EpollFile)) return -E.EINVAL;
  const events = ev?.events ?? 0;
  const data = ev?.data ?? 0n;
  if ((events & EPOLLEXCLUSIVE) !== 0) {
    if (op === EPOLL_CTL_MOD) return -E.EINVAL;
    if (op === EPOLL_CTL_ADD && (target instanceof EpollFile || (events & ~EXCLUSIVE_OK_BITS) !== 0)) return -E.EINVAL;
  }
  if (op === EPOLL_CTL_ADD && target instanceof EpollFile && wouldLoop(epfile, target)) return -E.ELOOP;
  const item = epfile.find(target, fd);
  const asked = (events & ~EPOLLWAKEUP) | ALWAYS_EVENTS;
  switch (op) {
    case EPOLL_CTL_ADD:
      return item === undefined ? epfile.add(target, fd, asked, data) : -E.EEXIST;
    case EPOLL_CTL_DEL:
      if (item === undefined) return -E.ENOENT;
      epfile.remove(item);
      return 0;
    case EPOLL_CTL_MOD:
      if (item === undefined) return -E.ENOENT;
      if ((item.events & EPOLLEXCLUSIVE) !== 0) return -E.EINVAL;
      epfile.modify(item, asked, data);
      return 0;
    default:
      return -E.EINVAL;
  }
}
