// @tsv/platform: the interface between the Sentry and whatever runs its tasks.
export * from './platform.js';
export { Reg, type RegName, REG_COUNT, Registers, REGISTERS_SIZE, SYSCALL_ARGS } from './registers.js';
export { signalForVector, SIGBUS, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGTRAP } from './signals.js';
