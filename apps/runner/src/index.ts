// @tsv/runner: the tsv command line and the Sandbox API.
export { detectFlavor, formatDoctor, runDoctor, type Capability, type DoctorReport, type KvmFlavor } from './doctor.js';
export { runHello } from './hello.js';
export { main } from './cli.js';
export {
  type ExecOptions,
  type ExecProcess,
  type ExecStatus,
  type OutputMode,
  Sandbox,
  SandboxError,
  type SandboxOptions,
  type SandboxResult,
} from './sandbox.js';
export { SandboxPool, type SandboxPoolOptions } from './sandbox-pool.js';
export type { LimitOptions } from './limits.js';
export { type LimitName, type RunReport, type Verdict, verdictOf } from './report.js';
export { parseSize } from './size.js';
