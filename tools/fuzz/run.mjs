#!/usr/bin/env node
// tsv's syscall fuzzer: runs campaigns of the guest program (guest/) under tsv.
//
//   node tools/fuzz/run.mjs --seconds 600 [--from-seed N]   seeds N, N+1, ... for 10 minutes (N random by default)
//   node tools/fuzz/run.mjs --seeds 1-8                       these seeds (ranges and lists: 1-4,9)
//   node tools/fuzz/run.mjs --seed 17 [--strace FILE] [--trace]   one seed again, as a campaign ran it
//
// Exits 1 when a run failed (host crash, internal error, hang, files outside
// the root changed, host descriptors or memory leaked), 0 otherwise.
import { parseArgs } from 'node:util';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildGuest } from './lib/build.mjs';
import { runCampaign } from './lib/campaign.mjs';
import { OUT_DIR } from './lib/paths.mjs';
import { formatReport, formatRun } from './lib/report.mjs';
import { RUN_DEFAULTS, runSeed } from './lib/run-seed.mjs';

const USAGE = `usage: node tools/fuzz/run.mjs [--seconds N [--from-seed N] | --seeds LIST | --seed N] [options]
  --iterations N      steps per run (default ${RUN_DEFAULTS.iterations})
  --guest-seconds N   a run stops itself after N s (default ${RUN_DEFAULTS.guestSeconds})
  --jobs N            runs at once, each in its own worker process (default 1)
  --strace FILE       with --seed: every system call of the run, to FILE
  --trace             with --seed: the guest logs every call; its output goes to out/seed-N.stdout
  --guest FILE        run this build of the guest instead of out/fuzz (one with extra prints, say)
`;

function parseSeeds(list) {
  return list.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isSafeInteger(a) || (b !== undefined && !(Number.isSafeInteger(b) && b >= a))) throw new Error(`bad seed list: ${list}`);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

function* countFrom(n) {
  for (;;) yield n++;
}

async function main() {
  const { values: v } = parseArgs({
    options: {
      seconds: { type: 'string' },
      'from-seed': { type: 'string' },
      seeds: { type: 'string' },
      seed: { type: 'string' },
      iterations: { type: 'string' },
      'guest-seconds': { type: 'string' },
      jobs: { type: 'string' },
      strace: { type: 'string' },
      trace: { type: 'boolean' },
      guest: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help || (v.seconds === undefined && v.seeds === undefined && v.seed === undefined)) {
    process.stdout.write(USAGE);
    return v.help ? 0 : 2;
  }
  const runOptions = {
    iterations: Number(v.iterations ?? RUN_DEFAULTS.iterations),
    guestSeconds: Number(v['guest-seconds'] ?? RUN_DEFAULTS.guestSeconds),
    ...(v.guest !== undefined ? { guestBin: resolve(v.guest) } : {}),
  };
  const { state } = await buildGuest();
  if (state === 'built') console.log('fuzz guest: built');

  if (v.seed !== undefined) return repro(Number(v.seed), runOptions, v);

  let seeds;
  let deadline = Infinity;
  if (v.seeds !== undefined) {
    seeds = parseSeeds(v.seeds).values();
  } else {
    const from = v['from-seed'] !== undefined ? Number(v['from-seed']) : Math.floor(Math.random() * 1e9);
    seeds = countFrom(from);
    deadline = Date.now() + Number(v.seconds) * 1000;
    console.log(`campaign: ${v.seconds} s from seed ${from}, ${runOptions.iterations} steps per run`);
  }
  const report = await runCampaign({
    seeds,
    deadline,
    jobs: Number(v.jobs ?? 1),
    runOptions,
    onEvent: (e) => {
      if (e.type === 'result') console.log(formatRun(e.verdict));
      else if (e.problem) console.log(`host after seeds ${e.seeds.join(',')}: ${e.problem}`);
    },
  });
  console.log(`\n${formatReport(report, runOptions)}`);
  return report.failures.length ? 1 : 0;
}

/** One seed in this process (built with --expose-gc or not: no host watch here), with its trace if asked. */
async function repro(seed, runOptions, v) {
  const trace = v.strace !== undefined ? createWriteStream(v.strace) : undefined;
  const stdoutFile = v.trace ? join(OUT_DIR, `seed-${seed}.stdout`) : undefined;
  process.env.TSV_CHECK_MEMORY = '1';
  const verdict = await runSeed(seed, { ...runOptions, trace: v.trace, stdoutFile, strace: trace && ((line) => trace.write(`${line}\n`)) });
  trace?.end();
  console.log(formatRun(verdict));
  for (const p of verdict.problems) console.log(`  ${p}`);
  for (const c of verdict.checks) console.log(`  check failed: ${c}`);
  for (const d of verdict.debug) console.log(`  ${d}`);
  if (verdict.dir) console.log(`  kept: ${verdict.dir}`);
  if (stdoutFile) console.log(`  guest output: ${stdoutFile}`);
  return verdict.problems.length ? 1 : 0;
}

process.exitCode = await main();
