// A SandboxPool's worker thread: it runs the sandboxes the pool gives it,
// each a SandboxEngine (VM, vCPU, Sentry) of this thread, several at once as
// the caller's thread did before (each yields to this event loop while its
// program waits and at every preemption tick). Messages: sandbox-protocol.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { announceWorker, reply } from './reply.js';
import { DEFAULT_MEMORY } from './limits.js';
import { PreparedVms } from './prepared-vm.js';
import { type EngineEvents, type ExecProcess, type ExecSpec, SandboxEngine, vmShape } from './sandbox-engine.js';
import { SandboxError } from './sandbox-error.js';
import type { FromWorker, ToWorker, WireError, WorkerInit } from './sandbox-protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
announceWorker(init.replyState);
/** The next sandbox's VM, made while this worker has nothing else to do: first of the default shape, then of the last one's. */
const vms = new PreparedVms(vmShape(DEFAULT_MEMORY));
setImmediate(() => vms.refill());

/** Booted or running sandboxes, and ended ones whose files the caller may still read. */
const engines = new Map<number, SandboxEngine>();

function send(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

function wire(e: unknown): WireError {
  if (e instanceof SandboxError) return { message: e.message, status: e.status };
  if (e instanceof Error) return { message: e.message, stack: e.stack };
  return { message: String(e) };
}

function eventsOf(id: number): EngineEvents {
  return {
    output: (fd, bytes) => send({ type: 'output', id, fd, bytes }, [bytes.buffer as ArrayBuffer]),
    diagnostic: (line, kind) => send({ type: 'diagnostic', id, line, kind }),
    strace: (line) => send({ type: 'strace', id, line }),
  };
}

async function bootOne(id: number, engine: SandboxEngine): Promise<void> {
  try {
    await engine.boot();
  } catch (e) {
    engines.delete(id);
    send({ type: 'boot-failed', id, error: wire(e) });
    setImmediate(() => vms.refill());
    return;
  }
  send({ type: 'booted', id });
}

async function runOne(id: number, engine: SandboxEngine): Promise<void> {
  try {
    const result = await engine.run();
    send({ type: 'ended', id, result }, [result.stdout.buffer as ArrayBuffer, result.stderr.buffer as ArrayBuffer]);
  } catch (e) {
    engines.delete(id);
    send({ type: 'failed', id, error: wire(e) });
  }
  // After the result, not between a boot and its run: preparing takes the thread for tens of milliseconds.
  setImmediate(() => vms.refill());
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
    const engine = new SandboxEngine(m.spec, eventsOf(m.id), vms);
    engines.set(m.id, engine);
    void bootOne(m.id, engine);
    return;
  }
  const engine = engines.get(m.id);
  switch (m.type) {
    case 'run':
      if (engine !== undefined) void runOne(m.id, engine);
      break;
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
      break;
  }
});
