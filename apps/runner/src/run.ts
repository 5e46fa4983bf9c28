// `tsv run [flags] -- PROGRAM [ARGS...]`: the exit status is the program's
// (128+N when signal N killed it); errors a user can act on are one line on
// stderr and a non-zero status. The program's stdout and stderr are its own:
// tsv's diagnostics go to --log FILE, or to stderr only with -v.
import { closeSync, createWriteStream, openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeErrno, hostErrno } from '@tsv/sentry';
import { Sandbox, SandboxError } from './sandbox.js';
import { formatStats } from './stats.js';

export const RUN_USAGE = `usage: tsv run [options] -- PROGRAM [ARGS...]

options:
  --root DIR              host directory seen as / (read-only, in-memory overlay on top). Default: the
                          host's /bin, /lib*, /usr, /opt and /etc without its secrets, read-only, and empty
                          /tmp, /home, /root, /var, /run of the sandbox's own. --root / shows the whole
                          host as this process can read it, /etc/shadow and /root included
  --volume HOST:GUEST[:ro|:overlay]
                          bind a host directory: real writes, read-only, or writes kept in memory (repeatable)
  --env K=V               set an environment variable (repeatable)
  --cwd DIR               working directory in the sandbox                                   default /
  --memory SIZE           memory limit, e.g. 512M, 2G                                         default 1G
  --pids N                most tasks (threads, and processes not yet waited for) at once     default 4096
  --timeout SECONDS       kill the program after this long
  --strace                print every system call to stderr
  --strace-file FILE      print them to FILE instead
  --stats                 print what the run cost at exit
  --log FILE              write tsv's own diagnostics (warnings such as an unimplemented system call,
                          a timeout) to FILE; without it and -v they are not shown
  -v, --verbose           write tsv's diagnostics to stderr
  --platform kvm          the platform (only kvm for now)
`;

const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/'];

/** `base` with each K=V of `overrides` replacing the same K (or appended): one entry per name. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const kv of [...base, ...overrides]) out.set(kv.slice(0, kv.indexOf('=')), kv);
  return [...out.values()];
}

/** The `tsv run` command line; throws on an unknown or malformed option. */
function parseRunArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      root: { type: 'string' },
      volume: { type: 'string', multiple: true },
      env: { type: 'string', multiple: true },
      cwd: { type: 'string' },
      memory: { type: 'string' },
      pids: { type: 'string' },
      timeout: { type: 'string' },
      strace: { type: 'boolean' },
      'strace-file': { type: 'string' },
      stats: { type: 'boolean' },
      log: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      platform: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export async function runCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseRunArgs>;
  try {
    parsed = parseRunArgs(args);
  } catch (e) {
    process.stderr.write(`tsv run: ${e instanceof Error ? e.message : String(e)}\n${RUN_USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(`tsv run: no program given\n${RUN_USAGE}`);
    return 2;
  }
  if (v.platform !== undefined && v.platform !== 'kvm') {
    process.stderr.write(`tsv run: unknown platform '${v.platform}' (only kvm)\n`);
    return 2;
  }
  for (const e of v.env ?? []) {
    if (!/^[^=]+=/.test(e)) {
      process.stderr.write(`tsv run: --env expects K=V, got '${e}'\n`);
      return 2;
    }
  }
  const timeout = v.timeout !== undefined ? Number(v.timeout) : undefined;
  if (timeout !== undefined && !(timeout > 0)) {
    process.stderr.write(`tsv run: --timeout expects a positive number of seconds\n`);
    return 2;
  }
  const pids = v.pids !== undefined ? Number(v.pids) : undefined;
  if (pids !== undefined && !(Number.isInteger(pids) && pids >= 1)) {
    process.stderr.write(`tsv run: --pids expects a positive whole number\n`);
    return 2;
  }
  const traceFile = v['strace-file'] !== undefined ? createWriteStream(v['strace-file']) : undefined;
  let logFd = -1;
  if (v.log !== undefined) {
    try {
      logFd = openSync(v.log, 'a');
    } catch (e) {
      process.stderr.write(`tsv run: --log ${v.log}: ${hostErrorText(e)}\n`);
      return 2;
    }
  }
  const verbose = v.verbose === true;
  const log = (line: string) => {
    if (logFd >= 0) writeLine(logFd, line);
    if (verbose) writeLine(2, line);
  };
  const strace =
    traceFile !== undefined ? (line: string) => traceFile.write(`${line}\n`) : v.strace ? (line: string) => writeLine(2, line) : undefined;
  try {
    const sandbox = new Sandbox(positionals, {
      root: v.root,
      volumes: v.volume,
      env: mergeEnv(DEFAULT_ENV, v.env ?? []),
      cwd: v.cwd,
      memory: v.memory,
      pids,
      timeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
      stdin: 'inherit',
      stdout: 'inherit',
      stderr: 'inherit',
      strace,
      // Each debug line is a diagnostic: the 'diagnostic' listener writes it.
      debug: process.env.TSV_DEBUG ? () => {} : undefined,
      checkMemory: process.env.TSV_CHECK_MEMORY === '1',
    });
    sandbox.on('diagnostic', log);
    await sandbox.start();
    const r = await sandbox.wait();
    if (v.stats) writeLine(2, formatStats(r.stats));
    if (r.timedOut) log(`tsv: timed out after ${timeout} s: killed`);
    return r.status;
  } catch (e) {
    if (e instanceof SandboxError) {
      writeLine(2, `tsv: ${e.message}`);
      return e.status;
    }
    throw e;
  } finally {
    traceFile?.end();
    if (logFd >= 0) closeSync(logFd);
  }
}

/** Writes a line of tsv's own; a reader that has gone (EPIPE) is not the program's business, nor an error of tsv. */
function writeLine(fd: number, line: string): void {
  try {
    writeSync(fd, `${line}\n`);
  } catch {
    // nobody reads it any more
  }
}

/** The reason of a failed host call, as `ls` would print it: "No such file or directory". */
function hostErrorText(e: unknown): string {
  return describeErrno(hostErrno(e));
}
