// Case discovery. A case is cases/<name>.c plus an optional cases/<name>.json
// sidecar: { args?: string[], stdin?: string, env?: {K: V}, exitStatus?: number,
// timeoutMs?: number }. Unknown sidecar keys are an error, so typos cannot
// silently drop a setting.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES_DIR, EXPECTED_FILE, OUT_DIR } from './paths.mjs';

const SIDECAR_KEYS = new Set(['args', 'stdin', 'env', 'exitStatus', 'timeoutMs']);

function readSidecar(name) {
  const path = join(CASES_DIR, `${name}.json`);
  if (!existsSync(path)) return {};
  const data = JSON.parse(readFileSync(path, 'utf8'));
  for (const key of Object.keys(data)) {
    if (!SIDECAR_KEYS.has(key)) throw new Error(`${path}: unknown key "${key}"`);
  }
  if (data.args !== undefined && !(Array.isArray(data.args) && data.args.every((a) => typeof a === 'string')))
    throw new Error(`${path}: args must be an array of strings`);
  if (data.stdin !== undefined && typeof data.stdin !== 'string') throw new Error(`${path}: stdin must be a string`);
  if (data.exitStatus !== undefined && !Number.isInteger(data.exitStatus)) throw new Error(`${path}: exitStatus must be an integer`);
  return data;
}

/** All cases, sorted by name. */
export function listCases() {
  return readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.c'))
    .map((f) => f.slice(0, -2))
    .sort()
    .map((name) => {
      const s = readSidecar(name);
      return {
        name,
        src: join(CASES_DIR, `${name}.c`),
        bin: join(OUT_DIR, name),
        program: join(OUT_DIR, name),
        args: s.args ?? [],
        stdin: s.stdin ?? '',
        env: s.env ?? {},
        exitStatus: s.exitStatus ?? 0,
        timeoutMs: s.timeoutMs ?? 60_000,
      };
    });
}

/** Case names listed in expected-pass.txt (one per line, # comments allowed). */
export function readExpected() {
  return readFileSync(EXPECTED_FILE, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/** Cases whose names are in `names`, in the given order; throws on unknown names. */
export function selectCases(all, names) {
  const byName = new Map(all.map((c) => [c.name, c]));
  return names.map((n) => {
    const c = byName.get(n);
    if (!c) throw new Error(`unknown case "${n}"`);
    return c;
  });
}
