// C test programs for the runner's tests, built with gcc -static once per run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'tsv-runner-test-'));
const built = new Map<string, string>();

/**
 * Where the programs are built (the host's temp dir, which the default root
 * hides): a run binds it read-only at the same path with this volume.
 */
export const PROGRAMS_DIR = dir;
export const PROGRAMS_VOLUME = `${dir}:${dir}:ro`;

/** The path of testdata/NAME.c compiled as a static executable. */
export function program(name: string): string {
  let exe = built.get(name);
  if (exe === undefined) {
    exe = join(dir, name);
    execFileSync('gcc', ['-static', '-O1', '-o', exe, fileURLToPath(new URL(`./testdata/${name}.c`, import.meta.url))]);
    built.set(name, exe);
  }
  return exe;
}
