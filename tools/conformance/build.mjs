#!/usr/bin/env node
// Builds every case (or `--only a,b`) into out/. Exits 1 if any compile fails.
import { parseArgs } from 'node:util';
import { buildCases } from './lib/build.mjs';
import { listCases, selectCases } from './lib/cases.mjs';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const all = listCases();
const cases = values.only ? selectCases(all, values.only.split(',')) : all;
const results = await buildCases(cases);
for (const r of results) {
  if (r.state !== 'up-to-date') console.log(`${r.state.padEnd(6)} ${r.name}`);
  if (r.output) console.log(r.output.trimEnd());
}
const failed = results.filter((r) => r.state === 'failed').length;
console.log(`${results.length} cases: ${results.length - failed} ok, ${failed} failed`);
process.exit(failed ? 1 : 0);
