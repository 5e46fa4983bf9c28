#!/usr/bin/env node
// `pnpm bench`: builds and runs the C floor (../shared/tools/kvm-floor) once,
// then every workspace benchmark (packages/*/bench/*.bench.mjs,
// apps/*/bench/*.bench.mjs), and writes bench/results.json at the root: an
// array of { name, value, unit, baseline?, baselineValue?, ratio? }.
// Usage: pnpm bench [name-filter]

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = join(root, '.cache');
const filter = process.argv[2];
const CPU = '1'; // the floor pins itself here; benchmarks run on the same core
mkdirSync(cache, { recursive: true });

// The floor tests every ratio refers to.
const FLOOR_TESTS = ['a-getpid', 'ioctl', 'b-mmio-emul', 'd-emul-pf', 'f-alu-host', 'f-alu-guest'];

function runFloor() {
  const dir = join(root, '..', 'shared', 'tools', 'kvm-floor');
  if (!existsSync(join(dir, 'floor.c'))) {
    console.error(`bench: ${relative(root, dir)} not found: results will have no floor baselines`);
    return {};
  }
  const bin = join(cache, 'floor');
  execFileSync('make', ['-s', '-C', dir, `OUT=${bin}`], { stdio: 'inherit' });
  const out = execFileSync(bin, ['-c', CPU, ...FLOOR_TESTS], { encoding: 'utf8', env: { ...process.env, FLOOR_KSUP: '1' } });
  const figures = {};
  for (const line of out.split('\n')) {
    const m = /^(\S+)\s+([\d.]+) ns/.exec(line);
    if (m) figures[m[1]] = Number(m[2]);
  }
  console.log(`C floor (this run): ${FLOOR_TESTS.map((t) => `${t} ${figures[t] ?? '?'} ns`).join(', ')}`);
  return figures;
}

function benchFiles() {
  const files = [];
  for (const group of ['packages', 'apps', 'tools']) {
    const gdir = join(root, group);
    if (!existsSync(gdir)) continue;
    for (const pkg of readdirSync(gdir)) {
      const bdir = join(gdir, pkg, 'bench');
      if (!existsSync(bdir)) continue;
      for (const f of readdirSync(bdir).sort()) if (f.endsWith('.bench.mjs')) files.push(join(bdir, f));
    }
  }
  // The filter matches the path from the repository root, so a checkout whose own path contains it (/work/oci/...) does not select everything.
  return files.filter((f) => !filter || relative(root, f).includes(filter));
}

const floor = runFloor();
const floorJson = join(cache, 'floor.json');
writeFileSync(floorJson, JSON.stringify(floor, null, 2));

const hasTaskset = spawnSync('taskset', ['-c', CPU, 'true']).status === 0;
const results = [];
let failed = 0;
for (const file of benchFiles()) {
  const rel = relative(root, file);
  console.log(`\n== ${rel}`);
  const cmd = hasTaskset ? ['taskset', ['-c', CPU, process.execPath, file]] : [process.execPath, [file]];
  const r = spawnSync(cmd[0], cmd[1], {
    cwd: dirname(dirname(file)),
    encoding: 'utf8',
    env: { ...process.env, TSV_FLOOR_JSON: floorJson },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('@@bench ')) {
      const row = JSON.parse(line.slice(8));
      results.push(row);
      const ratio = row.ratio !== undefined ? `  ${row.ratio}x ${row.baseline} (${row.baselineValue})` : '';
      console.log(`  ${row.name.padEnd(36)} ${String(row.value).padStart(12)} ${row.unit}${ratio}`);
    } else if (line.trim()) {
      console.log(`  ${line}`);
    }
  }
  if (r.status !== 0) {
    failed++;
    console.error(`bench: ${rel} exited with status ${r.status}`);
  }
}

mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote bench/results.json (${results.length} results)`);
process.exitCode = failed ? 1 : 0;
