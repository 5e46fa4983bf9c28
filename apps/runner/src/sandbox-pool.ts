// Where sandboxes run: worker threads, so that the caller's event loop never
// waits on a guest (KVM_RUN holds the thread that calls it until the next
// exit or tick) and sandboxes use every core.
//
// A SandboxPool runs at most `concurrency` sandboxes at once (from boot to
// the end of the run) and queues the others in order; they share at most
// `threads` worker threads, each running several as one event loop, which is
// what keeps a sandbox that waits on its input cheap. Workers are made on
// demand and kept for the next sandbox (a warm start pays neither a thread
// nor the loading of the Sentry); an idle worker does not keep the process
// alive. A worker that dies (a fatal error, close()) ends each of its
// sandboxes with a SandboxError (status 125) naming it; nothing waits forever.
//
// While idle, a worker prepares the next sandbox: a VM (prepared-vm.ts) and,
// when its last two requests were alike, the whole boot of the next
// (prepared-boot.ts), which a request equal in all but its input takes
// (SandboxResult.bootedAhead).
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { blockingRequest, newReplyState } from './reply.js';
import type { EngineEvents, EngineResult, EngineSpec, ExecProcess, ExecSpec, ExecStatus } from './sandbox-engine.js';
import { SandboxError } from './sandbox-error.js';
import type { FromWorker, ToWorker, WireError, WorkerInit } from './sandbox-protocol.js';
import type { LimitName } from './report.js';

export interface SandboxPoolOptions {
  /** Most sandboxes running at once; the others wait in order. Default: the number of cores. */
  concurrency?: number;
  /** Worker threads they share. Default: the smaller of `concurrency` and the number of cores. */
  threads?: number;
}

/** A sandbox's engine as the Sandbox drives it, wherever it runs (SandboxEngine has this shape). */
export interface SandboxBackend {
  boot(): Promise<void>;
  /** After boot() was called, done or not: runs once the boot succeeded, and rejects with its error when it failed. */
  run(): Promise<EngineResult>;
  kill(signal: number): void;
  signal(signal: number, all: boolean): boolean;
  endFor(limit: LimitName): void;
  overflow(): void;
  pushStdin(bytes: Uint8Array): void;
  endStdin(): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  exec(spec: ExecSpec): Promise<ExecProcess>;
  readFile(path: string): Uint8Array | undefined;
  dispose(): void;
}

/** The worker's code: built beside this module in dist/; from the sources (tests), the built one. */
function workerFile(): URL {
  const here = new URL('.', import.meta.url);
  return new URL(here.pathname.endsWith('/src/') ? '../dist/sandbox-worker.js' : './sandbox-worker.js', here);
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new SandboxError(`SandboxPool: ${name} must be a positive integer, got ${value}`, 125);
  return value;
}

export class SandboxPool {
  static #default: SandboxPool | undefined;
  /** Most sandboxes running at once. */
  readonly concurrency: number;
  /** Most worker threads. */
  readonly threads: number;
  readonly #workers: PoolWorker[] = [];
  readonly #queue: (() => void)[] = [];
  #running = 0;
  #picks = 0;
  #nextId = 1;
  #closed = false;

  constructor(options: SandboxPoolOptions = {}) {
    const cores = availableParallelism();
    this.concurrency = positiveInteger('concurrency', options.concurrency, cores);
    this.threads = positiveInteger('threads', options.threads, Math.min(this.concurrency, cores));
  }

  /** The pool of every Sandbox not given one: as many at once as there are cores. */
  static get default(): SandboxPool {
    SandboxPool.#default ??= new SandboxPool();
    return SandboxPool.#default;
  }

  /** Sandboxes booting or running now. */
  get running(): number {
    return this.#running;
  }

  /** Sandboxes waiting for one of those to end. */
  get queued(): number {
    return this.#queue.length;
  }

  /** An engine in one of this pool's workers; its boot() waits for a free place. */
  backend(spec: EngineSpec, events: EngineEvents): SandboxBackend {
    return new RemoteEngine(this, this.#nextId++, spec, events);
  }

  /**
   * Ends the pool: queued sandboxes are refused, running ones end with a
   * SandboxError (status 125), their workers are terminated.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#queue.splice(0)) wake();
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
    if (SandboxPool.#default === this) SandboxPool.#default = undefined;
  }

  /** A worker for one more running sandbox, once fewer than `concurrency` run; release() gives the place back. */
  async acquire(): Promise<{ worker: PoolWorker; release: () => void }> {
    while (this.#running >= this.concurrency && !this.#closed) await new Promise<void>((wake) => this.#queue.push(wake));
    if (this.#closed) throw new SandboxError('the sandbox pool is closed', 125);
    this.#running++;
    const worker = this.#pick();
    worker.active++;
    worker.updateRef();
    let released = false;
    return {
      worker,
      release: () => {
        if (released) return;
        released = true;
        worker.active--;
        worker.updateRef();
        this.#running--;
        this.#queue.shift()?.();
      },
    };
  }

  /**
   * The least busy worker, the one given a sandbox longest ago among equals
   * (it has had the most time to prepare its next VM), or a new one while
   * some thread is unused.
   */
  #pick(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const w of this.#workers) {
      if (best === undefined || w.active < best.active || (w.active === best.active && w.lastPicked < best.lastPicked)) best = w;
    }
    if (best === undefined || (best.active > 0 && this.#workers.length < this.threads)) {
      const w: PoolWorker = new PoolWorker(() => this.#workers.splice(this.#workers.indexOf(w), 1));
      this.#workers.push(w);
      best = w;
    }
    best.lastPicked = ++this.#picks;
    return best;
  }
}

/** One worker thread and the sandboxes it runs. */
class PoolWorker {
  readonly worker: Worker;
  /** Sandboxes booting or running here (they keep the process alive). */
  active = 0;
  /** When the pool last gave it a sandbox (a count of picks). */
  lastPicked = 0;
  readonly #engines = new Map<number, RemoteEngine>();
  readonly #replyPort: MessagePort;
  readonly #replyState = newReplyState();
  #error: Error | undefined;
  #dead = false;

  constructor(onExit: () => void) {
    const { port1, port2 } = new MessageChannel();
    this.#replyPort = port2;
    const init: WorkerInit = { replyPort: port1, replyState: this.#replyState };
    // No Node options: the worker runs one known file, and a thread refuses many
    // of its process's options (--input-type, V8 flags such as --expose-gc when
    // the pool is itself made in a worker), which would end it before it starts.
    this.worker = new Worker(workerFile(), { workerData: init, transferList: [port1], execArgv: [] });
    this.worker.on('message', (m: FromWorker) => this.#engines.get(m.id)?.receive(m));
    this.worker.on('error', (e) => {
      this.#error = e;
    });
    this.worker.on('exit', (code) => {
      this.#dead = true;
      onExit();
      const why = this.#error !== undefined ? `: ${this.#error.message}` : ` (exit code ${code})`;
      const error = new SandboxError(`internal error: the worker thread running the sandbox ended${why}`, 125);
      for (const e of [...this.#engines.values()]) e.lost(error);
      this.#engines.clear();
    });
    this.updateRef();
  }

  /** Only a worker with running sandboxes keeps the process alive. */
  updateRef(): void {
    if (this.active > 0) this.worker.ref();
    else this.worker.unref();
  }

  attach(id: number, engine: RemoteEngine): boolean {
    if (this.#dead) return false;
    this.#engines.set(id, engine);
    return true;
  }

  detach(id: number): void {
    this.#engines.delete(id);
  }

  post(m: ToWorker): void {
    if (!this.#dead) this.worker.postMessage(m);
  }

  /** A request the caller blocks on (reply.ts); undefined when the worker is gone. */
  request(m: ToWorker): unknown {
    if (this.#dead) return undefined;
    return blockingRequest(this.#replyState, this.#replyPort, () => this.worker.postMessage(m));
  }
}

/** A reply a RemoteEngine waits for from its worker: the boot's, the run's. */
interface Pending<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

function pending<T>(): { promise: Promise<T>; pending: Pending<T> } {
  let pending!: Pending<T>;
  const promise = new Promise<T>((resolve, reject) => {
    pending = { resolve, reject };
  });
  return { promise, pending };
}

/**
 * A SandboxEngine in a worker, driven by messages. A run asked for before
 * the boot is done goes to the worker right behind the boot, which starts it
 * as soon as the boot succeeds: one round trip between threads, not two.
 */
class RemoteEngine implements SandboxBackend {
  readonly #pool: SandboxPool;
  readonly #id: number;
  readonly #spec: EngineSpec;
  readonly #events: EngineEvents;
  #worker: PoolWorker | undefined;
  #release: () => void = () => {};
  #boot: Pending<void> | undefined;
  #run: Pending<EngineResult> | undefined;
  /** Why the worker is gone, once it is. */
  #lost: SandboxError | undefined;
  #state: 'new' | 'booting' | 'booted' | 'running' | 'ended' = 'new';
  #runAsked = false;
  /** Programs exec started or is starting, by execId: their start and end to settle. */
  readonly #execs = new Map<number, PendingExec>();
  #nextExec = 1;

  constructor(pool: SandboxPool, id: number, spec: EngineSpec, events: EngineEvents) {
    this.#pool = pool;
    this.#id = id;
    this.#spec = spec;
    this.#events = events;
  }

  async boot(): Promise<void> {
    let place: Awaited<ReturnType<SandboxPool['acquire']>>;
    try {
      place = await this.#pool.acquire();
    } catch (e) {
      this.#settleRun((p) => p.reject(e as Error));
      throw e;
    }
    const { worker, release } = place;
    this.#worker = worker;
    this.#release = release;
    if (this.#lost !== undefined || !worker.attach(this.#id, this)) {
      release();
      const error = new SandboxError('internal error: the worker thread running the sandbox ended', 125);
      this.#settleRun((p) => p.reject(error));
      throw error;
    }
    this.#state = 'booting';
    const { promise, pending: p } = pending<void>();
    this.#boot = p;
    worker.post({ type: 'boot', id: this.#id, spec: this.#spec });
    if (this.#runAsked) worker.post({ type: 'run', id: this.#id });
    await promise;
  }

  /** The run: after boot() was called, and before it is done if the caller likes. */
  run(): Promise<EngineResult> {
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    const { promise, pending: p } = pending<EngineResult>();
    this.#run = p;
    this.#runAsked = true;
    if (this.#state === 'booted') this.#state = 'running';
    if (this.#state === 'booting' || this.#state === 'running') this.#worker!.post({ type: 'run', id: this.#id });
    return promise;
  }

  /** A message of this sandbox from its worker. */
  receive(m: FromWorker): void {
    switch (m.type) {
      case 'output':
        this.#events.output(m.fd, m.bytes);
        return;
      case 'diagnostic':
        this.#events.diagnostic(m.line, m.kind);
        return;
      case 'strace':
        this.#events.strace(m.line);
        return;
      case 'booted':
        this.#state = this.#runAsked ? 'running' : 'booted';
        this.#settleBoot((p) => p.resolve());
        return;
      case 'ended':
        this.#end();
        this.#settleRun((p) => p.resolve(m.result));
        return;
      case 'exec-started':
        this.#execs.get(m.execId)?.started(m.pid);
        return;
      case 'exec-failed':
        this.#execs.get(m.execId)?.failed(unwire(m.error));
        this.#execs.delete(m.execId);
        return;
      case 'exec-ended':
        this.#execs.get(m.execId)?.ended(m.status);
        this.#execs.delete(m.execId);
        return;
      case 'boot-failed':
      case 'failed': {
        this.#end();
        this.#worker!.detach(this.#id);
        const error = unwire(m.error);
        this.#settleBoot((p) => p.reject(error));
        this.#settleRun((p) => p.reject(error));
        return;
      }
    }
  }

  /** The worker died: whatever this sandbox waits for fails with `error`. */
  lost(error: SandboxError): void {
    this.#lost = error;
    this.#end();
    this.#settleBoot((p) => p.reject(error));
    this.#settleRun((p) => p.reject(error));
    for (const e of this.#execs.values()) e.failed(error);
    this.#execs.clear();
  }

  #end(): void {
    this.#state = 'ended';
    this.#release();
  }

  #settleBoot(how: (p: Pending<void>) => void): void {
    const p = this.#boot;
    this.#boot = undefined;
    if (p !== undefined) how(p);
  }

  #settleRun(how: (p: Pending<EngineResult>) => void): void {
    const p = this.#run;
    this.#run = undefined;
    if (p !== undefined) how(p);
  }

  #post(m: ToWorker): void {
    if (this.#state === 'booted' || this.#state === 'running') this.#worker!.post(m);
  }

  kill(signal: number): void {
    this.#post({ type: 'kill', id: this.#id, signal });
  }

  resize(cols: number, rows: number): void {
    this.#post({ type: 'resize', id: this.#id, cols, rows });
  }

  pause(): void {
    this.#post({ type: 'pause', id: this.#id });
  }

  resume(): void {
    this.#post({ type: 'resume', id: this.#id });
  }

  /** Posted; true while the program runs (its first process ends the run when it ends). */
  signal(signal: number, all: boolean): boolean {
    this.#post({ type: 'signal', id: this.#id, signal, all });
    return this.#state === 'booted' || this.#state === 'running';
  }

  endFor(limit: LimitName): void {
    this.#post({ type: 'end-for', id: this.#id, limit });
  }

  overflow(): void {
    this.#post({ type: 'overflow', id: this.#id });
  }

  pushStdin(bytes: Uint8Array): void {
    this.#post({ type: 'stdin', id: this.#id, bytes });
  }

  endStdin(): void {
    this.#post({ type: 'stdin-end', id: this.#id });
  }

  exec(spec: ExecSpec): Promise<ExecProcess> {
    if (this.#state !== 'running') return Promise.reject(new SandboxError('the sandbox is not running', 125));
    const execId = this.#nextExec++;
    return new Promise<ExecProcess>((resolve, reject) => {
      let end!: (s: ExecStatus) => void;
      let fail!: (e: Error) => void;
      const exited = new Promise<ExecStatus>((res, rej) => {
        end = res;
        fail = rej;
      });
      let running = false;
      this.#execs.set(execId, {
        started: (pid) => {
          running = true;
          resolve({ pid, exited, signal: (signal) => this.#post({ type: 'exec-signal', id: this.#id, execId, signal }) });
        },
        // Before it started, the start fails; after, its end.
        failed: (e) => (running ? fail(e) : reject(e)),
        ended: end,
      });
      this.#worker!.post({ type: 'exec', id: this.#id, execId, spec });
    });
  }

  readFile(path: string): Uint8Array | undefined {
    if (this.#state !== 'ended' || this.#worker === undefined) return undefined;
    const bytes = this.#worker.request({ type: 'read-file', id: this.#id, path });
    return bytes instanceof Uint8Array ? bytes : undefined;
  }

  dispose(): void {
    this.#worker?.post({ type: 'dispose', id: this.#id });
    this.#worker?.detach(this.#id);
  }
}

/** A program exec is starting or running in the worker. */
interface PendingExec {
  started(pid: number): void;
  failed(e: Error): void;
  ended(s: ExecStatus): void;
}

function unwire(e: WireError): Error {
  if (e.status !== undefined) return new SandboxError(e.message, e.status);
  const error = new Error(e.message);
  if (e.stack !== undefined) error.stack = e.stack;
  return error;
}
