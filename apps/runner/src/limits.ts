// The Sandbox's limits, checked and turned into numbers once: an invalid
// one is a SandboxError (status 125) naming the option, before any VM is
// made. The command line's flags of the same names parse into these.
import { SandboxError } from './sandbox-error.js';
import { parseSize } from './size.js';

/** The limits as SandboxOptions gives them (sizes as bytes or '512M'). */
export interface LimitOptions {
  memory?: number | string;
  timeoutMs?: number;
  cpuTimeMs?: number;
  pids?: number;
  maxOutput?: number | string;
  fileSize?: number | string;
  openFiles?: number;
  stack?: number | string;
}

/** Every limit in bytes, milliseconds or a count; absent: unlimited (memory has its default). */
export interface Limits {
  memory: number;
  timeoutMs?: number;
  cpuTimeMs?: number;
  pids?: number;
  maxOutput?: number;
  fileSize?: number;
  openFiles?: number;
  stack?: number;
}

/** The default memory limit. */
export const DEFAULT_MEMORY = 1 << 30;
/** sysctl fs.nr_open as the Sentry sets it: the most descriptors a process may be allowed. */
const NR_OPEN = 1 << 16;

export function checkLimits(o: LimitOptions): Limits {
  const memory = size('memory', o.memory) ?? DEFAULT_MEMORY;
  if (memory < 1 << 20) throw invalid('memory', o.memory, 'at least 1M');
  return {
    memory,
    timeoutMs: positive('timeoutMs', o.timeoutMs),
    cpuTimeMs: positive('cpuTimeMs', o.cpuTimeMs),
    pids: count('pids', o.pids, Infinity),
    maxOutput: size('maxOutput', o.maxOutput),
    fileSize: size('fileSize', o.fileSize),
    openFiles: count('openFiles', o.openFiles, NR_OPEN),
    stack: size('stack', o.stack),
  };
}

function invalid(name: string, value: unknown, want: string): SandboxError {
  return new SandboxError(`invalid ${name}: ${String(value)} (expected ${want})`, 125);
}

function size(name: string, value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' ? parseSize(value) : value;
  if (!(Number.isFinite(n) && n >= 0)) throw invalid(name, value, "a size in bytes or such as '64M'");
  return Math.floor(n);
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw invalid(name, value, 'a positive number of ms');
  return value;
}

function count(name: string, value: number | undefined, max: number): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= max))
    throw invalid(name, value, `a whole number from 1${max === Infinity ? '' : ` to ${max}`}`);
  return value;
}
