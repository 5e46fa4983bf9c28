// A SandboxPool's worker thread: it runs the sandboxes the pool gives it,
// each a SandboxEngine (VM, vCPU, Sentry) of this thread, several at once as
// the caller's thread did before (each yields to this event loop while its
// program waits and at every preemption tick). Messages: sandbox-protocol.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { announceWorker, reply } from './reply.js';
import { DEFAULT_MEMORY } from './limits.js';
import { PreparedBoots } from './prepared-boot.js';
import { PreparedVms } from './prepared-vm.js';
import { concat, type EngineEvents, type EngineSpec, type ExecProcess, type ExecSpec, SandboxEngine, vmShape } from './sandbox-engine.js';
import { SandboxError } from './sandbox-error.js';
import type { FromWorker, ToWorker, WireError, WorkerInit } from './sandbox-protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
announceWorker(init.replyState);
/** The next sandbox's VM, made while this worker has nothing else to do: first of the default shape, then of the last one's. */
const vms = new PreparedVms(vmShape(DEFAULT_MEMORY));
setImmediate(() => vms.refill());
/** The next sandbox, booted while this worker has nothing else to do, for a request like the last one's. */
const prepared = new PreparedBoots(vms);

/** Booted or running sandboxes, and ended ones whose files the caller may still read. */
const engines = new Map<number, SandboxEngine>();

function send(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  batches.get(m.id)?.flush();
  port.postMessage(m, transfer);
}

function wire(e: unknown): WireError {
  if (e instanceof SandboxError) return { message: e.message, status: e.status };
  if (e instanceof Error) return { message: e.message, stack: e.stack };
  return { message: String(e) };
}

/**
 * A sandbox's forwarded output, gathered: the chunks its program writes in
 * one turn of this event loop (a run slice) cross to the caller as one
 * message per stream, not one per write system call, so a program printing
 * line by line costs the caller's thread a message per slice. A new stream
 * or any other message of the sandbox sends what was gathered first: the
 * order of everything it sends is kept.
 */
class OutputBatch {
  readonly #id: number;
  #fd: 1 | 2 = 1;
  #chunks: Uint8Array[] = [];
  #scheduled = false;

  constructor(id: number) {
    this.#id = id;
  }

  add(fd: 1 | 2, bytes: Uint8Array): void {
    if (fd !== this.#fd) this.flush();
    this.#fd = fd;
    this.#chunks.push(bytes);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.#scheduled = false;
    const chunks = this.#chunks;
    if (chunks.length === 0) return;
    this.#chunks = [];
    const bytes = chunks.length === 1 ? chunks[0]! : concat(chunks);
    port.postMessage({ type: 'output', id: this.#id, fd: this.#fd, bytes } satisfies FromWorker, [bytes.buffer as ArrayBuffer]);
  }
}

/** Gathered output of each sandbox that has some (sent before any other message of it). */
const batches = new Map<number, OutputBatch>();

function eventsOf(id: number): EngineEvents {
  const batch = new OutputBatch(id);
  batches.set(id, batch);
  return {
    output: (fd, bytes) => batch.add(fd, bytes),
    diagnostic: (line, kind) => send({ type: 'diagnostic', id, line, kind }),
    strace: (line) => send({ type: 'strace', id, line }),
  };
}

/**
 * Sandboxes not run yet: their boot, true once it succeeded (a run the caller
 * sent right behind it starts when that is done), and what they were asked
 * with (the next one may be prepared like it).
 */
const unrun = new Map<number, { booted: Promise<boolean>; request: EngineSpec }>();
/** Sandboxes booting or running here. */
const live = new Set<number>();

async function bootOne(id: number, engine: SandboxEngine): Promise<boolean> {
  try {
    await engine.boot();
  } catch (e) {
    engines.delete(id);
    unrun.delete(id);
    live.delete(id);
    send({ type: 'boot-failed', id, error: wire(e) });
    batches.delete(id);
    setImmediate(() => {
      vms.refill();
      vms.settle();
    });
    return false;
  }
  send({ type: 'booted', id });
  return true;
}

async function runOne(id: number, engine: SandboxEngine, request: EngineSpec): Promise<void> {
  try {
    const result = await engine.run();
    send({ type: 'ended', id, result }, [result.stdout.buffer as ArrayBuffer, result.stderr.buffer as ArrayBuffer]);
  } catch (e) {
    engines.delete(id);
    send({ type: 'failed', id, error: wire(e) });
  }
  batches.delete(id); // its last message is sent: nothing more to gather
  live.delete(id);
  // After the result, not between a boot and its run: preparing takes the thread for milliseconds.
  setImmediate(() => {
    vms.refill();
    // A whole boot would stall the sandboxes this worker runs.
    if (live.size === 0) {
      prepared.prepare(request); // takes the VM just prepared
      vms.refill();
    }
    vms.settle();
  });
}

/** Programs exec started that have not ended, by `sandbox id:execId`. */
const execs = new Map<string, ExecProcess>();

async function execOne(id: number, execId: number, engine: SandboxEngine | undefined, spec: ExecSpec): Promise<void> {
  let p: ExecProcess;
  try {
    if (engine === undefined) throw new SandboxError('the sandbox is not running', 125);
    p = await engine.exec(spec);
  } catch (e) {
    send({ type: 'exec-failed', id, execId, error: wire(e) });
    return;
  }
  const key = `${id}:${execId}`;
  execs.set(key, p);
  send({ type: 'exec-started', id, execId, pid: p.pid });
  const status = await p.exited;
  execs.delete(key);
  send({ type: 'exec-ended', id, execId, status });
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'boot') {
    const events = eventsOf(m.id);
    const engine = prepared.take(m.spec, events) ?? new SandboxEngine(m.spec, events, vms);
    engines.set(m.id, engine);
    live.add(m.id);
    unrun.set(m.id, { booted: bootOne(m.id, engine), request: m.spec });
    return;
  }
  const engine = engines.get(m.id);
  switch (m.type) {
    case 'run': {
      const r = unrun.get(m.id);
      unrun.delete(m.id);
      void r?.booted.then((ok) => {
        if (ok && engine !== undefined) void runOne(m.id, engine, r.request);
      });
      break;
    }
    case 'kill':
      engine?.kill(m.signal);
      break;
    case 'signal':
      engine?.signal(m.signal, m.all);
      break;
    case 'end-for':
      engine?.endFor(m.limit);
      break;
    case 'overflow':
      engine?.overflow();
      break;
    case 'stdin':
      engine?.pushStdin(m.bytes);
      break;
    case 'stdin-end':
      engine?.endStdin();
      break;
    case 'resize':
      engine?.resize(m.cols, m.rows);
      break;
    case 'pause':
      engine?.pause();
      break;
    case 'resume':
      engine?.resume();
      break;
    case 'exec':
      void execOne(m.id, m.execId, engine, m.spec);
      break;
    case 'exec-signal':
      execs.get(`${m.id}:${m.execId}`)?.signal(m.signal);
      break;
    case 'read-file':
      reply(init.replyState, init.replyPort, engine?.readFile(m.path));
      break;
    case 'dispose':
      engine?.dispose();
      engines.delete(m.id);
      unrun.delete(m.id);
      live.delete(m.id);
      break;
  }
});
