// Shared fixtures for the VFS tests: a host tree with hostile symlinks, and
// small wrappers that read and write whole files through the VFS.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY } from './constants.js';
import { decodeDirents64 } from './dirent.js';
import type { PathArg } from './path.js';
import type { Vfs } from './vfs.js';

export const SECRET = 'HOST SECRET - must never be read from inside the sandbox';

export interface Fixture {
  base: string;
  root: string;
  outside: string;
  cleanup(): void;
}

/**
 * base/
 *   outside/secret.txt          (outside the root: must stay unreachable)
 *   root/                        (the sandbox root)
 *     etc/passwd                 ("sandbox passwd")
 *     data/hello.txt, data/sub/inner.txt, data/empty/
 *     links/abs      -> /etc/passwd                 (absolute: resolves in the root)
 *     links/up       -> ../../..                    (climbs: stops at the root)
 *     links/rel      -> ../../outside/secret.txt    (relative escape attempt)
 *     links/hostabs  -> <base>/outside/secret.txt   (absolute host path)
 *     links/c1 -> c2 -> c3 -> ../../../../../../..  (relative chain that climbs)
 *     links/loop1 <-> links/loop2, links/self -> self
 *     links/dangling -> nowhere, links/dirlink -> ../data
 */
export function makeFixture(): Fixture {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-vfs-'));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), SECRET);
  for (const d of ['etc', 'data/sub', 'data/empty', 'links']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'sandbox passwd\n');
  fs.writeFileSync(path.join(root, 'data/hello.txt'), 'hello lower\n');
  fs.writeFileSync(path.join(root, 'data/sub/inner.txt'), 'inner\n');
  const links: [string, string][] = [
    ['abs', '/etc/passwd'],
    ['up', '../../..'],
    ['rel', '../../outside/secret.txt'],
    ['hostabs', path.join(outside, 'secret.txt')],
    ['c1', 'c2'],
    ['c2', 'c3'],
    ['c3', '../../../../../../..'],
    ['loop1', 'loop2'],
    ['loop2', 'loop1'],
    ['self', 'self'],
    ['dangling', 'nowhere'],
    ['dirlink', '../data'],
  ];
  for (const [name, target] of links) fs.symlinkSync(target, path.join(root, 'links', name));
  return { base, root, outside, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

/** Every file, directory and symlink under `dir` with its content or target and mode. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string): void => {
    const p = path.join(dir, rel);
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) out[rel] = `link:${fs.readlinkSync(p)}`;
    else if (st.isFile()) out[rel] = `file:${st.mode}:${st.mtimeMs}:${fs.readFileSync(p, 'latin1')}`;
    else if (st.isDirectory()) {
      out[rel] = `dir:${st.mode}`;
      for (const e of fs.readdirSync(p)) visit(path.join(rel, e));
    }
  };
  visit('.');
  return out;
}

/** Reads a whole file through the VFS: its text, or the negative errno. */
export function readText(vfs: Vfs, p: PathArg): string | number {
  const d = vfs.open(p, O_RDONLY);
  if (typeof d === 'number') return d;
  const chunks: Buffer[] = [];
  const buf = new Uint8Array(7); // small, to exercise the offset
  for (;;) {
    const n = d.read(buf);
    if (n < 0) return n;
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  d.close();
  return Buffer.concat(chunks).toString('latin1');
}

/** Creates or truncates a file through the VFS and writes `text`; 0 or the errno. */
export function writeText(vfs: Vfs, p: PathArg, text: string, flags = O_WRONLY | O_CREAT | O_TRUNC): number {
  const d = vfs.open(p, flags, 0o644);
  if (typeof d === 'number') return d;
  const n = d.write(Buffer.from(text, 'latin1'));
  d.close();
  return n < 0 ? n : 0;
}

/** Directory names through getdents64 (without . and ..), sorted; or the errno. */
export function list(vfs: Vfs, p: PathArg): string[] | number {
  const d = vfs.open(p, O_RDONLY | O_DIRECTORY);
  if (typeof d === 'number') return d;
  const buf = new Uint8Array(4096);
  const names: string[] = [];
  for (;;) {
    const n = d.getdents64(buf);
    if (n < 0) return n;
    if (n === 0) break;
    for (const e of decodeDirents64(buf, n)) if (e.name !== '.' && e.name !== '..') names.push(e.name);
  }
  d.close();
  return names.sort();
}
