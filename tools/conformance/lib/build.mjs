// Compiles cases with `gcc -static -O1`, skipping binaries newer than their
// source and every shared header in cases/.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { CASES_DIR, OUT_DIR, SUITE_DIR } from './paths.mjs';

const run = promisify(execFile);

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

function newestHeader() {
  const headers = readdirSync(CASES_DIR).filter((f) => f.endsWith('.h'));
  return Math.max(-1, ...headers.map((h) => mtime(join(CASES_DIR, h))));
}

export function isUpToDate(c, headerTime = newestHeader()) {
  const bin = mtime(c.bin);
  return bin >= 0 && bin >= mtime(c.src) && bin >= headerTime;
}

/**
 * Builds the given cases, a few at a time. Resolves to
 * [{name, state: 'built'|'up-to-date'|'failed', output}]; never rejects for
 * a compile error, so one broken case does not hide the others.
 */
export async function buildCases(cases, { cc = process.env.CC ?? 'gcc' } = {}) {
  mkdirSync(OUT_DIR, { recursive: true });
  const headerTime = newestHeader();
  const results = new Array(cases.length);
  let next = 0;
  async function worker() {
    while (next < cases.length) {
      const i = next++;
      const c = cases[i];
      if (isUpToDate(c, headerTime)) {
        results[i] = { name: c.name, state: 'up-to-date', output: '' };
        continue;
      }
      const args = ['-static', '-O1', '-o', relative(SUITE_DIR, c.bin), relative(SUITE_DIR, c.src)];
      try {
        const { stderr } = await run(cc, args, { cwd: SUITE_DIR });
        results[i] = { name: c.name, state: 'built', output: stderr };
      } catch (e) {
        results[i] = { name: c.name, state: 'failed', output: `${e.stderr ?? ''}${e.message}` };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
  return results;
}
