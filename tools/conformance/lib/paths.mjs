// Fixed locations of the suite; everything else derives from these.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SUITE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CASES_DIR = join(SUITE_DIR, 'cases');
export const OUT_DIR = join(SUITE_DIR, 'out');
export const REPO_ROOT = resolve(SUITE_DIR, '..', '..');
export const EXPECTED_FILE = join(SUITE_DIR, 'expected-pass.txt');
