// The `tsv run` command line: tsv's options, then the program and its
// arguments — after `--`, or from the first argument that is not an option
// (so `tsv run ls -l` runs `ls -l`). Each option's value is checked here:
// a bad one is a UsageError, one line naming the option.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { checkLimits, type LimitOptions } from './limits.js';
import { SandboxError } from './sandbox-error.js';

const OPTIONS = {
  root: { type: 'string' },
  volume: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  cwd: { type: 'string' },
  memory: { type: 'string' },
  pids: { type: 'string' },
  net: { type: 'string' },
  publish: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  'cpu-time': { type: 'string' },
  'max-output': { type: 'string' },
  'file-size': { type: 'string' },
  'open-files': { type: 'string' },
  stack: { type: 'string' },
  report: { type: 'string' },
  'copy-in': { type: 'string', multiple: true },
  'copy-out': { type: 'string', multiple: true },
  strace: { type: 'boolean' },
  'strace-file': { type: 'string' },
  stats: { type: 'boolean' },
  log: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  platform: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** An error in the command line: the message names the option at fault. */
export class UsageError extends Error {}

export interface RunArgs {
  values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];
  /** The program and its arguments (empty when none was given). */
  program: string[];
}

/** Splits and parses `tsv run`'s arguments; throws UsageError. */
export function parseRunArgs(args: string[]): RunArgs {
  const at = programIndex(args);
  try {
    const { values } = parseArgs({ args: args.slice(0, at), options: OPTIONS, strict: true });
    return { values, program: args.slice(at < args.length && args[at] === '--' ? at + 1 : at) };
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** Where the program starts: the first `--`, or the first argument that is neither an option nor an option's value. */
function programIndex(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-') || a === '-') return i;
    if (a.includes('=')) continue;
    const long = a.startsWith('--') ? a.slice(2) : undefined;
    const short = long === undefined ? a.slice(1) : undefined;
    const spec =
      long !== undefined ? OPTIONS[long as keyof typeof OPTIONS] : Object.values(OPTIONS).find((o) => 'short' in o && o.short === short);
    if (spec?.type === 'string') i++; // its value
  }
  return args.length;
}

/** The limit flags as Sandbox options (seconds to ms), checked as the Sandbox checks them; throws UsageError. */
export function limitOptions(v: RunArgs['values']): LimitOptions {
  const o: LimitOptions = {
    memory: v.memory,
    timeoutMs: seconds('--timeout', v.timeout),
    cpuTimeMs: seconds('--cpu-time', v['cpu-time']),
    pids: whole('--pids', v.pids),
    maxOutput: v['max-output'],
    fileSize: v['file-size'],
    openFiles: whole('--open-files', v['open-files']),
    stack: v.stack,
  };
  try {
    checkLimits(o);
  } catch (e) {
    if (!(e instanceof SandboxError)) throw e;
    throw new UsageError(e.message.replace(/^invalid (\w+)/, (_, name: string) => flagOf(name)));
  }
  return o;
}

/** The flag of a Sandbox limit option ('cpuTimeMs': '--cpu-time'), for messages. */
export function flagOf(option: string): string {
  return `--${FLAG_OF[option] ?? option}`;
}

const FLAG_OF: Record<string, string> = {
  memory: 'memory',
  timeoutMs: 'timeout',
  cpuTimeMs: 'cpu-time',
  pids: 'pids',
  maxOutput: 'max-output',
  fileSize: 'file-size',
  openFiles: 'open-files',
  stack: 'stack',
};

function seconds(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  if (!(s > 0 && Number.isFinite(s))) throw new UsageError(`${flag} expects a positive number of seconds, got '${text}'`);
  return s * 1000;
}

function whole(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`${flag} expects a positive whole number, got '${text}'`);
  return n;
}

/** `A:B` of --copy-in HOST:GUEST or --copy-out GUEST:HOST, split at its first colon; throws UsageError. */
export function copyPair(flag: string, text: string): [string, string] {
  const at = text.indexOf(':');
  if (at <= 0 || at === text.length - 1)
    throw new UsageError(`${flag} expects ${flag === '--copy-in' ? 'HOST:GUEST' : 'GUEST:HOST'}, got '${text}'`);
  return [text.slice(0, at), text.slice(at + 1)];
}
