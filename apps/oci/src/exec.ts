// `tsv-oci exec`: another program in a running container, as runc's exec
// starts one. It runs in the container's sandbox (holder-exec.ts), and a
// host process of its own stands for it, its proxy (`tsv-oci exec-proxy`):
// the proxy's stdio and descriptors from 4 are the program's (sent to the
// container's process with SCM_RIGHTS), its exit status is the program's,
// the signals it takes are passed on, and killing it kills the program.
// That is the process --pid-file names and an engine waits for (containerd's
// shim reaps it as a subreaper); `ps` lists it. Without --detach, exec waits
// for it and exits with its status.
import { spawn } from 'node:child_process';
import { closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, processOf, readConfig } from './config.js';
import { Fields } from './config-fields.js';
import { checkConsole, consoleFor, DEFAULT_CONSOLE, kvmSys } from './console.js';
import { type ExecRequest, request, withSocketName } from './control.js';
import { BIN, CommandError, exitStatus, forwardingSignals, type Globals, readOutcome, signalNumber, stateOf } from './lifecycle.js';
import { childFds, preservedFds, tell } from './ready.js';
import { containerDir, controlPath, currentStatus, fdSocketPath, writeFileAtomic } from './state.js';

/** exec's command line, as cli.ts parses it. */
export interface ExecOptions {
  id: string;
  /** The program and its arguments (without --process). */
  args: string[];
  /** An OCI process object (JSON file) instead of args and the flags below. */
  processFile: string | undefined;
  env: string[];
  cwd: string | undefined;
  /** 'UID[:GID]'. */
  user: string | undefined;
  /** --additional-gids, each a number. */
  groups: string[];
  tty: boolean;
  consoleSocket: string | undefined;
  pidFile: string | undefined;
  detach: boolean;
  preserveFds: number;
}

/** The program's process: from --process, or the container's own (config.json) with args and flags over it, as runc does. */
function processFor(o: ExecOptions, bundle: string) {
  if (o.processFile !== undefined) {
    if (o.args.length > 0) throw new CommandError('exec: --process and a command are exclusive');
    const file = resolve(o.processFile);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const p = processOf(new Fields(doc, '', file));
    return { ...p, rlimits: [...p.rlimits] };
  }
  if (o.args.length === 0) throw new CommandError('exec: a command to run, or --process, is required');
  const c = readConfig(bundle);
  o.env.forEach((kv) => {
    if (!kv.includes('=')) throw new CommandError(`--env: K=V expected, got '${kv}'`);
  });
  if (o.cwd !== undefined && !isAbsolute(o.cwd)) throw new CommandError(`--cwd: an absolute path is required, got '${o.cwd}'`);
  const user = o.user === undefined ? undefined : /^(\d+)(?::(\d+))?$/.exec(o.user);
  if (user === null) throw new CommandError(`--user: UID[:GID] expected (numbers), got '${o.user}'`);
  const bad = o.groups.find((g) => !/^\d+$/.test(g));
  if (bad !== undefined) throw new CommandError(`--additional-gids: a group number expected, got '${bad}'`);
  return {
    args: o.args,
    env: [...((c.options.env as string[] | undefined) ?? []), ...o.env],
    cwd: o.cwd ?? c.options.cwd ?? '/',
    uid: user === undefined ? (c.options.uid ?? 0) : Number(user[1]),
    gid: user === undefined ? (c.options.gid ?? 0) : Number(user[2] ?? 0),
    // runc: --user replaces the user, groups included; --additional-gids are the groups then.
    groups: o.groups.length > 0 || user !== undefined ? o.groups.map(Number) : [...(c.options.groups ?? [])],
    rlimits: [...(c.options.rlimits ?? [])],
    terminal: o.tty,
    consoleSize: c.consoleSize,
  };
}

/** Runs `tsv-oci exec`; resolves with the status to exit with. */
export async function exec(g: Globals, o: ExecOptions): Promise<number> {
  const s = stateOf(g, o.id);
  const status = currentStatus(s);
  if (status !== 'running') throw new CommandError(`cannot exec in a ${status} container`);
  const p = processFor(o, s.bundle);
  checkConsole(p.terminal, o.consoleSocket, o.detach);
  const dir = containerDir(g.root, o.id);
  const execId = randomBytes(8).toString('hex');
  const req: Omit<ExecRequest, 'proxy'> = {
    op: 'exec',
    execId,
    argv: p.args,
    env: p.env,
    cwd: p.cwd,
    uid: p.uid,
    gid: p.gid,
    groups: p.groups,
    rlimits: p.rlimits,
    pty: p.terminal ? { cols: p.consoleSize.cols || DEFAULT_CONSOLE.cols, rows: p.consoleSize.rows || DEFAULT_CONSOLE.rows } : undefined,
  };
  const tty = o.consoleSocket === undefined ? undefined : await consoleFor(o.consoleSocket);
  // The request goes through a file of the container's directory (0700): argv and env stay out of the proxy's command line.
  const requestFile = join(dir, `exec-${execId}.json`);
  writeFileSync(requestFile, JSON.stringify({ req, fds: o.preserveFds }), { mode: 0o600 });
  const stdio = tty ?? 'inherit';
  const child = spawn(process.execPath, [BIN, 'exec-proxy', dir, requestFile], {
    detached: true,
    stdio: [stdio, stdio, stdio, 'pipe', ...preservedFds(o.preserveFds)],
  });
  if (tty !== undefined) closeSync(tty);
  const exited = exitStatus(child);
  const outcome = await readOutcome(child);
  rmSync(requestFile, { force: true });
  if ('error' in outcome) throw new CommandError(outcome.error);
  if (o.pidFile !== undefined) writeFileAtomic(resolve(o.pidFile), String(child.pid));
  if (o.detach) {
    child.unref();
    return 0;
  }
  return forwardingSignals(exited, async (signal) => child.kill(signal));
}

/** Signals the proxy passes on to its program (SIGKILL cannot be caught: the container's process sees the proxy go). */
const PROXIED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGTSTP'];

/** The proxy (`tsv-oci exec-proxy DIR FILE`): starts the program, then lives as long as it does. */
export async function execProxyMain(dir: string, requestFile: string): Promise<number> {
  let req: ExecRequest;
  let fds: number;
  try {
    const doc = JSON.parse(readFileSync(requestFile, 'utf8')) as { req: Omit<ExecRequest, 'proxy'>; fds: number };
    req = { ...doc.req, proxy: process.pid };
    fds = doc.fds;
    const mine = [0, 1, 2, ...childFds(fds)];
    const { unixSend } = kvmSys();
    await withSocketName(fdSocketPath(dir), async (name) => unixSend(name, Buffer.from(JSON.stringify({ execId: req.execId })), mine));
  } catch (e) {
    return tell({ error: `exec: ${e instanceof Error ? e.message : String(e)}` });
  }
  const ctl = controlPath(dir);
  const started = await request(ctl, req).catch((e: Error) => ({ ok: false as const, error: e.message }));
  if (!started.ok) return tell({ error: started.error });
  tell({ ok: true });
  for (const sig of PROXIED)
    process.on(sig, () => {
      request(ctl, { op: 'exec-signal', execId: req.execId, signal: signalNumber(sig) }).catch(() => {});
    });
  const ended = await request(ctl, { op: 'exec-wait', execId: req.execId }, 0).catch(() => null);
  // The container's process went first (the container ended): its programs were killed with it.
  return ended?.ok === true ? (ended.status ?? 0) : 137;
}
