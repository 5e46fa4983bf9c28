// A campaign: seeds run in worker processes (lib/worker.mjs), one seed at a
// time per worker, `jobs` workers at once. A worker is watched from here, so
// that what would take down or wedge it is a finding too: a host that throws
// outside the Sentry (crash), dies (native crash, abort), or does not return
// from a run within the sandbox's own timeout plus a margin (hang). A dead or
// wedged worker is replaced and the campaign goes on with the next seed.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RUN_DEFAULTS } from './run-seed.mjs';

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));
/** How long past the sandbox's own timeout a run may take before its worker counts as hung. */
export const HANG_MARGIN_MS = 30_000;
const KEEP_OUTPUT = 16 << 10;

class Worker {
  #child;
  #output = '';
  #pending = null;
  #stopped = null;

  constructor(module, options, onHost, hangMarginMs) {
    this.hangMarginMs = hangMarginMs;
    this.#child = fork(module, [JSON.stringify(options)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, TSV_CHECK_MEMORY: '1' },
    });
    const keep = (chunk) => {
      this.#output = (this.#output + chunk.toString()).slice(-KEEP_OUTPUT);
    };
    this.#child.stdout.on('data', keep);
    this.#child.stderr.on('data', keep);
    this.#child.on('message', (m) => {
      if (m.type === 'host') onHost(m);
      else if (m.type === 'result') this.#settle(m.verdict);
      else if (m.type === 'crash') this.#settle(null, `host crashed: ${m.message}`);
    });
    this.#child.on('exit', (code, signal) => {
      this.dead = true;
      this.#settle(null, `host crashed: the worker exited (code ${code}, signal ${signal})`);
      this.#stopped?.();
    });
  }

  /** Resolves to the seed's verdict, or a failing one when the worker crashed or hung. */
  run(seed, limitMs) {
    this.#output = '';
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.dead = true;
        this.#settle(null, `host hang: the run did not end within its timeout + ${this.hangMarginMs / 1000} s`);
        this.#child.kill('SIGKILL');
      }, limitMs);
      this.#pending = { seed, resolve, timer };
      this.#child.send({ type: 'run', seed });
    });
  }

  #settle(verdict, problem) {
    const p = this.#pending;
    if (p === null) return;
    this.#pending = null;
    clearTimeout(p.timer);
    const v = verdict ?? { seed: p.seed, problems: [problem], status: '-', early: false, checks: [], guest: null, ms: 0, warnings: [] };
    // The host's own stdout and stderr during the run: tsv prints nothing there unless something broke.
    const host = this.#output.trim();
    if (/internal error/.test(host)) v.problems = [...v.problems, `internal error on the host's stderr: ${host.slice(-2000)}`];
    else if (v.problems.length && host) v.problems = [...v.problems, `host output: ${host.slice(-2000)}`];
    p.resolve(v);
  }

  /** Asks for the final host check and waits for the worker to end. */
  stop() {
    if (this.dead) return Promise.resolve();
    return new Promise((resolve) => {
      this.#stopped = resolve;
      this.#child.send({ type: 'stop' });
      setTimeout(() => this.#child.kill('SIGKILL'), 30_000).unref();
    });
  }
}

/**
 * Runs every seed `seeds` yields (an iterator) until it ends or `deadline`
 * (a Date.now() value) passes, and resolves to
 * {results, host, samples, failures, elapsedMs} (samples: each host check's
 * {baseline, sample} of {rss, fds}). `onEvent` sees each {type:'result',
 * verdict} and {type:'host', problem, seeds} as it happens. `workerModule`
 * and `hangMarginMs` exist for the campaign's own tests.
 */
export async function runCampaign({
  seeds,
  deadline = Infinity,
  jobs = 1,
  runOptions = {},
  workerModule = WORKER,
  hangMarginMs = HANG_MARGIN_MS,
  onEvent = () => {},
}) {
  const options = { ...RUN_DEFAULTS, ...runOptions };
  const limitMs = options.guestSeconds * 1000 + options.graceMs + hangMarginMs;
  const results = [];
  const host = [];
  const samples = [];
  const started = Date.now();
  const onHost = (m) => {
    if (m.problem) host.push(m);
    if (m.baseline) samples.push({ baseline: m.baseline, sample: m.sample });
    onEvent({ type: 'host', ...m });
  };
  const next = () => {
    if (Date.now() >= deadline) return undefined;
    const n = seeds.next();
    return n.done ? undefined : n.value;
  };
  async function lane() {
    let worker = new Worker(workerModule, options, onHost, hangMarginMs);
    for (let seed = next(); seed !== undefined; seed = next()) {
      if (worker.dead) worker = new Worker(workerModule, options, onHost, hangMarginMs);
      const verdict = await worker.run(seed, limitMs);
      results.push(verdict);
      onEvent({ type: 'result', verdict });
    }
    await worker.stop();
  }
  await Promise.all(Array.from({ length: jobs }, lane));
  const failures = [
    ...results.filter((v) => v.problems.length).map((v) => ({ seeds: [v.seed], problems: v.problems })),
    ...host.map((h) => ({ seeds: h.seeds, problems: [h.problem] })),
  ];
  return { results, host, samples, failures, elapsedMs: Date.now() - started };
}

/** The command that runs one seed again exactly as the campaign did. */
export function reproCommand(seed, runOptions = {}) {
  const o = { ...RUN_DEFAULTS, ...runOptions };
  let cmd = `node tools/fuzz/run.mjs --seed ${seed} --iterations ${o.iterations}`;
  if (o.guestSeconds !== RUN_DEFAULTS.guestSeconds) cmd += ` --guest-seconds ${o.guestSeconds}`;
  return cmd;
}
