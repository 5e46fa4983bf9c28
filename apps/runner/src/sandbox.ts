// The Sandbox API: run an untrusted Linux x86-64 program from Node.js.
//
//   const r = await Sandbox.run(['/bin/busybox', 'echo', 'hi'], { timeoutMs: 5000 });
//   r.exitCode === 0 && r.stdout.toString() === 'hi\n'
//
// A Sandbox owns one KVM virtual machine, run by a worker thread of a
// SandboxPool (sandbox-pool.ts; the default pool unless `pool` says
// otherwise), so this thread's event loop never waits on a guest; the VM,
// the Sentry and the program's files stay in that worker (sandbox-engine.ts)
// and this class is the caller's side: options in, streams, events and
// signals across, the result out.
//
// The program's stdout and stderr carry only what it wrote: tsv's own
// diagnostics (warnings, internal errors) are the result's `diagnostics`
// and the 'diagnostic' event, never mixed into its streams.
import { EventEmitter } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { FileSpec } from './files.js';
import { checkLimits, type LimitOptions } from './limits.js';
import type { RunStats } from '@tsv/sentry';
import type { RunReport } from './report.js';
import {
  DEFAULT_MAX_BUFFER,
  type DiagnosticKind,
  type EngineEvents,
  type EngineSpec,
  type ExecProcess,
  type ExecSpec,
  isRegularFile,
  type OutputRoute,
  SandboxEngine,
  type StdinSpec,
} from './sandbox-engine.js';
import { SandboxError } from './sandbox-error.js';
import { checkPtySize, type PtySize } from './terminal.js';
import { type SandboxBackend, SandboxPool } from './sandbox-pool.js';

export { SandboxError };
export type { ExecProcess, ExecStatus } from './sandbox-engine.js';

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
  /**
   * RLIMIT_STACK (soft and hard, as `ulimit -s`): the stack grows to this
   * size and no further (SIGSEGV past it), and the memory layout leaves it
   * room. Default 8 MiB soft, unlimited hard.
   */
  stack?: number | string;
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
  /**
   * The first process takes a signal from the caller (kill(), signal()) as
   * a container's init takes one from outside its pid namespace, as under
   * runc: SIGKILL and SIGSTOP always, any other only when it handles or
   * blocks it (else it is discarded). Default false: it takes it as any
   * process, as the same program would natively (kernel/host-signal.ts).
   */
  containerInit?: boolean;
  /** The host name uname() reports (default 'tsv'). */
  hostname?: string;
  /**
   * Host descriptors the program gets as its descriptors 3, 4, ... (as
   * `runc --preserve-fds` gives them): one open for reading only is the
   * program's to read (a regular file itself, else a stream), any other is
   * written as its stdout is. They stay the caller's.
   */
  fds?: readonly number[];
  /** Credentials of the program (default: this process's uid and gid). */
  uid?: number;
  gid?: number;
  /** Its supplementary groups (default none), as getgroups(2) reports them. */
  groups?: readonly number[];
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
  /**
   * Where the sandbox runs: a worker thread of this pool, which bounds how
   * many run at once and queues the others (default: SandboxPool.default,
   * as many as there are cores). `false` runs it on this thread, as the
   * command line does: its event loop then waits while the guest computes,
   * up to a preemption tick at a time.
   */
  pool?: SandboxPool | false;
  /**
   * A terminal for the program (terminal.ts): its stdin, stdout and, unless
   * `stderr` is given, stderr are a pseudo-terminal of this size (cols and
   * rows from 1 to 65535), the controlling terminal of its session. `stdin`
   * is what is typed on it; what it shows (the program's output, the
   * echoes) is the sandbox's stdout. resize() changes its size.
   */
  pty?: PtySize;
}

/**
 * Another program in a running sandbox (Sandbox.exec): its environment
 * (default PATH and HOME), working directory (default '/'), credentials and
 * limits, and its streams as host descriptors, which stay the caller's:
 * `stdin` (default: at its end), `stdout`, `stderr` (default: dropped),
 * `fds` (its descriptors 3, 4, ..., as SandboxOptions.fds), or `pty`, a
 * terminal of the Sentry's for all three, typed on and shown through host
 * descriptor `fd` (a host pty's slave: `openPty` of @tsv/kvm-sys).
 */
export type ExecOptions = Omit<ExecSpec, 'argv'>;

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
  /**
   * The sandbox was booted before it was asked for: its worker, whose last
   * two requests were alike (same program and options, any input), had
   * booted the next, and this request took it (see SandboxPool).
   */
  bootedAhead: boolean;
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

/** Diagnostic lines a result keeps (the kernel bounds each kind of warning; this bounds their sum). */
export const MAX_DIAGNOSTICS = 1000;
const SIGKILL = 9;

/** A result dropped without dispose() lets go of the sandbox's files when it is collected. */
const undisposed = new FinalizationRegistry<SandboxBackend>((backend) => backend.dispose());

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
  readonly #diagnostics: string[] = [];
  #backend: SandboxBackend | undefined;
  #started: Promise<void> | undefined;
  #result: Promise<SandboxResult> | undefined;
  /** A 'stream' backlog passed maxBuffer: what comes after is dropped (the program is being killed). */
  #overflowed = false;
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
    return new Sandbox(argv, options).wait();
  }

  /** Boots the sandbox and starts the program (after a place in the pool is free). */
  start(): Promise<void> {
    this.#started ??= this.#boot();
    return this.#started;
  }

  /** Resolves when the program has ended. */
  wait(): Promise<SandboxResult> {
    this.#result ??= this.#run();
    return this.#result;
  }

  /**
   * Sends `signal` (default SIGKILL) to the program's first process, and
   * marks the run as ended by the caller (verdict 'killed' when a signal
   * ends it). SIGKILL ends the whole sandbox at once; any other signal is
   * taken as signal() delivers it.
   */
  kill(signal = SIGKILL): void {
    this.#backend?.kill(signal);
  }

  /**
   * Sends `signal` from outside the sandbox to the program's first process,
   * or with `all` to every process of the sandbox. Every process takes it
   * as from any sender (its handler runs, else its default action), and so
   * does the first one unless `containerInit` is set. False when no process
   * was alive.
   */
  signal(signal: number, all = false): boolean {
    return this.#backend?.signal(signal, all) ?? false;
  }

  /**
   * Starts another program in the running sandbox (after wait() began the
   * run): a new process of its own session, with the sandbox's files,
   * processes and network, whose parent is the host (getppid() is 0, as
   * for a process that joined a container's namespaces). Resolves with its
   * pid in the sandbox, `exited`, which resolves with how it ended (the
   * sandbox's end kills it), and `signal(n)`, a signal from outside; rejects with SandboxError (127 not found, 126
   * not executable, 125 the sandbox not running) when it cannot start.
   */
  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecProcess> {
    if (argv.length === 0 || argv[0] === '') throw new TypeError('Sandbox.exec: argv must name a program');
    if (options.pty !== undefined) checkPtySize(options.pty);
    if (this.#result === undefined) throw new SandboxError('the sandbox is not running', 125);
    // wait() asked the backend to run as soon as the boot is done, before this continues.
    await this.#started;
    return this.#backend!.exec({ ...options, argv: [...argv] });
  }

  /**
   * Freezes every process of the sandbox, as the cgroup freezer does a
   * container: none runs (none can tell) until resume(); time goes on.
   * kill() still ends it.
   */
  pause(): void {
    this.#backend?.pause();
  }

  resume(): void {
    this.#backend?.resume();
  }

  /** The `pty` terminal's new size: SIGWINCH for its foreground process group when it changed. */
  resize(cols: number, rows: number): void {
    const size = checkPtySize({ cols, rows }, 'resize');
    this.#backend?.resize(size.cols, size.rows);
  }

  async #boot(): Promise<void> {
    const o = this.#options;
    checkLimits(o); // a bad limit is refused here, before a place in the pool is taken
    if (o.pty !== undefined) checkPtySize(o.pty);
    const { stdin, stdout, stderr, strace, warn, debug, pool, ...data } = o;
    const spec: EngineSpec = {
      argv: [...this.argv],
      options: data,
      stdin: stdinSpec(stdin, o.pty !== undefined),
      stdout: route(stdout),
      stderr: o.pty !== undefined && stderr === undefined ? 'terminal' : route(stderr),
      stdoutIsTty: stdout === 'inherit' && process.stdout.isTTY === true,
      strace: strace !== undefined,
      debug: debug !== undefined,
    };
    const events: EngineEvents = {
      output: (fd, bytes) => this.#output(fd === 1 ? stdout : stderr, fd === 1 ? this.stdout : this.stderr, bytes),
      diagnostic: (line, kind) => this.#diagnostic(line, kind),
      strace: (line) => strace?.(line),
    };
    const backend = pool === false ? new SandboxEngine(spec, events) : (pool ?? SandboxPool.default).backend(spec, events);
    this.#backend = backend;
    await backend.boot();
    if (spec.stdin.kind === 'pushed') this.#stopStdin = pipeStdin(stdin as Readable | 'inherit', backend);
  }

  async #run(): Promise<SandboxResult> {
    const started = this.start();
    // Asked for now, the run follows the boot without waiting for the caller;
    // a failed boot fails it too, and the boot's error is the one reported.
    const running = this.#backend?.run();
    running?.catch(() => {});
    await started;
    const backend = this.#backend!;
    let r: Awaited<ReturnType<SandboxBackend['run']>>;
    try {
      r = await running!;
    } finally {
      this.#stopStdin();
      this.stdout?.end();
      this.stderr?.end();
    }
    let disposed = false;
    const result: SandboxResult = {
      ...r,
      stdout: asBuffer(r.stdout),
      stderr: asBuffer(r.stderr),
      diagnostics: this.#diagnostics,
      files: new Map([...r.files].map(([path, bytes]) => [path, asBuffer(bytes)])),
      readFile: (path) => {
        const bytes = disposed ? undefined : backend.readFile(path);
        return bytes === undefined ? undefined : asBuffer(bytes);
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        undisposed.unregister(result);
        backend.dispose();
      },
    };
    undisposed.register(result, backend, result);
    return result;
  }

  /** A chunk of a forwarded stream: to the caller's function, or its 'stream' within maxBuffer of backlog. */
  #output(mode: OutputMode | undefined, stream: PassThrough | null, bytes: Uint8Array): void {
    if (typeof mode === 'function') {
      mode(bytes);
      return;
    }
    if (stream === null || this.#overflowed) return;
    // Output nobody reads piles up in the stream: the same bound applies to that backlog.
    if (stream.writableLength + bytes.length > (this.#options.maxBuffer ?? DEFAULT_MAX_BUFFER)) {
      this.#overflowed = true;
      this.#backend?.overflow();
      return;
    }
    stream.write(bytes);
  }

  /** A diagnostic line: to the warn or debug callback it belongs to, kept (up to MAX_DIAGNOSTICS) and emitted. */
  #diagnostic(line: string, kind: DiagnosticKind): void {
    if (kind === 'warn') this.#options.warn?.(line);
    if (kind === 'debug') this.#options.debug?.(line);
    if (this.#diagnostics.length < MAX_DIAGNOSTICS) this.#diagnostics.push(line);
    this.emit('diagnostic', line);
  }
}

function route(mode: OutputMode | undefined): OutputRoute {
  if (typeof mode === 'function' || mode === 'stream') return 'forward';
  return mode === 'inherit' ? 'inherit' : 'buffer';
}

/** `typed`: the input is typed on the program's terminal, so it is pushed whatever it is. */
function stdinSpec(input: SandboxOptions['stdin'], typed: boolean): StdinSpec {
  if (input === undefined || input === null) return { kind: 'eof' };
  // This process's stdin redirected from a regular file: the program gets
  // that file (seekable, S_IFREG), as it would natively.
  if (input === 'inherit')
    return isRegularFile(0) && !typed ? { kind: 'host-file' } : { kind: 'pushed', isTty: process.stdin.isTTY === true };
  if (typeof input === 'string') return { kind: 'bytes', bytes: Buffer.from(input) };
  if (input instanceof Uint8Array) return { kind: 'bytes', bytes: input };
  return { kind: 'pushed', isTty: false };
}

/** Feeds a stream (or this process's stdin) to the program as it arrives; returns what stops it. */
function pipeStdin(input: Readable | 'inherit', backend: SandboxBackend): () => void {
  const source: Readable = input === 'inherit' ? process.stdin : input;
  const onData = (chunk: Buffer | string) => backend.pushStdin(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const onEnd = () => backend.endStdin();
  source.on('data', onData);
  source.on('end', onEnd);
  source.on('error', onEnd);
  return () => {
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('error', onEnd);
    if (source === process.stdin) process.stdin.pause();
  };
}

/** Bytes as a Buffer, without a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
