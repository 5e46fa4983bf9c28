// The file, descriptor and filesystem system calls.
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import { DIR_SYSCALLS } from './dir.js';
import { DUP_SYSCALLS } from './dup.js';
import { EPOLL_SYSCALLS } from './epoll.js';
import { EVENTFD_SYSCALLS } from './eventfd.js';
import { INOTIFY_SYSCALLS } from './inotify.js';
import { IOCTL_SYSCALLS } from './ioctl.js';
import { MEMFD_SYSCALLS } from './memfd.js';
import { NAME_SYSCALLS } from './names.js';
import { OPEN_SYSCALLS } from './open.js';
import { PIPE_SYSCALLS } from './pipe.js';
import { POLL_SYSCALLS } from './poll.js';
import { RW_SYSCALLS } from './rw.js';
import { SIGNALFD_SYSCALLS } from './signalfd.js';
import { SPLICE_SYSCALLS } from './splice.js';
import { STAT_SYSCALLS } from './stat.js';
import { TIMERFD_SYSCALLS } from './timerfd.js';
import { SYNC_SYSCALLS } from './sync.js';
import { XATTR_SYSCALLS } from './xattr.js';

export const FS_SYSCALLS: readonly SyscallSpec[] = [
  ...RW_SYSCALLS,
  ...OPEN_SYSCALLS,
  ...DUP_SYSCALLS,
  ...IOCTL_SYSCALLS,
  ...STAT_SYSCALLS,
  ...NAME_SYSCALLS,
  ...DIR_SYSCALLS,
  ...PIPE_SYSCALLS,
  ...SYNC_SYSCALLS,
  ...POLL_SYSCALLS,
  ...XATTR_SYSCALLS,
  ...EPOLL_SYSCALLS,
  ...EVENTFD_SYSCALLS,
  ...TIMERFD_SYSCALLS,
  ...SIGNALFD_SYSCALLS,
  ...MEMFD_SYSCALLS,
  ...INOTIFY_SYSCALLS,
  ...SPLICE_SYSCALLS,
];
