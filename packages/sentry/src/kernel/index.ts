export { SyscallArgs, USER_ADDRESS_LIMIT } from './args.js';
export { DEFAULT_NOFILE, FdTable } from './fdtable.js';
export { Kernel, type KernelOptions, type KernelStats, TICK_NS } from './kernel.js';
export { type InitSignalRule, signalFromHost } from './host-signal.js';
export { CORE_SIGNALS, NSIG, type SigAction, type SigInfo, SIG_DFL, SIG_IGN, SIGKILL, SignalState, sendSignal } from './signals.js';
export { HostFileInput, InputStream, type OutputSink, OutputStream } from './stdio.js';
export { formatCall, formatResult, quote } from './strace.js';
export {
  type Credentials,
  type ExitStatus,
  type FsContext,
  type Rlimit,
  Task,
  type TaskMemory,
} from './task.js';
export type { UserMemory } from './usercopy.js';
