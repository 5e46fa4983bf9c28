export { EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, type EpollEvent, epollCtl, opHasEvent } from './ctl.js';
export {
  EPITEM_COST,
  EPOLL_COST,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLONESHOT,
  EPOLLWAKEUP,
  EpollFile,
  type EpollItem,
  type EventSink,
  newEpoll,
} from './epoll.js';
export { epollRelease } from './links.js';
