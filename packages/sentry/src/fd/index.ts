export { HostOutput, HostOutputs } from './host-output.js';
export { newPipe, PIPE_BUF, PIPE_CAPACITY, PipeEnd } from './pipe.js';
export { isStream, StreamDescription } from './stream.js';
export { EFD_SEMAPHORE, EventFd, newEventFd } from './eventfd.js';
export * from './epoll/index.js';
export { DEFAULT_POLLMASK, isPollable, type Pollable, readinessOf, Watchers } from './readiness.js';
