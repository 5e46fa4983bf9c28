// The container's process's side of `exec`: programs started in its
// running sandbox (Sandbox.exec). Each has a host process standing for it,
// its proxy (exec.ts), which sends its descriptors to the fd socket, asks
// on the control socket to start it, then waits there for its end: the
// proxy's exit status is the program's, which is what the engine that
// started it reads. A proxy that goes away first (SIGKILL) takes its
// program with it.
import { closeSync } from 'node:fs';
import { unixAccept, unixListen } from '@tsv/kvm-sys';
import type { ExecProcess, Sandbox } from '@tsv/runner';
import { type ExecRequest, type Reply, withSocketName } from './control.js';
import { SIGKILL } from './signals.js';
import { fdSocketPath } from './state.js';

/** How long descriptors wait for their exec request: a proxy asks at once after sending them. */
const STALE_MS = 60_000;

interface Running {
  proxy: number;
  process: ExecProcess;
  /** Its status as a shell reports it, once it ended (its descriptors closed then). */
  status: Promise<number>;
}

export class Execs {
  readonly #listener: number;
  /** Descriptors taken from the fd socket, by execId, until their exec request comes (and when they came). */
  readonly #received = new Map<string, { fds: number[]; at: number }>();
  readonly #running = new Map<string, Running>();

  private constructor(listener: number) {
    this.#listener = listener;
  }

  /** Listens on the container's fd socket (state.ts fdSocketPath). */
  static async listen(dir: string): Promise<Execs> {
    return new Execs(await withSocketName(fdSocketPath(dir), async (name) => unixListen(name)));
  }

  /** The proxies of the programs that run (ps lists them with the container's process). */
  proxies(): number[] {
    return [...this.#running.values()].map((r) => r.proxy);
  }

  /** Starts the program of `req` in `sandbox`; the reply carries its pid in the sandbox. */
  async start(sandbox: Sandbox, req: ExecRequest): Promise<Reply> {
    this.#take();
    const fds = this.#received.get(req.execId)?.fds;
    this.#received.delete(req.execId);
    if (fds === undefined || fds.length < 3) {
      closeAll(fds ?? []);
      return { ok: false, error: 'exec: the descriptors of the process did not arrive' };
    }
    const [stdin, stdout, stderr] = fds as [number, number, number];
    let p: ExecProcess;
    try {
      p = await sandbox.exec(req.argv, {
        env: req.env,
        cwd: req.cwd,
        uid: req.uid,
        gid: req.gid,
        groups: req.groups,
        rlimits: new Map(req.rlimits),
        ...(req.pty !== undefined ? { pty: { ...req.pty, fd: stdin } } : { stdin, stdout, stderr }),
        fds: fds.slice(3),
      });
    } catch (e) {
      closeAll(fds);
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    const status = p.exited.then(
      (s) => s.status,
      () => 128 + SIGKILL, // the sandbox's worker ended: the program with it
    );
    void status.then(() => closeAll(fds));
    this.#running.set(req.execId, { proxy: req.proxy, process: p, status });
    return { ok: true, pid: p.pid };
  }

  /** Answers when the program has ended, with its status; kills it if the asker goes first. */
  async wait(execId: string, gone: AbortSignal): Promise<Reply> {
    const r = this.#running.get(execId);
    if (r === undefined) return { ok: false, error: `exec: no process ${execId}` };
    const kill = () => r.process.signal(SIGKILL);
    gone.addEventListener('abort', kill);
    const status = await r.status;
    gone.removeEventListener('abort', kill);
    this.#running.delete(execId);
    return { ok: true, status };
  }

  signal(execId: string, signal: number): Reply {
    const r = this.#running.get(execId);
    if (r === undefined) return { ok: false, error: `exec: no process ${execId}` };
    r.process.signal(signal);
    return { ok: true };
  }

  /**
   * Takes every message waiting on the fd socket (a proxy sends its
   * descriptors before it asks); those of a proxy that never asked (it died
   * in between) are closed once they are STALE_MS old.
   */
  #take(): void {
    const now = Date.now();
    for (const [id, r] of this.#received)
      if (now - r.at > STALE_MS) {
        closeAll(r.fds);
        this.#received.delete(id);
      }
    for (let m = unixAccept(this.#listener); m !== null; m = unixAccept(this.#listener)) {
      let execId: unknown;
      try {
        execId = (JSON.parse(m.data.toString()) as { execId?: unknown }).execId;
      } catch {
        execId = undefined;
      }
      if (typeof execId === 'string' && !this.#received.has(execId)) this.#received.set(execId, { fds: m.fds, at: now });
      else closeAll(m.fds);
    }
  }
}

function closeAll(fds: number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing to release
    }
  }
}
