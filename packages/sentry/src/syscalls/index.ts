export { SYSCALL_NAMES } from './names.js';
export { type ArgKind, type RetKind, type SyscallDef, type SyscallHandler, type SyscallSpec, SyscallTable } from './table.js';
