// Every system call the Sentry implements, in one table.
import { CLONE_SYSCALLS } from './clone.js';
import { EXEC_SYSCALLS } from './exec.js';
import { FS_SYSCALLS } from './fs/index.js';
import { FUTEX_SYSCALLS } from './futex.js';
import { ITIMER_SYSCALLS } from './itimer.js';
import { MISC_SYSCALLS } from './misc.js';
import { MM_SYSCALLS } from './mm.js';
import { PIDFD_SYSCALLS } from './pidfd.js';
import { PROCESS_SYSCALLS } from './process.js';
import { SIGNAL_SYSCALLS } from './signal.js';
import { SOCKET_MSG_SYSCALLS } from './socket-msg.js';
import { SOCKET_SYSCALLS } from './socket.js';
import { SyscallTable } from '../kernel/syscall-table.js';
import { TIME_SYSCALLS } from './time.js';
import { WAIT_SYSCALLS } from './wait.js';

export function buildSyscallTable(): SyscallTable {
  return new SyscallTable()
    .add(MM_SYSCALLS)
    .add(FS_SYSCALLS)
    .add(PROCESS_SYSCALLS)
    .add(TIME_SYSCALLS)
    .add(ITIMER_SYSCALLS)
    .add(SIGNAL_SYSCALLS)
    .add(FUTEX_SYSCALLS)
    .add(MISC_SYSCALLS)
    .add(CLONE_SYSCALLS)
    .add(EXEC_SYSCALLS)
    .add(WAIT_SYSCALLS)
    .add(PIDFD_SYSCALLS)
    .add(SOCKET_SYSCALLS)
    .add(SOCKET_MSG_SYSCALLS);
}
