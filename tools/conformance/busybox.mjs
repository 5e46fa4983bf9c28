#!/usr/bin/env node
// busybox applets natively vs under tsv.
//   node busybox.mjs                 compare every scenario (exit 0 unless the runner broke)
//   node busybox.mjs --native-only   run each natively twice; exit 1 if any output varies
//   node busybox.mjs --only a,b      just those scenarios
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BUSYBOX, createFixture } from './lib/busybox-fixture.mjs';
import { SCENARIOS } from './lib/busybox-scenarios.mjs';
import { evaluate, nativeNondeterminism, runNative } from './lib/suite.mjs';
import { formatTable } from './lib/table.mjs';

/** Scenarios as runnable jobs. */
export function busyboxJobs(names) {
  const picked = names ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;
  if (names && picked.length !== names.length) throw new Error(`unknown scenario in ${names.join(',')}`);
  return picked.map((s) => ({
    name: s.name,
    program: BUSYBOX,
    args: s.argv,
    stdin: s.stdin ?? '',
    env: {},
    timeoutMs: 30_000,
    setup: createFixture,
    filter: s.filter,
  }));
}

function main() {
  const { values } = parseArgs({ options: { only: { type: 'string' }, 'native-only': { type: 'boolean' } } });
  if (!existsSync(BUSYBOX)) {
    console.log(`${BUSYBOX} not found (apt-get install busybox-static, or set BUSYBOX)`);
    process.exit(1);
  }
  const jobs = busyboxJobs(values.only?.split(','));
  const rows = [];
  let bad = 0;
  for (const job of jobs) {
    if (values['native-only']) {
      const status = runNative(job).status;
      const diff = nativeNondeterminism(job);
      if (diff) bad++;
      rows.push([job.name, status, diff ? `NONDETERMINISTIC: ${diff}` : 'deterministic']);
    } else {
      const r = evaluate(job);
      rows.push([job.name, r.native, r.tsv, r.result]);
    }
  }
  const header = values['native-only'] ? ['scenario', 'native status', 'result'] : ['scenario', 'native status', 'tsv status', 'result'];
  console.log(formatTable(header, rows));
  process.exit(bad ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
