// `tsv run [flags] -- PROGRAM [ARGS...]`: the exit status is the program's
// (128+N when signal N killed it); errors a user can act on are one line on
// stderr and a non-zero status. The program's stdout and stderr are its own:
// tsv's diagnostics go to --log FILE, or to stderr only with -v.
import { closeSync, createWriteStream, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { describeErrno, hostErrno, NetPolicyError, netPolicy } from '@tsv/sentry';
import { forwardSignals } from './forward-signals.js';
import { leaseHostTerminal } from './terminal.js';
import { reportJson } from './report.js';
import type { LimitOptions } from './limits.js';
import type { FileSpec } from './files.js';
import { copyPair, flagOf, limitOptions, parseRunArgs, type RunArgs, UsageError } from './run-args.js';
import { Sandbox, type SandboxResult, SandboxError } from './sandbox.js';
import { formatStats } from './stats.js';

export const RUN_USAGE = `usage: tsv run [options] [--] PROGRAM [ARGS...]

options:
  --root DIR              host directory seen as / (read-only, in-memory overlay on top). Default: the
                          host's /bin, /lib*, /usr, /opt and /etc without its secrets, read-only, and empty
                          /tmp, /home, /root, /var, /run of the sandbox's own. --root / shows the whole
                          host as this process can read it, /etc/shadow and /root included
  --volume HOST:GUEST[:ro|:overlay]
                          bind a host directory: real writes, read-only, or writes kept in memory (repeatable)
  --env K=V               set an environment variable (repeatable)
  --cwd DIR               working directory in the sandbox                                   default /

network (the sandbox has its own loopback, 127.0.0.0/8 and ::1; the host's is not seen):
  --net none              nothing else: every other address is ENETUNREACH                  default
  --net allow=ADDR[/BITS]:PORTS,…
                          also these destinations through the host's network (TCP and UDP);
                          ADDR is IPv4 or [IPv6], PORTS N, N-M or *: --net allow=10.0.0.0/8:443,[::1]:53
  --publish [HOSTADDR:]HOSTPORT:GUESTPORT
                          a host client connecting to HOSTADDR:HOSTPORT (default 127.0.0.1) reaches
                          the sandbox's server on GUESTPORT (repeatable)

limits (a program a limit ends is killed whole, its output so far kept; --report says which):
  --timeout SECONDS       wall time: kill the sandbox after this long
  --cpu-time SECONDS      CPU time of all its processes together: SIGXCPU to each, SIGKILL 1 s later
  --memory SIZE           memory limit, e.g. 512M, 2G                                         default 1G
  --pids N                most tasks (threads, and processes not yet waited for) at once     default 4096
  --max-output SIZE       most bytes written to stdout and stderr together
  --file-size SIZE        RLIMIT_FSIZE: a larger file write gets SIGXFSZ
  --open-files N          RLIMIT_NOFILE (soft and hard)                                      default 1024
  --stack SIZE            RLIMIT_STACK (soft and hard): the stack grows no further (SIGSEGV) default 8M
  --copy-in HOST:GUEST    place host file HOST at GUEST in the sandbox before the program starts (repeatable)
  --copy-out GUEST:HOST   copy the sandbox's file GUEST to HOST after the program ends (repeatable)
  --report FILE           write how the run ended and what it cost as JSON: exit code or signal,
                          cpuTimeMs, wallTimeMs, maxRssBytes, limit, verdict

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

export async function runCommand(args: string[]): Promise<number> {
  const parsed = parseAll(args);
  if (typeof parsed === 'string') {
    process.stderr.write(parsed);
    return 2;
  }
  const { values: v, program, limits, files } = parsed;
  if (v.help) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  if (program.length === 0) {
    process.stderr.write(`tsv run: no program given\n${RUN_USAGE}`);
    return 2;
  }
  let logFd = -1;
  if (v.log !== undefined) {
    try {
      logFd = openSync(v.log, 'a');
    } catch (e) {
      process.stderr.write(`tsv run: --log ${v.log}: ${hostErrorText(e)}\n`);
      return 2;
    }
  }
  const traceFile = v['strace-file'] !== undefined ? createWriteStream(v['strace-file']) : undefined;
  const verbose = v.verbose === true;
  const log = (line: string) => {
    if (logFd >= 0) writeLine(logFd, line);
    if (verbose) writeLine(2, line);
  };
  const strace =
    traceFile !== undefined ? (line: string) => traceFile.write(`${line}\n`) : v.strace ? (line: string) => writeLine(2, line) : undefined;
  // From a terminal, the program gets one of its own bridged to it (terminal.ts).
  const tty = leaseHostTerminal();
  try {
    const sandbox = new Sandbox(program, {
      // This thread has nothing else to do: no worker thread to start.
      pool: false,
      root: v.root,
      volumes: v.volume,
      env: mergeEnv(DEFAULT_ENV, v.env ?? []),
      cwd: v.cwd,
      net: v.net,
      publish: v.publish,
      ...limits,
      files,
      stdin: 'inherit',
      stdout: 'inherit',
      stderr: 'inherit',
      ...tty?.options,
      strace,
      // Each debug line is a diagnostic: the 'diagnostic' listener writes it.
      debug: process.env.TSV_DEBUG ? () => {} : undefined,
      checkMemory: process.env.TSV_CHECK_MEMORY === '1',
    });
    sandbox.on('diagnostic', log);
    await sandbox.start();
    tty?.follow((cols, rows) => sandbox.resize(cols, rows));
    // With a terminal, its resize is the program's SIGWINCH (to its foreground group), not a forwarded one.
    const stopForwarding = forwardSignals((signal) => {
      if (tty === undefined || signal !== constants.signals.SIGWINCH) sandbox.kill(signal);
    });
    const r = await sandbox.wait().finally(() => {
      stopForwarding();
      tty?.release(); // before tsv's own lines (--stats, a limit's verdict) are written to it
    });
    if (v.stats) writeLine(2, formatStats(r.stats));
    if (r.limit !== null) log(`tsv: ${r.verdict}: the ${flagOf(r.limit)} limit ended the run`);
    const copied = copyOut(v['copy-out'] ?? [], r);
    r.dispose();
    return writeReport(v.report, r) && copied ? r.status : 125;
  } catch (e) {
    if (e instanceof SandboxError) {
      writeLine(2, `tsv: ${e.message}`);
      return e.status;
    }
    throw e;
  } finally {
    tty?.release();
    traceFile?.end();
    if (logFd >= 0) closeSync(logFd);
  }
}

/** The command line parsed and checked, or what to print for a usage error (the usage too, for an unknown option). */
function parseAll(args: string[]): (RunArgs & { limits: LimitOptions; files: Record<string, FileSpec> }) | string {
  let parsed: RunArgs;
  try {
    parsed = parseRunArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return `tsv run: ${e.message}\n${RUN_USAGE}`;
  }
  try {
    checkOther(parsed);
    return { ...parsed, limits: limitOptions(parsed.values), files: copyIn(parsed.values['copy-in'] ?? []) };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return `tsv run: ${e.message}\n`;
  }
}

/** The options checked before anything starts, other than the limits. */
function checkOther({ values: v }: RunArgs): void {
  if (v.platform !== undefined && v.platform !== 'kvm') throw new UsageError(`unknown platform '${v.platform}' (only kvm)`);
  for (const e of v.env ?? []) if (!/^[^=]+=/.test(e)) throw new UsageError(`--env expects K=V, got '${e}'`);
  for (const spec of v.volume ?? []) {
    // The host directory must exist (a malformed spec is the Sandbox's one-line error).
    const host = spec.slice(0, spec.indexOf(':'));
    if (host === '') continue;
    let dir: boolean;
    try {
      dir = statSync(host).isDirectory();
    } catch (e) {
      throw new UsageError(`--volume ${spec}: ${hostErrorText(e)}`);
    }
    if (!dir) throw new UsageError(`--volume ${spec}: Not a directory`);
  }
  try {
    netPolicy(v.net, v.publish);
  } catch (e) {
    if (e instanceof NetPolicyError) throw new UsageError(e.message);
    throw e;
  }
}

/** The host files of --copy-in, read now (with their modes); throws UsageError naming one that cannot be read. */
function copyIn(pairs: string[]): Record<string, FileSpec> {
  const files: Record<string, FileSpec> = {};
  for (const pair of pairs) {
    const [host, guest] = copyPair('--copy-in', pair);
    try {
      files[guest] = { content: readFileSync(host), mode: statSync(host).mode & 0o7777 };
    } catch (e) {
      throw new UsageError(`--copy-in ${pair}: ${hostErrorText(e)}`);
    }
  }
  return files;
}

/** Copies each GUEST:HOST of --copy-out; false (and a line for each) when one could not be copied. */
function copyOut(pairs: string[], r: SandboxResult): boolean {
  let ok = true;
  for (const pair of pairs) {
    const [guest, host] = copyPair('--copy-out', pair);
    const bytes = r.readFile(guest);
    if (bytes === undefined) {
      writeLine(2, `tsv: --copy-out ${pair}: ${guest} cannot be read in the sandbox`);
      ok = false;
      continue;
    }
    try {
      writeFileSync(host, bytes);
    } catch (e) {
      writeLine(2, `tsv: --copy-out ${pair}: ${hostErrorText(e)}`);
      ok = false;
    }
  }
  return ok;
}

/** Writes the report to `file` if asked; false (and one line) when it cannot be written. */
function writeReport(file: string | undefined, r: SandboxResult): boolean {
  if (file === undefined) return true;
  try {
    writeFileSync(file, reportJson(r));
    return true;
  } catch (e) {
    writeLine(2, `tsv: --report ${file}: ${hostErrorText(e)}`);
    return false;
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
