// Fixed locations of the fuzzer; everything else derives from these.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FUZZ_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const GUEST_DIR = join(FUZZ_DIR, 'guest');
export const OUT_DIR = join(FUZZ_DIR, 'out');
/** The guest program, built by lib/build.mjs. */
export const GUEST_BIN = join(OUT_DIR, 'fuzz');
export const REPO_ROOT = resolve(FUZZ_DIR, '..', '..');
