// The Sandbox API: run an untrusted Linux x86-64 program from Node.js.
//
//   const r = await Sandbox.run(['/bin/busybox', 'echo', 'hi'], { timeoutMs: 5000 });
//   r.exitCode === 0 && r.stdout.toString() === 'hi\n'
//
// A Sandbox owns one KVM virtual machine. Several can run at once in one
// Node process: each one's run loop yields to the event loop while its
// program waits and at every preemption tick.
//
// The program's stdout and stderr carry only what it wrote: tsv's own
// diagnostics (warnings, internal errors) are the result's `diagnostics`
// and the 'diagnostic' event, never mixed into its streams.
import { EventEmitter } from 'node:events';
import { fstatSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { KvmPlatform } from '@tsv/platform/kvm';
import {
  boot,
  BootError,
  type ExitStatus,
  HostFileInput,
  InputStream,
  type NetPolicy,
  netPolicy,
  OutputStream,
  type RunStats,
  type Sentry,
  sendSignal,
  type Vfs,
  signalFromHost,
} from '@tsv/sentry';
import { type FileSpec, placeFiles, readGuestFile } from './files.js';
import { checkLimits, type LimitOptions, type Limits } from './limits.js';
import { type LimitName, type RunReport, verdictOf } from './report.js';
import { SandboxError } from './sandbox-error.js';

export { SandboxError };

/** Where a guest output stream goes. */
export type OutputMode = 'buffer' | 'inherit' | 'stream' | ((chunk: Uint8Array) => void);

export interface SandboxOptions extends LimitOptions {
  /**
   * Host directory seen as / (read-only; writes land in an in-memory overlay).
   * Default: the safe default root — the host's /bin, /sbin, /lib*, /usr,
   * /opt and /etc without its secrets, read-only, and empty in-memory /tmp,
   * /home, /root, /var, /run, /mnt, /srv of the sandbox's own (README, "What
   * the sandbox shows of the host"). '/' shows the whole host: everything
   * this process can read, /etc/shadow and /root included.
   */
  root?: string;
  /** Keep writes to the root's host directories in memory (default true); false makes them read-only (EROFS). */
  overlay?: boolean;
  /** Host directories bound into the sandbox with real, durable writes: 'HOST:GUEST[:ro]'. */
  volumes?: string[];
  /** The program's environment. Default: PATH and HOME only. */
  env?: Record<string, string> | string[];
  /** Working directory inside the sandbox. Default '/'. */
  cwd?: string;
  /**
   * Files placed in the sandbox's writable layer before the program starts,
   * by guest path: contents, or { content, mode } (default mode 0644);
   * missing directories are made. No host volume is needed.
   */
  files?: Readonly<Record<string, FileSpec>>;
  /** Guest paths read after the program ends, into the result's `files` (those that cannot be read are absent). */
  collect?: readonly string[];
  /** Standard input: bytes, a string, a Node stream, 'inherit' (this process's stdin), or none (EOF). */
  stdin?: string | Uint8Array | Readable | 'inherit' | null;
  stdout?: OutputMode;
  stderr?: OutputMode;
  /**
   * Memory limit of the sandbox: bytes, or '512M', '2G' (default 1 GiB).
   * Guest memory, in-memory files and pipe buffers count; past it the
   * process that asked is killed (SIGKILL) as by the OOM killer, and when
   * that ends the run the verdict is 'memory-limit'.
   */
  memory?: number | string;
  /** Wall time: the sandbox is killed whole (SIGKILL) after this long; verdict 'wall-timeout'. */
  timeoutMs?: number;
  /**
   * CPU time of the whole sandbox, every process and thread together (ms):
   * when it is reached every process gets SIGXCPU (which ends it unless
   * handled), and one second of CPU time later the sandbox is killed whole
   * (SIGKILL); verdict 'cpu-timeout'.
   */
  cpuTimeMs?: number;
  /**
   * Most bytes the program may write to stdout and stderr together: a write
   * is cut at the limit and the sandbox killed whole (SIGKILL), the output
   * up to the limit kept; verdict 'output-limit'.
   */
  maxOutput?: number | string;
  /** RLIMIT_FSIZE (soft and hard) of the program: a write past it is EFBIG with SIGXFSZ, which ends the program unless handled. */
  fileSize?: number | string;
  /** RLIMIT_NOFILE (soft and hard): descriptors a process may hold, at most 65536 (default 1024 soft, 4096 hard). */
  openFiles?: number;
  /**
   * Most tasks the sandbox may hold at once: threads of every process plus
   * processes that ended and were not waited for (default 4096). Past it,
   * fork, clone and pthread_create fail with EAGAIN, so a fork bomb is
   * bounded by the sandbox, not by the host.
   */
  pids?: number;
  /**
   * What the sandbox may reach besides its own loopback: 'none' (default;
   * every other address is ENETUNREACH) or 'allow=ADDR[/BITS]:PORTS,…'
   * (those destinations through the host's network, TCP and UDP), as
   * `tsv run --net`.
   */
  net?: string;
  /** '[HOSTADDR:]HOSTPORT:GUESTPORT' each: a host client reaches the sandbox's server on GUESTPORT, as `tsv run --publish`. */
  publish?: readonly string[];
  /** The host name uname() reports (default 'tsv'). */
  hostname?: string;
  /** Credentials of the program (default: this process's uid and gid). */
  uid?: number;
  gid?: number;
  /**
   * Resource limits of the program, by RLIMIT_* number (soft and hard;
   * Infinity is unlimited), set as a privileged parent would before it starts.
   */
  rlimits?: ReadonlyMap<number, { soft: number; hard: number }>;
  /**
   * Most bytes kept of each buffered output stream, or left unread in a
   * 'stream' one (default 64 MiB): a program that writes more is killed
   * (SIGKILL), as child_process does, so it cannot make this process run
   * out of memory.
   */
  maxBuffer?: number;
  /** strace-style lines for every system call. */
  strace?: (line: string) => void;
  /** Called with each warning (unimplemented system calls, ...); every warning is also a diagnostic. */
  warn?: (line: string) => void;
  /** A line for each fault that kills the program, kept as a diagnostic too. Default: no such lines. */
  debug?: (line: string) => void;
  /**
   * Check every memory invariant after each memory system call and page
   * fault; a violation ends the run with an internal error (SandboxError).
   * Slow: for tests and fuzzers. The CLI sets it from TSV_CHECK_MEMORY=1.
   */
  checkMemory?: boolean;
  /** The KVM device. Default /dev/kvm. */
  device?: string;
}

/** How the program ended and what it cost (report.ts), with its output and what tsv saw. */
export interface SandboxResult extends RunReport {
  /** Captured output (empty unless the mode was 'buffer'). */
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  /** The program was killed for writing more than maxBuffer bytes to a buffered stream (limit 'maxOutput'). */
  maxBufferExceeded: boolean;
  /**
   * tsv's own lines about the run, in order (warnings, internal errors,
   * debug lines), never part of stdout or stderr; at most MAX_DIAGNOSTICS.
   */
  diagnostics: string[];
  stats: RunStats;
  /** The files of `collect` that could be read after the program ended, by path. */
  files: Map<string, Buffer>;
  /**
   * Reads a file as the sandbox left it (what the program wrote, or anything
   * it could see), until dispose(); undefined when it cannot be read.
   */
  readFile(path: string): Buffer | undefined;
  /** Lets go of the sandbox's files (in-memory ones are freed); readFile gives undefined after. */
  dispose(): void;
}

const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/'];
/**
 * Guest-physical memory beyond the limit: the kernel image (1 MiB) and page
 * tables, which are not charged to the limit (every frame a program maps,
 * the vDSO's too, is). A program whose page tables outgrow it is killed as
 * out of memory.
 */
const guestMemorySlack = (limit: number): number => Math.max(64 << 20, limit / 4);
/** Page tables get the slack less the kernel image, in their own region: user frames keep room for the whole limit. */
const tableRegion = (physical: number, limit: number): number =>
  Math.max(2 << 20, Math.floor((physical - limit - (1 << 20)) / (2 << 20)) * (2 << 20));
const DEFAULT_MAX_BUFFER = 64 << 20;
const SIGKILL = 9;
const SIGXFSZ = 25;
const RLIMIT_FSIZE = 1;
const RLIMIT_NOFILE = 7;
/** A signal from outside the sandbox (si_code SI_USER, si_pid 0). */
const SI_USER = 0;
/** CPU time between the SIGXCPU of cpuTimeMs and the SIGKILL, as a hard RLIMIT_CPU one second above the soft one. */
const CPU_GRACE_MS = 1000;
/** Diagnostic lines a result keeps (the kernel bounds each kind of warning; this bounds their sum). */
export const MAX_DIAGNOSTICS = 1000;

/**
 * One program in one VM. Events: 'diagnostic' (line: string), each line
 * also kept in the result's `diagnostics`.
 */
export class Sandbox extends EventEmitter<{ diagnostic: [line: string] }> {
  readonly argv: readonly string[];
  /** The program's output when the mode is 'stream'. */
  readonly stdout: PassThrough | null;
  readonly stderr: PassThrough | null;
  readonly #options: SandboxOptions;
  readonly #out: Uint8Array[] = [];
  readonly #err: Uint8Array[] = [];
  readonly #diagnostics: string[] = [];
  #sentry: Sentry | undefined;
  #platform: KvmPlatform | undefined;
  #started: Promise<void> | undefined;
  #result: Promise<SandboxResult> | undefined;
  #timedOut = false;
  #overflowed = false;
  /** The limit the runner ended the run for (the wall time, the output), first one wins. */
  #limit: LimitName | null = null;
  /** kill() ended the program. */
  #killed = false;
  #limits: Limits | undefined;
  #stopStdin: () => void = () => {};

  constructor(argv: readonly string[], options: SandboxOptions = {}) {
    super();
    if (argv.length === 0 || argv[0] === '') throw new TypeError('Sandbox: argv must name a program');
    this.argv = argv;
    this.#options = options;
    this.stdout = options.stdout === 'stream' ? new PassThrough() : null;
    this.stderr = options.stderr === 'stream' ? new PassThrough() : null;
  }

  /** Runs `argv` to completion. Rejects with SandboxError when it cannot start. */
  static async run(argv: readonly string[], options: SandboxOptions = {}): Promise<SandboxResult> {
    const s = new Sandbox(argv, options);
    await s.start();
    return s.wait();
  }

  /** Boots the sandbox and starts the program. */
  start(): Promise<void> {
    this.#started ??= this.#boot();
    return this.#started;
  }

  /** Resolves when the program has ended. */
  wait(): Promise<SandboxResult> {
    this.#result ??= this.start().then(() => this.#run());
    return this.#result;
  }

  /**
   * Sends `signal` (default SIGKILL) to the program's first process, as to
   * any process (the program's handler runs; a signal whose default action
   * ends it ends the run). SIGKILL ends the whole sandbox at once.
   */
  kill(signal = SIGKILL): void {
    const sentry = this.#sentry;
    if (sentry === undefined) return;
    this.#killed = true;
    const init = sentry.kernel.init?.leader;
    if (signal === SIGKILL || init === undefined) sentry.kill(signal);
    else sendSignal(init, { signo: signal, code: SI_USER, pid: 0, uid: 0 }, 'process');
  }

  /** Kills the sandbox whole for `limit` (the first limit reached names the verdict). */
  #endFor(limit: LimitName): void {
    this.#limit ??= limit;
    this.#sentry?.kill(SIGKILL);
  }

  /**
   * Sends `signal` to the program as a signal from outside its pid
   * namespace (kernel/host-signal.ts: its first process ignores one it
   * neither handles nor blocks, SIGKILL and SIGSTOP aside), or with `all`
   * to every process of the sandbox. False when no process was alive.
   */
  signal(signal: number, all = false): boolean {
    return this.#sentry !== undefined && signalFromHost(this.#sentry.kernel, signal, all);
  }

  async #boot(): Promise<void> {
    const o = this.#options;
    const limits = checkLimits(o);
    this.#limits = limits;
    let net: NetPolicy;
    try {
      net = netPolicy(o.net, o.publish);
    } catch (e) {
      throw new SandboxError(e instanceof Error ? e.message : String(e), 2);
    }
    const limit = limits.memory;
    const physical = Math.min(2 ** 32, Math.ceil((limit + guestMemorySlack(limit)) / (2 << 20)) * (2 << 20));
    try {
      this.#platform = new KvmPlatform({ memoryBytes: physical, tableBytes: tableRegion(physical, limit), device: o.device });
    } catch (e) {
      throw new SandboxError(`cannot use KVM: ${e instanceof Error ? e.message : String(e)}`, 125);
    }
    const stdin = this.#stdin();
    try {
      this.#sentry = await boot({
        platform: this.#platform,
        argv: [...this.argv],
        env: envList(o.env),
        cwd: o.cwd ?? '/',
        root: o.root,
        overlay: o.overlay ?? true,
        volumes: o.volumes ?? [],
        memoryLimit: limit,
        maxTasks: limits.pids,
        hostname: o.hostname,
        uid: o.uid,
        gid: o.gid,
        rlimits: o.rlimits && new Map([...o.rlimits].map(([r, l]) => [r, { cur: l.soft, max: l.hard }])),
        net,
        stdin: stdin.stream,
        stdinIsTty: stdin.isTty,
        stdout: this.#sink(o.stdout, this.#out, this.stdout, 1),
        stderr: this.#sink(o.stderr, this.#err, this.stderr, 2),
        stdoutIsTty: o.stdout === 'inherit' && process.stdout.isTTY === true,
        strace: o.strace,
        warn: (line) => {
          o.warn?.(line);
          this.#diagnose(line);
        },
        debug:
          o.debug &&
          ((line) => {
            o.debug!(line);
            this.#diagnose(line);
          }),
        checkMemory: o.checkMemory,
      });
    } catch (e) {
      this.#platform.close();
      stdin.stop();
      if (e instanceof BootError) throw new SandboxError(e.message.replace(/^tsv: /, ''), e.status);
      throw e;
    }
    this.#stopStdin = stdin.stop;
    this.#applyLimits(this.#sentry, limits);
    if (o.files !== undefined) {
      try {
        placeFiles(this.#sentry.kernel.vfs, o.files);
      } catch (e) {
        this.#sentry.kernel.vfs.close();
        this.#platform.close();
        stdin.stop();
        throw e;
      }
    }
  }

  /** The limits the Sentry enforces once booted, before the program's first instruction. */
  #applyLimits(sentry: Sentry, l: Limits): void {
    const init = sentry.task;
    if (l.fileSize !== undefined) init.rlimits.set(RLIMIT_FSIZE, { cur: l.fileSize, max: l.fileSize });
    if (l.openFiles !== undefined) {
      init.rlimits.set(RLIMIT_NOFILE, { cur: l.openFiles, max: l.openFiles });
      init.fds.limit = l.openFiles;
    }
    if (l.cpuTimeMs !== undefined) sentry.kernel.limitCpu(l.cpuTimeMs, l.cpuTimeMs + CPU_GRACE_MS);
    if (l.maxOutput !== undefined) {
      const budget = { remaining: l.maxOutput, exceeded: () => this.#endFor('maxOutput') };
      for (const fd of [1, 2]) {
        const f = init.fds.get(fd);
        if (f instanceof OutputStream) f.limit(budget);
      }
    }
  }

  async #run(): Promise<SandboxResult> {
    const sentry = this.#sentry!;
    const timeoutMs = this.#limits!.timeoutMs;
    const timer =
      timeoutMs !== undefined
        ? setTimeout(() => {
            this.#timedOut = true;
            this.#endFor('timeoutMs');
          }, timeoutMs)
        : undefined;
    let status: ExitStatus;
    try {
      status = await sentry.run();
    } catch (e) {
      // A Sentry bug: the VM and its memory go now, not at garbage collection. The
      // error is one line; its stack is a diagnostic.
      this.#platform!.close();
      if (e instanceof Error && e.stack !== undefined) this.#diagnose(`tsv: internal error: ${e.stack}`);
      throw new SandboxError(`internal error: ${firstLine(e instanceof Error ? e.message : String(e))}`, 125);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      this.#stopStdin();
      this.stdout?.end();
      this.stderr?.end();
    }
    const stats = sentry.stats();
    this.#platform!.close();
    const exitCode = status.code ?? null;
    const signal = status.signal ?? null;
    const limit = this.#limitOf(sentry, signal);
    const cpu = sentry.kernel.cpu;
    let vfs: Vfs | undefined = sentry.kernel.vfs;
    const files = new Map<string, Buffer>();
    for (const path of this.#options.collect ?? []) {
      const bytes = readGuestFile(vfs, path);
      if (bytes !== undefined) files.set(path, bytes);
    }
    return {
      exitCode,
      signal,
      status: status.code ?? 128 + (status.signal ?? 0),
      cpuTimeMs: { user: Math.round(cpu.userNs / 1e6), system: Math.round(cpu.sysNs / 1e6) },
      wallTimeMs: Math.round(stats.wallMs),
      maxRssBytes: sentry.task.mm.account?.peak ?? 0,
      limit,
      verdict: verdictOf({ exitCode, signal, limit, killed: this.#killed }),
      stdout: Buffer.concat(this.#out),
      stderr: Buffer.concat(this.#err),
      timedOut: this.#timedOut,
      maxBufferExceeded: this.#overflowed,
      diagnostics: this.#diagnostics,
      stats,
      files,
      readFile: (path) => (vfs === undefined ? undefined : readGuestFile(vfs, path)),
      dispose: () => {
        vfs?.close();
        vfs = undefined;
      },
    };
  }

  /** The limit that ended the run: one the runner enforced, else one the Sentry did. */
  #limitOf(sentry: Sentry, signal: number | null): LimitName | null {
    if (this.#limit !== null) return this.#limit;
    if (sentry.kernel.cpuLimitReached) return 'cpuTimeMs';
    if (signal === SIGKILL && sentry.kernel.stats.oomKills > 0) return 'memory';
    if (signal === SIGXFSZ && this.#limits!.fileSize !== undefined) return 'fileSize';
    return null;
  }

  /** A diagnostic line: kept (up to MAX_DIAGNOSTICS) and emitted. */
  #diagnose(line: string): void {
    if (this.#diagnostics.length < MAX_DIAGNOSTICS) this.#diagnostics.push(line);
    this.emit('diagnostic', line);
  }

  #stdin(): { stream: InputStream | HostFileInput; isTty: boolean; stop: () => void } {
    const input = this.#options.stdin;
    // This process's stdin redirected from a regular file: the program gets
    // that file (seekable, S_IFREG), as it would natively.
    if (input === 'inherit' && isRegularFile(0)) return { stream: new HostFileInput(0), isTty: false, stop: () => {} };
    const stream = new InputStream(input === 'inherit' && process.stdin.isTTY === true);
    if (input === undefined || input === null) {
      stream.end();
      return { stream, isTty: false, stop: () => {} };
    }
    const inherit = input === 'inherit';
    if (!inherit && (typeof input === 'string' || input instanceof Uint8Array)) {
      stream.push(typeof input === 'string' ? Buffer.from(input) : input);
      stream.end();
      return { stream, isTty: false, stop: () => {} };
    }
    const source: Readable = inherit ? process.stdin : (input as Readable);
    const onData = (chunk: Buffer | string) => stream.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const onEnd = () => stream.end();
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onEnd);
    return {
      stream,
      isTty: inherit && process.stdin.isTTY === true,
      stop: () => {
        source.off('data', onData);
        source.off('end', onEnd);
        source.off('error', onEnd);
        if (source === process.stdin) process.stdin.pause();
      },
    };
  }

  /** Where one output stream goes: a function, or (inherit) this process's descriptor, which the Sentry writes without blocking. */
  #sink(
    mode: OutputMode | undefined,
    chunks: Uint8Array[],
    stream: PassThrough | null,
    hostFd: number,
  ): ((b: Uint8Array) => void) | number {
    if (typeof mode === 'function') return (b) => mode(b.slice());
    if (mode === 'inherit') return hostFd;
    const max = this.#options.maxBuffer ?? DEFAULT_MAX_BUFFER;
    if (mode === 'stream') {
      // Output nobody reads piles up in the stream: the same bound applies to that backlog.
      return (b) => {
        if (this.#overflowed) return;
        if (stream!.writableLength + b.length > max) {
          this.#overflowed = true;
          this.#endFor('maxOutput');
          return;
        }
        stream!.write(b.slice());
      };
    }
    let kept = 0;
    return (b) => {
      if (this.#overflowed) return;
      const room = max - kept;
      if (b.length > room) {
        if (room > 0) chunks.push(b.slice(0, room));
        kept = max;
        this.#overflowed = true;
        this.#endFor('maxOutput');
        return;
      }
      chunks.push(b.slice());
      kept += b.length;
    };
  }
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

function envList(env: SandboxOptions['env']): string[] {
  if (env === undefined) return [...DEFAULT_ENV];
  if (Array.isArray(env)) return [...env];
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}
