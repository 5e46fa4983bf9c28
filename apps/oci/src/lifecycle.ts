// The commands that change a container: create, start, kill, delete, and
// run (create + start + wait). Each is a new process; what they share is
// the state under --root and the container process's control socket.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readConfig } from './config.js';
import { checkConsole, consoleFor, DEFAULT_CONSOLE } from './console.js';
import { preservedFds } from './ready.js';
import { request } from './control.js';
import type { Log } from './log.js';
import { SIGKILL } from './signals.js';
import {
  containerDir,
  controlPath,
  currentStatus,
  holderAlive,
  makeRoot,
  processStartTime,
  readState,
  removeContainerDir,
  validId,
  writeFileAtomic,
  writeState,
  type ContainerState,
} from './state.js';

/** What every command gets: the global options. */
export interface Globals {
  root: string;
  log: Log;
}

export interface CreateOptions {
  id: string;
  /** Absolute. */
  bundle: string;
  /** Absolute, or none. */
  pidFile: string | undefined;
  /** Where the engine takes the master of the program's terminal (process.terminal). */
  consoleSocket: string | undefined;
  /** How many descriptors from 3 on the program gets (--preserve-fds). */
  preserveFds: number;
}

/** A command that cannot do what it was asked; the message is the one line the user sees. */
export class CommandError extends Error {}

/** This package's bin, which `create` starts again as the container's process (`tsv-oci init DIR`). */
export const BIN = fileURLToPath(new URL('../bin/tsv-oci', import.meta.url));
/** How long `delete` waits for a killed container process to be gone. */
const GONE_TIMEOUT_MS = 10_000;

/**
 * Creates the container: its process boots the sandbox and waits for
 * `start`. Resolves with that process. `detach`: nobody waits for the
 * program here (create, run --detach).
 */
export async function create(g: Globals, o: CreateOptions, detach = true): Promise<ChildProcess> {
  if (!validId(o.id)) throw new CommandError(`invalid container id '${o.id}'`);
  // A config tsv cannot run fails here, before anything exists.
  const { annotations, terminal, consoleSize } = readConfig(o.bundle);
  checkConsole(terminal, o.consoleSocket, detach);
  makeRoot(g.root);
  const dir = containerDir(g.root, o.id);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    throw new CommandError((e as NodeJS.ErrnoException).code === 'EEXIST' ? `container with id ${o.id} already exists` : String(e));
  }
  writeState(dir, {
    id: o.id,
    bundle: o.bundle,
    pid: 0,
    startTime: 0,
    status: 'creating',
    created: new Date().toISOString(),
    annotations,
    log: g.log.file,
    logFormat: g.log.format,
    preserveFds: o.preserveFds,
    terminal: terminal ? { cols: consoleSize.cols || DEFAULT_CONSOLE.cols, rows: consoleSize.rows || DEFAULT_CONSOLE.rows } : undefined,
  });
  let tty: number | undefined;
  try {
    tty = o.consoleSocket === undefined ? undefined : await consoleFor(o.consoleSocket);
  } catch (e) {
    removeContainerDir(dir);
    throw e;
  }
  const stdio = tty ?? 'inherit';
  const child = spawn(process.execPath, [BIN, 'init', dir], {
    detached: true,
    cwd: dir,
    stdio: [stdio, stdio, stdio, 'pipe', ...preservedFds(o.preserveFds)],
  });
  if (tty !== undefined) closeSync(tty);
  const outcome = await readOutcome(child);
  if ('error' in outcome) {
    if (child.exitCode === null) child.kill('SIGKILL');
    removeContainerDir(dir);
    throw new CommandError(outcome.error);
  }
  const s = readState(dir)!;
  if (o.pidFile !== undefined) writeFileAtomic(o.pidFile, String(s.pid));
  return child;
}

/** The line a child (the container process, an exec proxy) writes on descriptor 3 once it started (or failed to). */
export function readOutcome(child: ChildProcess): Promise<{ ok: true } | { error: string }> {
  return new Promise((resolve) => {
    let data = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => {
      data += d;
    });
    pipe.on('error', () => {});
    pipe.on('end', () => {
      try {
        resolve(JSON.parse(data));
      } catch {
        resolve({ error: 'the container process ended before the sandbox booted' });
      }
    });
  });
}

/** The container's state, or a CommandError when there is none. */
export function stateOf(g: Globals, id: string): ContainerState {
  const s = validId(id) ? readState(containerDir(g.root, id)) : null;
  if (s === null) throw new CommandError(`container ${id} does not exist`);
  return s;
}

export async function ask(g: Globals, id: string, req: Parameters<typeof request>[1]) {
  const reply = await request(controlPath(containerDir(g.root, id)), req).catch((e: Error) => {
    throw new CommandError(`container ${id}: ${e.message}`);
  });
  if (!reply.ok) throw new CommandError(reply.error);
  return reply;
}

export async function start(g: Globals, id: string): Promise<void> {
  const status = currentStatus(stateOf(g, id));
  if (status !== 'created') throw new CommandError(`cannot start a container that is ${status}`);
  await ask(g, id, { op: 'start' });
}

export async function kill(g: Globals, id: string, signal: number, all: boolean): Promise<void> {
  const s = stateOf(g, id);
  const status = currentStatus(s);
  // containerd's shim takes exactly this message for a container that has already ended.
  if (status === 'stopped' || status === 'creating') throw new CommandError('container not running');
  // SIGKILL ends every process of the sandbox, which all live in its host process: that process goes.
  if (signal === SIGKILL) process.kill(s.pid, SIGKILL);
  else await ask(g, id, { op: 'kill', signal, all });
}

/**
 * pause: every process of the container is frozen (Sandbox.pause, as runc's
 * cgroup freezer) until resume; `state` says paused meanwhile.
 */
export async function pause(g: Globals, id: string, op: 'pause' | 'resume'): Promise<void> {
  const status = currentStatus(stateOf(g, id));
  const from = op === 'pause' ? 'running' : 'paused';
  if (status !== from) throw new CommandError(`container not ${from}`);
  await ask(g, id, { op });
}

/** The host pids running the container: its one process (the sandbox's processes live in it). */
export async function pids(g: Globals, id: string): Promise<number[]> {
  const s = stateOf(g, id);
  return currentStatus(s) === 'stopped' ? [] : ((await ask(g, id, { op: 'ps' })).pids ?? []);
}

export async function remove(g: Globals, id: string, force: boolean): Promise<void> {
  const dir = containerDir(g.root, id);
  const s = validId(id) ? readState(dir) : null;
  if (s === null) {
    // An aborted create may leave a directory without state: it goes either way (as runc).
    if (validId(id)) removeContainerDir(dir);
    if (force) return;
    throw new CommandError(`container ${id} does not exist`);
  }
  const status = currentStatus(s);
  if (status !== 'stopped' && status !== 'created' && !force)
    throw new CommandError(`cannot delete container ${id} that is not stopped: ${status}`);
  if (status !== 'stopped' && holderAlive(s)) {
    // The proxies of programs exec started go too (they would follow their container's process, a moment later).
    const proxies = (await pids(g, id).catch(() => [])).filter((pid) => pid !== s.pid);
    const all = [s, ...proxies.map((pid) => ({ pid, startTime: processStartTime(pid) }))];
    for (const p of all) if (p.startTime !== null) process.kill(p.pid, SIGKILL);
    for (const p of all) await gone(p);
  }
  removeContainerDir(dir);
}

/** Waits until a process of the container has ended (or its pid names another process). */
async function gone(s: { pid: number; startTime: number | null }): Promise<void> {
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  while (processStartTime(s.pid) === s.startTime) {
    if (Date.now() > deadline) throw new CommandError(`container process ${s.pid} did not end after SIGKILL`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Signals `run` passes on to the container, as runc's signal proxy does. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** create + start; unless detached, waits for the container's end, deletes it and resolves with its status. */
export async function run(g: Globals, o: CreateOptions, detach: boolean): Promise<number> {
  const child = await create(g, o, detach);
  const exited = exitStatus(child);
  try {
    await start(g, o.id);
  } catch (e) {
    await remove(g, o.id, true);
    throw e;
  }
  if (detach) {
    child.unref();
    return 0;
  }
  const status = await forwardingSignals(exited, (signal) => kill(g, o.id, signal, false));
  await remove(g, o.id, true);
  return status;
}

/** Resolves with `until`, passing the signals of FORWARDED to `send` meanwhile (runc's signal proxy). */
export async function forwardingSignals<T>(until: Promise<T>, send: (signal: number) => Promise<unknown>): Promise<T> {
  const forward = (sig: NodeJS.Signals) => {
    send(signalNumber(sig)).catch(() => {});
  };
  for (const sig of FORWARDED) process.on(sig, forward);
  try {
    return await until;
  } finally {
    for (const sig of FORWARDED) process.off(sig, forward);
  }
}

/** Resolves with `child`'s exit status as a shell reports it: its code, or 128 + the signal that ended it. */
export function exitStatus(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? 128 + signalNumber(sig))));
}

export function signalNumber(sig: NodeJS.Signals | null): number {
  return sig === null ? 0 : (constants.signals[sig] ?? 0);
}
