// The container process's control socket (<root>/<id>/ctl.sock): one JSON
// request line, one JSON reply line, then the connection closes. Only the
// owner of --root reaches it (the directory is 0700).
import { closeSync, openSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { dirname } from 'node:path';

export type Request = { op: 'start' } | { op: 'kill'; signal: number; all: boolean } | { op: 'ps' };
export type Reply = { ok: true; pids?: number[] } | { ok: false; error: string };

/** Longest unix socket path (sun_path less its NUL). */
const SUN_PATH_MAX = 107;

/**
 * Runs `use` with a name for the socket at `path` that fits in sun_path: the
 * path itself, or the same file through a descriptor of its directory.
 */
async function withSocketName<T>(path: string, use: (name: string) => Promise<T>): Promise<T> {
  if (Buffer.byteLength(path) <= SUN_PATH_MAX) return use(path);
  const fd = openSync(dirname(path), 'r');
  try {
    return await use(`/proc/self/fd/${fd}/${path.slice(dirname(path).length + 1)}`);
  } finally {
    closeSync(fd);
  }
}

/** Sends `req` to the container process; rejects when it is not there. */
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

/** Listens at `path`, answering each request with `handle`. */
export function serve(path: string, handle: (req: Request) => Promise<Reply> | Reply): Promise<Server> {
  const server = createServer((sock) => {
    let data = '';
    let answered = false;
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', async (d: string) => {
      data += d;
      const nl = data.indexOf('\n');
      if (nl < 0 || answered) return;
      answered = true;
      let reply: Reply;
      try {
        reply = await handle(JSON.parse(data.slice(0, nl)) as Request);
      } catch (e) {
        reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
      sock.end(`${JSON.stringify(reply)}\n`);
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
