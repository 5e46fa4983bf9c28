// Compiles the guest program (guest/*.c) into out/fuzz with `gcc -static`,
// unless the binary is newer than every source and header.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GUEST_BIN, GUEST_DIR, OUT_DIR } from './paths.mjs';

const run = promisify(execFile);

/**
 * -fno-stack-protector: the guest's code must not read its canary through FS
 * while a random arch_prctl has moved it. -no-pie: its code and data lie
 * below 4 GiB, where its 32-bit (compatibility mode) code runs.
 */
export const CFLAGS = ['-static', '-no-pie', '-O1', '-Wall', '-Wextra', '-fno-stack-protector'];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Resolves to {state: 'built'|'up-to-date', output}; rejects with the compiler's output when it fails. */
export async function buildGuest({ cc = process.env.CC ?? 'gcc' } = {}) {
  const sources = readdirSync(GUEST_DIR).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
  const newest = Math.max(...sources.map((f) => mtime(join(GUEST_DIR, f))));
  if (mtime(GUEST_BIN) >= newest) return { state: 'up-to-date', output: '' };
  mkdirSync(OUT_DIR, { recursive: true });
  const units = sources.filter((f) => f.endsWith('.c')).map((f) => join(GUEST_DIR, f));
  try {
    const { stderr } = await run(cc, [...CFLAGS, '-o', GUEST_BIN, ...units]);
    return { state: 'built', output: stderr };
  } catch (e) {
    throw new Error(`building the fuzzer failed:\n${e.stderr ?? ''}${e.message}`);
  }
}
