// The container process's control socket (<root>/<id>/ctl.sock): one JSON
// request line, one JSON reply line, then the connection closes. Only the
// owner of --root reaches it (the directory is 0700).
import { closeSync, openSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { dirname } from 'node:path';

export type Request =
  | { op: 'start' }
  | { op: 'kill'; signal: number; all: boolean }
  | { op: 'ps' }
  | { op: 'pause' }
  | { op: 'resume' }
  | ExecRequest
  /** Answered when the exec'd program `execId` has ended; the program is killed if the asker goes first. */
  | { op: 'exec-wait'; execId: string }
  /** A signal for the exec'd program `execId`. */
  | { op: 'exec-signal'; execId: string; signal: number };

/**
 * A second program in the running sandbox (tsv-oci exec). Its descriptors
 * were sent first to the fd socket (fdSocketPath) in a message holding
 * `execId`: stdin, stdout, stderr, then the preserved ones (3, 4, ...).
 * `pty`: its stdin is a host terminal for all three. `proxy` is the host
 * process that stands for it (ps lists it).
 */
export interface ExecRequest {
  op: 'exec';
  execId: string;
  proxy: number;
  argv: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  rlimits: [number, { soft: number; hard: number }][];
  pty?: { cols: number; rows: number };
}

/** `pid`: the exec'd program's in the sandbox; `status`: how it ended (exec-wait). */
export type Reply = { ok: true; pids?: number[]; pid?: number; status?: number } | { ok: false; error: string };

/** Longest unix socket path (sun_path less its NUL). */
const SUN_PATH_MAX = 107;

/**
 * Runs `use` with a name for the socket at `path` that fits in sun_path: the
 * path itself, or the same file through a descriptor of its directory.
 */
export async function withSocketName<T>(path: string, use: (name: string) => Promise<T>): Promise<T> {
  if (Buffer.byteLength(path) <= SUN_PATH_MAX) return use(path);
  const fd = openSync(dirname(path), 'r');
  try {
    return await use(`/proc/self/fd/${fd}/${path.slice(dirname(path).length + 1)}`);
  } finally {
    closeSync(fd);
  }
}

/** Sends `req` to the container process; rejects when it is not there. `timeoutMs` 0: no timeout (exec-wait). */
export function request(path: string, req: Request, timeoutMs = 10_000): Promise<Reply> {
  return withSocketName(
    path,
    (name) =>
      new Promise<Reply>((resolve, reject) => {
        const sock = createConnection(name);
        let data = '';
        sock.setEncoding('utf8');
        sock.setTimeout(timeoutMs, () => sock.destroy(new Error('the container process did not answer')));
        sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
        sock.on('data', (d: string) => {
          data += d;
        });
        sock.on('error', reject);
        sock.on('close', () => {
          try {
            resolve(JSON.parse(data) as Reply);
          } catch {
            reject(new Error('the container process closed the connection'));
          }
        });
      }),
  );
}

/** Listens at `path`, answering each request with `handle`; `gone` is aborted when the asker closes its end first. */
export function serve(path: string, handle: (req: Request, gone: AbortSignal) => Promise<Reply> | Reply): Promise<Server> {
  const server = createServer((sock) => {
    let data = '';
    let answered = false;
    const gone = new AbortController();
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('close', () => gone.abort());
    sock.on('data', async (d: string) => {
      data += d;
      const nl = data.indexOf('\n');
      if (nl < 0 || answered) return;
      answered = true;
      let reply: Reply;
      try {
        reply = await handle(JSON.parse(data.slice(0, nl)) as Request, gone.signal);
      } catch (e) {
        reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
      if (!sock.destroyed) sock.end(`${JSON.stringify(reply)}\n`);
    });
  });
  return withSocketName(
    path,
    (name) =>
      new Promise<Server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(name, () => resolve(server));
      }),
  );
}
