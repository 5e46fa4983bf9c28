export { SYSCALL_NAMES } from '../kernel/syscall-names.js';
export {
  type ArgKind,
  type RetKind,
  type SyscallDef,
  type SyscallHandler,
  type SyscallSpec,
  SyscallTable,
} from '../kernel/syscall-table.js';
