// What a benchmark script uses: the C floor's figures from this run, and a
// way to report a result. A benchmark is any `bench/*.bench.mjs` file in a
// workspace package; run.mjs runs each as its own process (pinned to the
// floor's CPU) and collects the lines printed with report().

import { readFileSync } from 'node:fs';

const FLOOR_JSON = process.env.TSV_FLOOR_JSON;
let floor;

/** The C floor's figure for a test of ../shared/tools/kvm-floor (ns), measured in this run, or undefined. */
export function floorNs(test) {
  if (floor === undefined) {
    try {
      floor = FLOOR_JSON ? JSON.parse(readFileSync(FLOOR_JSON, 'utf8')) : {};
    } catch {
      floor = {};
    }
  }
  return floor[test];
}

/**
 * Reports one figure. `baseline` names what it is compared with (a floor
 * test name resolved here, or a figure given directly with its name).
 */
export function report({ name, value, unit, baseline, baselineValue, note }) {
  const base = baselineValue ?? (baseline !== undefined ? floorNs(baseline) : undefined);
  const row = { name, value: round(value, value < 10 ? 3 : 1), unit };
  if (baseline !== undefined) row.baseline = baseline;
  if (base !== undefined) {
    row.baselineValue = round(base);
    row.ratio = round(value / base, 3);
  }
  if (note !== undefined) row.note = note;
  process.stdout.write(`@@bench ${JSON.stringify(row)}\n`);
}

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
