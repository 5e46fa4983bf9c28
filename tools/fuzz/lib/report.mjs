// How a campaign reads to a person: a line per run, then totals, then each
// failure with the command that reproduces it.
import { reproCommand } from './campaign.mjs';

/** One line for one run: "seed 17    ok     20000 steps  24382 calls   305 faults   4.2 s". */
export function formatRun(v) {
  const head = `seed ${String(v.seed).padEnd(10)}`;
  if (v.problems.length) return `${head} FAIL   ${v.problems[0].split('\n')[0].slice(0, 200)}`;
  const s = v.guest?.summary;
  const time = `${(v.ms / 1000).toFixed(1)} s`;
  if (v.early) return `${head} early  status ${v.status} after ~${v.guest?.lastProgress ?? 0} steps  ${time}`;
  const checks = v.checks.length ? `  CHECKS: ${v.checks.join('; ')}` : '';
  return `${head} ok     ${s.iterations} steps  ${s.syscalls} calls  ${s.faults} faults  ${time}${checks}`;
}

/** Totals, the runs that ended early or broke a check (findings, not failures), and the failures. */
export function formatReport(report, runOptions) {
  const { results, failures } = report;
  const lines = [];
  const calls = results.reduce((n, v) => n + (v.guest?.summary?.syscalls ?? 0), 0);
  const early = results.filter((v) => v.early && !v.problems.length);
  const checked = results.filter((v) => v.checks.length);
  lines.push(
    `${results.length} runs in ${(report.elapsedMs / 1000).toFixed(0)} s: ${calls} system calls, ` +
      `${failures.length} failure(s), ${early.length} ended early, ${checked.length} with failed checks`,
  );
  const last = report.samples.at(-1);
  if (last) {
    const mib = (n) => `${(n / (1 << 20)).toFixed(0)} MiB`;
    lines.push(
      `host after the last check: RSS ${mib(last.baseline.rss)} -> ${mib(last.sample.rss)}, ` +
        `descriptors ${last.baseline.fds} -> ${last.sample.fds} (after a GC; baseline after the first run)`,
    );
  }
  const enosys = new Set(results.flatMap((v) => v.guest?.enosys ?? []));
  if (enosys.size) lines.push(`numbers that returned ENOSYS: ${[...enosys].sort((a, b) => a - b).join(' ')}`);
  for (const v of early) {
    lines.push(
      `  ended early: seed ${v.seed}, status ${v.status}, after ~${v.guest?.lastProgress ?? 0} steps: ${reproCommand(v.seed, runOptions)}`,
    );
    for (const d of v.debug.slice(0, 2)) lines.push(`    ${d}`);
  }
  for (const v of checked) lines.push(`  check failed: seed ${v.seed}: ${v.checks.join('; ')}`);
  for (const f of failures) {
    lines.push('', `FAILED: seed${f.seeds.length === 1 ? '' : 's'} ${f.seeds.join(', ')}`);
    for (const p of f.problems) lines.push(`  ${p}`);
    const run = results.find((v) => v.seed === f.seeds[0] && v.dir);
    if (run) lines.push(`  kept: ${run.dir}`);
    if (f.seeds.length === 1) lines.push(`  reproduce: ${reproCommand(f.seeds[0], runOptions)}`);
    else lines.push(`  reproduce: node tools/fuzz/run.mjs --seeds ${f.seeds.join(',')} --iterations ${runOptions.iterations}`);
  }
  return lines.join('\n');
}
