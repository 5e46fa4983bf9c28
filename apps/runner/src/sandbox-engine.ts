// One sandbox's VM and Sentry, on the thread that runs them: a worker of a
// SandboxPool (sandbox-worker.ts), or the caller's own thread (the CLI).
//
// Everything it is given (EngineSpec) and gives back (EngineResult, events)
// is plain data that crosses threads by structured clone: the caller's
// functions and Node streams stay on the caller's side (sandbox.ts), which
// turns them into an output route and pushed stdin here. The KVM
// descriptors, guest memory and the Sentry never leave this thread.
import { fstatSync } from 'node:fs';
import { KvmPlatform } from '@tsv/platform/kvm';
import {
  boot,
  BootError,
  type ExitStatus,
  type FileDescription,
  HostFileInput,
  InputStream,
  type NetPolicy,
  netPolicy,
  type RunStats,
  type Sentry,
  signalFromHost,
  type Vfs,
} from '@tsv/sentry';
import { placeFiles, readGuestFile } from './files.js';
import { type HostInput, hostInput, readsOnly } from './host-input.js';
import type { VmShape } from './prepared-vm.js';
import { checkLimits, type Limits } from './limits.js';
import { type LimitName, type RunReport, verdictOf } from './report.js';
import { SandboxError } from './sandbox-error.js';
import type { SandboxOptions } from './sandbox.js';

/** The options that are data (the rest — streams, functions — are the caller's). */
export type EngineOptions = Omit<SandboxOptions, 'stdin' | 'stdout' | 'stderr' | 'strace' | 'warn' | 'debug' | 'pool'>;

/**
 * Where one output stream goes: kept here up to maxBuffer and returned with
 * the result ('buffer'), written to this process's descriptor ('inherit'),
 * or handed to the caller chunk by chunk as it is written ('forward'); for
 * stderr, also the program's terminal ('terminal', with the option pty),
 * whose screen goes where stdout's route says.
 */
export type OutputRoute = 'buffer' | 'inherit' | 'forward';

/**
 * Standard input: none (EOF at once), given bytes, bytes the caller pushes
 * as they arrive (pushStdin/endStdin), or this process's descriptor 0 when
 * it is a regular file (the program gets the file itself, seekable).
 */
export type StdinSpec = { kind: 'eof' } | { kind: 'bytes'; bytes: Uint8Array } | { kind: 'pushed'; isTty: boolean } | { kind: 'host-file' };

export interface EngineSpec {
  argv: string[];
  options: EngineOptions;
  stdin: StdinSpec;
  stdout: OutputRoute;
  stderr: OutputRoute | 'terminal';
  /** The program's stdout is this process's terminal. */
  stdoutIsTty: boolean;
  /** Send strace lines. */
  strace: boolean;
  /** Make a diagnostic line of each fault that kills the program. */
  debug: boolean;
}

/**
 * A program started in the running sandbox (Sandbox.exec), as plain data:
 * its streams are host descriptors, which stay the caller's.
 */
export interface ExecSpec {
  argv: string[];
  env?: Record<string, string> | string[];
  /** Default '/'. */
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Supplementary groups (default none). */
  groups?: readonly number[];
  rlimits?: ReadonlyMap<number, { soft: number; hard: number }>;
  /** Host descriptors of its standard streams; without one, stdin is at its end and the output is dropped. */
  stdin?: number;
  stdout?: number;
  stderr?: number;
  /** Host descriptors it gets as descriptors 3, 4, ...: one open for reading only is read, any other written. */
  fds?: number[];
  /** A terminal of the Sentry's for its stdin, stdout and stderr, typed on and shown through host descriptor `fd` (a host pty's slave). */
  pty?: { cols: number; rows: number; fd: number };
}

/** A program exec started: its pid in the sandbox, its end, and signals to it. */
export interface ExecProcess {
  pid: number;
  exited: Promise<ExecStatus>;
  /** Sends it `signal` from outside the sandbox (si_pid 0); nothing once it has ended. */
  signal(signal: number): void;
}

/** How a program ended: its exit code, or the signal that killed it; `status` as a shell reports it. */
export interface ExecStatus {
  exitCode: number | null;
  signal: number | null;
  status: number;
}

/** What a diagnostic line is: a kernel warning, a debug line, or tsv's own (an internal error). */
export type DiagnosticKind = 'warn' | 'debug' | 'tsv';

/** What the engine tells its caller while it runs, in order. */
export interface EngineEvents {
  /** A chunk of a 'forward' stream (the engine's own copy: the caller may keep it). */
  output(fd: 1 | 2, bytes: Uint8Array): void;
  diagnostic(line: string, kind: DiagnosticKind): void;
  strace(line: string): void;
}

/** How the run ended, with what was buffered: plain data. */
export interface EngineResult extends RunReport {
  stdout: Uint8Array;
  stderr: Uint8Array;
  timedOut: boolean;
  maxBufferExceeded: boolean;
  stats: RunStats;
  files: Map<string, Uint8Array>;
  /** Booted before it was asked for (prepared-boot.ts). */
  bootedAhead: boolean;
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

/** The VM a sandbox with memory limit `limit` runs in. */
export function vmShape(limit: number, device?: string): VmShape {
  const physical = Math.min(2 ** 32, Math.ceil((limit + guestMemorySlack(limit)) / (2 << 20)) * (2 << 20));
  return { memoryBytes: physical, tableBytes: tableRegion(physical, limit), device };
}

/** Where a sandbox's VM comes from: made when asked (the command line), or prepared in advance (prepared-vm.ts). */
export interface VmSource {
  take(shape: VmShape): KvmPlatform;
  /** Takes back a VM whose program has ended (nothing runs in it any more): closes it, or keeps its memory for the next. */
  done(platform: KvmPlatform): void;
}

const NEW_VM: VmSource = { take: (shape) => new KvmPlatform(shape), done: (platform) => platform.close() };
export const DEFAULT_MAX_BUFFER = 64 << 20;
const SIGKILL = 9;
const SIGXFSZ = 25;
const RLIMIT_FSIZE = 1;
const RLIMIT_NOFILE = 7;
const RLIMIT_STACK = 3;
/** CPU time between the SIGXCPU of cpuTimeMs and the SIGKILL, as a hard RLIMIT_CPU one second above the soft one. */
const CPU_GRACE_MS = 1000;

export class SandboxEngine {
  readonly #spec: EngineSpec;
  readonly #events: EngineEvents;
  readonly #vms: VmSource;
  readonly #out: Uint8Array[] = [];
  readonly #err: Uint8Array[] = [];
  #sentry: Sentry | undefined;
  /** The run is over: its vCPUs are closed, so kill and signal have nothing to reach. */
  #ended = false;
  #platform: KvmPlatform | undefined;
  #booting: Promise<void> | undefined;
  /** Booted before its request came, which then took it (prepared-boot.ts sets it). */
  bootedAhead = false;
  #limits: Limits | undefined;
  #stdin: InputStream | undefined;
  #timedOut = false;
  #overflowed = false;
  /** The limit the runner ended the run for (the wall time, the output), first one wins. */
  #limit: LimitName | null = null;
  /** kill() ended the program. */
  #killed = false;
  /** The sandbox's files after the run, until dispose(). */
  #vfs: Vfs | undefined;
  /** Host descriptors the program reads (options fds), stopped when the run ends. */
  readonly #inputs: HostInput[] = [];

  constructor(spec: EngineSpec, events: EngineEvents, vms: VmSource = NEW_VM) {
    this.#spec = spec;
    this.#events = events;
    this.#vms = vms;
  }

  /** Makes the VM, boots the Sentry and places the files; throws SandboxError when the program cannot start. */
  boot(): Promise<void> {
    this.#booting ??= this.#boot();
    return this.#booting;
  }

  async #boot(): Promise<void> {
    const { options: o, stdin: input } = this.#spec;
    const limits = checkLimits(o);
    this.#limits = limits;
    let net: NetPolicy;
    try {
      net = netPolicy(o.net, o.publish);
    } catch (e) {
      throw new SandboxError(e instanceof Error ? e.message : String(e), 2);
    }
    const limit = limits.memory;
    let platform: KvmPlatform;
    try {
      platform = this.#vms.take(vmShape(limit, o.device));
    } catch (e) {
      throw new SandboxError(`cannot use KVM: ${e instanceof Error ? e.message : String(e)}`, 125);
    }
    this.#platform = platform;
    const stdin = input.kind === 'host-file' ? new HostFileInput(0) : new InputStream(input.kind === 'pushed' && input.isTty);
    if (stdin instanceof InputStream) {
      if (input.kind === 'bytes') stdin.push(input.bytes);
      if (input.kind === 'pushed') this.#stdin = stdin;
      else stdin.end();
    }
    let sentry: Sentry;
    try {
      sentry = await boot({
        platform,
        argv: [...this.#spec.argv],
        env: envList(o.env),
        cwd: o.cwd ?? '/',
        root: o.root,
        overlay: o.overlay ?? true,
        volumes: o.volumes ?? [],
        // Before the program is looked up: it may be one of them.
        prepare: o.files && ((vfs) => placeFiles(vfs, o.files!)),
        memoryLimit: limit,
        maxTasks: limits.pids,
        net,
        hostname: o.hostname,
        uid: o.uid,
        gid: o.gid,
        groups: o.groups,
        rlimits: bootRlimits(o, limits),
        stdin,
        // With a terminal (option pty), stdout is its screen and stderr goes there too unless routed elsewhere.
        terminal: o.pty && { ...o.pty, output: this.#sink(this.#spec.stdout, this.#out, 1) },
        stdout: o.pty ? 'terminal' : this.#sink(this.#spec.stdout, this.#out, 1),
        stderr: this.#spec.stderr === 'terminal' ? 'terminal' : this.#sink(this.#spec.stderr, this.#err, 2),
        stdoutIsTty: this.#spec.stdoutIsTty,
        fds: o.fds?.map((fd) => this.#hostFd(fd, this.#inputs)),
        strace: this.#spec.strace ? (line) => this.#events.strace(line) : undefined,
        warn: (line) => this.#events.diagnostic(line, 'warn'),
        debug: this.#spec.debug ? (line) => this.#events.diagnostic(line, 'debug') : undefined,
        checkMemory: o.checkMemory,
      });
    } catch (e) {
      platform.close();
      this.#stdin = undefined;
      stopInputs(this.#inputs);
      throw sandboxError(e);
    }
    this.#sentry = sentry;
    this.#applyLimits(sentry, limits);
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
      const budget = { remaining: l.maxOutput, exceeded: () => this.endFor('maxOutput') };
      for (const o of sentry.outputs) o.limit(budget);
    }
  }

  /**
   * Runs the program to its end, once boot() (which must have been called)
   * has succeeded; rejects with its error when it failed, and with
   * SandboxError (125) on an internal error of the Sentry.
   */
  async run(): Promise<EngineResult> {
    if (this.#booting === undefined) throw new SandboxError('internal error: run() before boot()', 125);
    await this.#booting;
    const sentry = this.#sentry!;
    const platform = this.#platform!;
    const timeoutMs = this.#limits!.timeoutMs;
    const timer =
      timeoutMs !== undefined
        ? setTimeout(() => {
            this.#timedOut = true;
            this.endFor('timeoutMs');
          }, timeoutMs)
        : undefined;
    let status: ExitStatus;
    try {
      status = await sentry.run();
    } catch (e) {
      // A Sentry bug: the VM and its memory go now, not at garbage collection. The
      // error is one line; its stack is a diagnostic.
      platform.close();
      if (e instanceof Error && e.stack !== undefined) this.#events.diagnostic(`tsv: internal error: ${e.stack}`, 'tsv');
      throw new SandboxError(`internal error: ${firstLine(e instanceof Error ? e.message : String(e))}`, 125);
    } finally {
      this.#ended = true;
      if (timer !== undefined) clearTimeout(timer);
      this.#stdin = undefined;
      stopInputs(this.#inputs);
    }
    const stats = sentry.stats();
    // The VM goes once the result is on its way: KVM's teardown takes milliseconds.
    setImmediate(() => this.#vms.done(platform));
    const { exitCode, signal, status: code } = execStatus(status);
    const limit = this.#limitOf(sentry, signal);
    const cpu = sentry.kernel.cpu;
    this.#vfs = sentry.kernel.vfs;
    const files = new Map<string, Uint8Array>();
    for (const path of this.#spec.options.collect ?? []) {
      const bytes = readGuestFile(this.#vfs, path);
      if (bytes !== undefined) files.set(path, bytes);
    }
    return {
      exitCode,
      signal,
      status: code,
      cpuTimeMs: { user: Math.round(cpu.userNs / 1e6), system: Math.round(cpu.sysNs / 1e6) },
      wallTimeMs: Math.round(stats.wallMs),
      maxRssBytes: sentry.task.mm.account?.peak ?? 0,
      limit,
      verdict: verdictOf({ exitCode, signal, limit, killed: this.#killed }),
      stdout: concat(this.#out),
      stderr: concat(this.#err),
      timedOut: this.#timedOut,
      maxBufferExceeded: this.#overflowed,
      stats,
      files,
      bootedAhead: this.bootedAhead,
    };
  }

  /** Whether the host changed under what the boot saw (Sentry.hostFilesChanged); true before a boot. */
  hostFilesChanged(): boolean {
    return this.#sentry?.hostFilesChanged() ?? true;
  }

  /** Closes the host directory handles the boot kept for lookups (they reopen on demand). */
  releaseHostHandles(): void {
    this.#sentry?.kernel.vfs.close();
  }

  /**
   * Lets go of a sandbox booted (or booting) that will never be asked to
   * run (prepared-boot.ts): what its boot made is released and its VM
   * given back, at once when the boot is done, else when it is.
   */
  discard(): void {
    this.#booting
      ?.then(() => {
        if (this.#ended) return;
        this.#ended = true;
        this.#sentry!.discard();
        this.#stdin = undefined;
        stopInputs(this.#inputs);
        this.#vms.done(this.#platform!);
      })
      .catch(() => {});
  }

  /**
   * Sends `signal` to the program's first process by the sandbox's rule
   * (SandboxOptions.containerInit); SIGKILL ends the whole sandbox at once.
   * Nothing before boot or after the end.
   */
  kill(signal = SIGKILL): void {
    const sentry = this.#sentry;
    if (sentry === undefined || this.#ended) return;
    this.#killed = true;
    if (signal === SIGKILL) sentry.kill(SIGKILL);
    else this.signal(signal);
  }

  /**
   * Starts another program in the running sandbox (Sentry.spawn): a new
   * process whose parent is the host. Rejects with SandboxError (127, 126,
   * 125) when it cannot start or the sandbox is not running.
   */
  async exec(spec: ExecSpec): Promise<ExecProcess> {
    const sentry = this.#sentry;
    if (sentry === undefined || this.#ended) throw new SandboxError('the sandbox is not running', 125);
    const inputs: HostInput[] = [];
    const pty = spec.pty;
    const output = (fd: number | undefined) => (pty !== undefined ? 'terminal' : (fd ?? DROP));
    try {
      const p = sentry.spawn({
        argv: spec.argv,
        env: envList(spec.env),
        cwd: spec.cwd ?? '/',
        uid: spec.uid,
        gid: spec.gid,
        groups: spec.groups,
        rlimits: sentryRlimits(spec.rlimits),
        stdin: pty !== undefined ? this.#input(pty.fd, inputs, true) : spec.stdin === undefined ? atEnd() : this.#input(spec.stdin, inputs),
        stdout: output(spec.stdout),
        stderr: output(spec.stderr),
        terminal: pty && { cols: pty.cols, rows: pty.rows, output: pty.fd },
        fds: spec.fds?.map((fd) => this.#hostFd(fd, inputs)),
      });
      const exited = p.exited.then((s) => {
        stopInputs(inputs);
        return execStatus(s);
      });
      return { pid: p.pid, exited, signal: (signal) => void p.signal(signal) };
    } catch (e) {
      stopInputs(inputs);
      throw sandboxError(e);
    }
  }

  /** Host descriptor `fd` given to a program as one of its descriptors from 3: read when it is open for reading only, else written. */
  #hostFd(fd: number, inputs: HostInput[]): FileDescription | number {
    return readsOnly(fd) ? this.#input(fd, inputs) : fd;
  }

  #input(fd: number, inputs: HostInput[], typed = false): FileDescription {
    const h = hostInput(fd, typed);
    inputs.push(h);
    return h.description;
  }

  /** A signal from outside the sandbox (kernel/host-signal.ts) by the sandbox's rule; false when no process was alive. */
  signal(signal: number, all = false): boolean {
    const rule = this.#spec.options.containerInit === true ? 'namespace-init' : 'process';
    return this.#sentry !== undefined && !this.#ended && signalFromHost(this.#sentry.kernel, signal, rule, all);
  }

  /** Kills the sandbox whole for `limit` (the first limit reached names the verdict). */
  endFor(limit: LimitName): void {
    this.#limit ??= limit;
    this.#sentry?.kill(SIGKILL);
  }

  /** The caller's stream backlog passed maxBuffer: the program is killed, as for a buffered stream. */
  overflow(): void {
    this.#overflowed = true;
    this.endFor('maxOutput');
  }

  /** More standard input (StdinSpec 'pushed'); ignored once the run is over. */
  pushStdin(bytes: Uint8Array): void {
    this.#stdin?.push(bytes);
  }

  endStdin(): void {
    this.#stdin?.end();
  }

  /** Freezes every process of the sandbox (Kernel.freeze) until resume(); nothing before boot or after the end. */
  pause(): void {
    if (!this.#ended) this.#sentry?.kernel.freeze();
  }

  resume(): void {
    this.#sentry?.kernel.thaw();
  }

  /** The terminal's new size (option pty). */
  resize(cols: number, rows: number): void {
    this.#sentry?.resize(cols, rows);
  }

  /** A file as the sandbox left it, after the run and until dispose(). */
  readFile(path: string): Buffer | undefined {
    return this.#vfs === undefined ? undefined : readGuestFile(this.#vfs, path);
  }

  dispose(): void {
    this.#vfs?.close();
    this.#vfs = undefined;
  }

  /** Where one output stream goes: the caller (forward), this process's descriptor (inherit, never blocking), or a bounded buffer. */
  #sink(route: OutputRoute, chunks: Uint8Array[], fd: 1 | 2): ((b: Uint8Array) => void) | number {
    if (route === 'forward') return (b) => this.#events.output(fd, new Uint8Array(b));
    if (route === 'inherit') return fd;
    const max = this.#spec.options.maxBuffer ?? DEFAULT_MAX_BUFFER;
    let kept = 0;
    return (b) => {
      if (this.#overflowed) return;
      const room = max - kept;
      if (b.length > room) {
        if (room > 0) chunks.push(new Uint8Array(b.subarray(0, room)));
        kept = max;
        this.overflow();
        return;
      }
      chunks.push(new Uint8Array(b));
      kept += b.length;
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
}

/** Output nobody wants. */
const DROP = (): void => {};

/** Standard input at its end. */
function atEnd(): InputStream {
  const s = new InputStream();
  s.end();
  return s;
}

function stopInputs(inputs: HostInput[]): void {
  for (const i of inputs.splice(0)) i.stop();
}

function execStatus(s: ExitStatus): ExecStatus {
  return { exitCode: s.code ?? null, signal: s.signal ?? null, status: s.code ?? 128 + (s.signal ?? 0) };
}

/** A BootError as the SandboxError the caller gets (others are bugs, passed on). */
function sandboxError(e: unknown): unknown {
  return e instanceof BootError ? new SandboxError(e.message.replace(/^tsv: /, ''), e.status) : e;
}

function sentryRlimits(r: SandboxOptions['rlimits']) {
  return r && new Map([...r].map(([res, l]) => [res, { cur: l.soft, max: l.hard }]));
}

/**
 * The first process's limits before its program is loaded: `rlimits`, and
 * the `stack` limit (soft and hard, as `ulimit -s`), which the loader sizes
 * the stack and the memory layout by.
 */
function bootRlimits(o: EngineOptions, l: Limits): Map<number, { cur: number; max: number }> {
  const out = new Map(sentryRlimits(o.rlimits));
  if (l.stack !== undefined) out.set(RLIMIT_STACK, { cur: l.stack, max: l.stack });
  return out;
}

/** Whether this process's descriptor is a regular file (stdin redirected from a file). */
export function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/** The chunks in one buffer of its own (never a slice of Node's shared pool: it may be transferred to another thread). */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

function envList(env: SandboxOptions['env']): string[] {
  if (env === undefined) return [...DEFAULT_ENV];
  if (Array.isArray(env)) return [...env];
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}
