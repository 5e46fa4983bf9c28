// What the runner's benchmarks share: a scratch directory the sandbox sees
// through a volume, the guest programs of guests/ built into it, and the
// wall-clock time of whole commands.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '@tsv/bench';

const here = dirname(fileURLToPath(import.meta.url));

/** The workspace's `tsv` command line (run it with `node`). */
export const TSV = join(here, '..', 'bin', 'tsv');

/**
 * A fresh directory under the host's temp dir, removed when this process
 * exits. The default root hides the host's temp dir, so `volume` (read-only,
 * at the same path) is what lets a sandbox see what is built or written
 * there; `run` is `tsv run` with it.
 */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-bench-'));
  const volume = `${dir}:${dir}:ro`;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    volume,
    run: [TSV, 'run', '--volume', volume],
    /** Compiles guests/<name>.c statically into the directory; returns the program's path. */
    build(name) {
      const exe = join(dir, name);
      execFileSync('gcc', ['-static', '-O2', '-o', exe, join(here, 'guests', `${name}.c`)]);
      return exe;
    },
  };
}

/**
 * Commands ([cmd, args] pairs) run in turn, `runs` rounds after one untimed
 * round, so that a loaded machine weighs on each alike: for each, the median
 * wall milliseconds and the median CPU milliseconds (user + system of the
 * command and its children, from bash's `times`, at 1 ms resolution). Throws
 * if one fails.
 */
export function interleavedMs(commands, runs = 21) {
  const samples = commands.map(() => ({ wall: [], cpu: [] }));
  for (let round = 0; round <= runs; round++) {
    commands.forEach(([cmd, args], i) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1 || exit $?; times', 'timed', cmd, ...args], { encoding: 'utf8' });
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: status ${r.status}`);
      if (round === 0) return;
      // times: the shell's user and system time, then its children's, as "0m0.012s 0m0.004s".
      const [user, sys] = r.stdout
        .trim()
        .split('\n')[1]
        .split(' ')
        .map((t) => {
          const [, m, sec] = /^(\d+)m([\d.]+)s$/.exec(t);
          return Number(m) * 60e3 + Number(sec) * 1e3;
        });
      samples[i].wall.push(wall);
      samples[i].cpu.push(user + sys);
    });
  }
  return samples.map((s) => ({ wallMs: median(s.wall), cpuMs: median(s.cpu) }));
}

/** Median wall milliseconds of `runs` runs of a command (after one untimed run); throws if it fails. */
export function wallMs(cmd, args, runs = 7, env = process.env) {
  const times = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: status ${r.status}: ${r.stderr}`);
    if (i > 0) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}
