// The directories of one run: a fresh root for the sandbox, and beside it
// canaries the program must never reach.
//
//   BASE/root/      the sandbox's /: the fuzzer, a work directory, a few files
//   BASE/outside/   canary.txt and canary-dir/ (with a file and a directory)
//
// After the run, nothing under BASE may differ: not the canaries, not BASE's
// own listing (nothing new beside root/), and not root/ either, since the
// sandbox keeps its writes to the root in memory.
import { createHash } from 'node:crypto';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Creates BASE with root/ and outside/; `guestBin` becomes root/fuzz. */
export function makeRunDirs(guestBin) {
  const base = mkdtempSync(join(tmpdir(), 'tsv-fuzz-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  for (const d of ['work', 'tmp', 'etc', 'data/dir']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(guestBin, join(root, 'fuzz'));
  writeFileSync(join(root, 'data/small.txt'), 'a small file\n');
  writeFileSync(join(root, 'data/dir/inner.txt'), 'inner\n');
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  mkdirSync(join(outside, 'canary-dir/sub'), { recursive: true });
  writeFileSync(join(outside, 'canary.txt'), 'canary: the sandbox must not touch this\n');
  writeFileSync(join(outside, 'canary-dir/inner.txt'), 'canary inside a directory\n');
  return { base, root, outside };
}

/** Everything under `dir` that a change would show in: type, mode, size, mtime, content, link target. */
export function snapshot(dir) {
  const entries = new Map();
  const walk = (path, rel) => {
    const st = lstatSync(path);
    let what = `${st.mode.toString(8)} ${st.size} ${st.mtimeMs}`;
    if (st.isFile()) what += ` ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    else if (st.isSymbolicLink()) what += ` -> ${readlinkSync(path)}`;
    entries.set(rel, what);
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name), `${rel}/${name}`);
  };
  walk(dir, '.');
  return entries;
}

/** What differs between two snapshots, as "path: changed|appeared|vanished" (empty when nothing). */
export function differences(before, after) {
  const out = [];
  for (const [path, what] of after) {
    if (!before.has(path)) out.push(`${path}: appeared`);
    else if (before.get(path) !== what) out.push(`${path}: changed`);
  }
  for (const path of before.keys()) if (!after.has(path)) out.push(`${path}: vanished`);
  return out;
}

export function removeRunDirs({ base }) {
  rmSync(base, { recursive: true, force: true });
}
