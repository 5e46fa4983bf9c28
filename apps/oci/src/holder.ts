// The container's process: one host process per container, started by
// `create` as runc starts its init, detached into its own session and
// reparented to whoever waits for it (containerd's shim is a subreaper).
// It boots the sandbox, tells `create` on descriptor 3 whether that worked,
// answers the control socket, runs the program on `start` (and those
// `exec` starts, holder-exec.ts), and exits with
// the program's status (128+N when signal N killed it), which is what the
// shim reports as the container's. Its own lines go to the --log of
// `create`, never to the container's stdout or stderr.
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, type SandboxOptions } from '@tsv/runner';
import { readConfig } from './config.js';
import type { FileBind } from './config-mounts.js';
import { serve, type Reply, type Request } from './control.js';
import { Execs } from './holder-exec.js';
import { childFds, tell } from './ready.js';
import { Log } from './log.js';
import { SIGKILL } from './signals.js';
import { type ContainerState, controlPath, processStartTime, readState, writeState } from './state.js';

/** Signals whose default action does not end a process: before `start` they change nothing. */
const HARMLESS_SIGNALS = new Set([17, 18, 19, 20, 21, 22, 23, 28]);

export async function holderMain(dir: string): Promise<number> {
  const state = readState(dir);
  if (state === null) return tell({ error: `no container state in ${dir}` });
  const log = new Log(state.log, state.logFormat ?? 'text', { stderr: false });
  let sandbox: Sandbox;
  try {
    const cfg = readConfig(state.bundle);
    for (const w of cfg.warnings) log.write('warning', w);
    if (cfg.oomScoreAdj !== undefined) writeFileSync('/proc/self/oom_score_adj', String(cfg.oomScoreAdj));
    const tmpfs = cfg.tmpfs.map((t, i) => {
      const host = join(dir, 'tmpfs', String(i));
      mkdirSync(host, { recursive: true });
      chmodSync(host, t.mode);
      chownSync(host, t.uid, t.gid);
      return `${host}:${t.guest}:${t.readOnly ? 'ro' : 'overlay'}`;
    });
    // With a terminal, stdio is its host pty's slave.
    sandbox = new Sandbox(cfg.argv, {
      ...cfg.options,
      volumes: [...(cfg.options.volumes ?? []), ...tmpfs],
      files: fileCopies(cfg.files),
      fds: childFds(state.preserveFds ?? 0),
      pty: state.terminal,
      // Its init ignores a signal from outside it does not handle, as under runc.
      containerInit: true,
      stdin: 'inherit',
      stdout: 'inherit',
      stderr: state.terminal === undefined ? 'inherit' : undefined,
      // On this thread, as `tsv run` does: this process holds one sandbox, and a worker thread would
      // load the sandbox's code a second time, outside the bundle and its code cache (bin/tsv-oci).
      pool: false,
      warn: (line) => log.write('warning', line),
      strace: cfg.strace ? (line) => log.write('info', line) : undefined,
    });
    await sandbox.start();
  } catch (e) {
    return tell({ error: e instanceof Error ? e.message : String(e) });
  }

  let execs: Execs;
  try {
    execs = await Execs.listen(dir);
  } catch (e) {
    return tell({ error: `fd socket: ${e instanceof Error ? e.message : String(e)}` });
  }
  let started = false;
  const handle = (req: Request, gone: AbortSignal): Reply | Promise<Reply> => {
    switch (req.op) {
      case 'start':
        if (started) return { ok: false, error: 'the container has already been started' };
        started = true;
        writeState(dir, { ...readState(dir)!, status: 'running' });
        void run(dir, sandbox);
        return { ok: true };
      case 'kill':
        if (started) return sandbox.signal(req.signal, req.all) ? { ok: true } : { ok: false, error: 'container not running' };
        // Before start there is no program to take it: a signal that would end one ends the container.
        if (req.signal === SIGKILL || !HARMLESS_SIGNALS.has(req.signal)) setImmediate(() => stop(dir, 128 + req.signal, req.signal));
        return { ok: true };
      case 'ps':
        return { ok: true, pids: [process.pid, ...execs.proxies()] };
      case 'pause':
      case 'resume': {
        const from = req.op === 'pause' ? 'running' : 'paused';
        const s = readState(dir)!;
        if (s.status !== from) return { ok: false, error: `container not ${from}` };
        if (req.op === 'pause') sandbox.pause();
        else sandbox.resume();
        writeState(dir, { ...s, status: req.op === 'pause' ? 'paused' : 'running' });
        return { ok: true };
      }
      case 'exec':
        return started ? execs.start(sandbox, req) : { ok: false, error: 'cannot exec in a created container: start it first' };
      case 'exec-wait':
        return execs.wait(req.execId, gone);
      case 'exec-signal':
        return execs.signal(req.execId, req.signal);
      default:
        return { ok: false, error: `unknown request ${JSON.stringify(req)}` };
    }
  };
  try {
    await serve(controlPath(dir), handle);
  } catch (e) {
    return tell({ error: `control socket: ${e instanceof Error ? e.message : String(e)}` });
  }
  const created: ContainerState = { ...state, pid: process.pid, startTime: processStartTime(process.pid) ?? 0, status: 'created' };
  writeState(dir, created);
  tell({ ok: true });
  // The control socket keeps this process alive until `start` or `kill`.
  return new Promise<number>(() => {});
}

/**
 * The files of file bind mounts as they are now, with their modes: the copies the sandbox starts with,
 * root's (as the host files an engine binds are), whatever the container's user.
 */
function fileCopies(binds: readonly FileBind[]): NonNullable<SandboxOptions['files']> {
  return Object.fromEntries(
    binds.map((b) => [b.guest, { content: readFileSync(b.source), mode: statSync(b.source).mode & 0o7777, owner: 'root' }] as const),
  );
}

/** Runs the program to its end, then ends this process with its status. */
async function run(dir: string, sandbox: Sandbox): Promise<void> {
  let status = 125;
  let signal: number | null = null;
  try {
    const r = await sandbox.wait();
    status = r.status;
    signal = r.signal;
  } catch {
    // The sandbox failed (an internal error, already logged as a diagnostic): status 125.
  }
  stop(dir, status, signal);
}

function stop(dir: string, status: number, signal: number | null): never {
  const s = readState(dir);
  if (s !== null) writeState(dir, { ...s, status: 'stopped', exit: { code: signal === null ? status : null, signal } });
  process.exit(status);
}
