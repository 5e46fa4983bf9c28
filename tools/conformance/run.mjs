#!/usr/bin/env node
// Conformance runner: each case natively and under tsv, compared byte for byte.
//   node run.mjs [--all]       every case; exit 0 unless the runner itself broke
//   node run.mjs --expected    cases in expected-pass.txt; exit 1 if any is not 'pass'
//   node run.mjs --only a,b    just those cases (combines with either mode)
import { parseArgs } from 'node:util';
import { buildCases } from './lib/build.mjs';
import { listCases, readExpected, selectCases } from './lib/cases.mjs';
import { evaluate } from './lib/suite.mjs';
import { formatTable } from './lib/table.mjs';

/** A usage error: one line on stderr, exit status 2, no stack trace. */
function usage(message) {
  console.error(`run.mjs: ${message}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: { only: { type: 'string' }, expected: { type: 'boolean' }, all: { type: 'boolean' } },
  }));
} catch (e) {
  usage(e.message);
}
if (values.expected && values.all) usage('--expected and --all are exclusive');

const all = listCases();
let cases = values.expected ? selectCases(all, readExpected()) : all;
if (values.only) {
  const only = new Set(values.only.split(','));
  const unknown = [...only].filter((n) => !all.some((c) => c.name === n));
  if (unknown.length > 0) usage(`unknown case(s): ${unknown.join(', ')} (the cases are the .c files in tools/conformance/cases)`);
  cases = cases.filter((c) => only.has(c.name));
}
if (values.expected) console.log(`${cases.length} case(s) expected to pass under tsv`);

const built = await buildCases(cases);
const broken = new Map(built.filter((b) => b.state === 'failed').map((b) => [b.name, b.output]));

const rows = [];
let failures = 0;
for (const c of cases) {
  const row = broken.has(c.name) ? { native: '-', tsv: '-', result: `BUILD FAILED: ${broken.get(c.name).split('\n')[0]}` } : evaluate(c);
  if (row.result !== 'pass') failures++;
  rows.push([c.name, row.native, row.tsv, row.result]);
}
if (rows.length) console.log(formatTable(['case', 'native status', 'tsv status', 'result'], rows));
const tally = new Map();
for (const [, , , result] of rows) {
  const kind = result.split(':')[0];
  tally.set(kind, (tally.get(kind) ?? 0) + 1);
}
console.log(`${rows.length} case(s): ${[...tally].map(([k, n]) => `${n} ${k}`).join(', ') || 'none run'}`);
process.exit(values.expected && failures ? 1 : 0);
