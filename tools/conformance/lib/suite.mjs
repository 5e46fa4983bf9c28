// Runs a job natively or under tsv, each time in a fresh temp dir that is the
// program's cwd, with the same args, stdin and environment.
//
// A job is { name, program (absolute path), args, stdin, env, timeoutMs,
//   exitStatus? (declared native status), setup?(dir) (fills the cwd first),
//   filter?(stdoutText) (drops output that legitimately varies) }.
import { diffRuns } from './compare.mjs';
import { BASE_ENV, runProcess } from './exec.mjs';
import { withTempDir } from './tmp.mjs';
import { tsvArgv, tsvAvailable } from './tsv.mjs';

/** Extra wall time the sandbox gets over a native run. */
const TSV_TIMEOUT_FACTOR = 10;

function inFreshDir(job, argvFor, { env, timeoutMs }) {
  const run = withTempDir((cwd) => {
    job.setup?.(cwd);
    return runProcess(argvFor(cwd), { cwd, stdin: job.stdin, env, timeoutMs });
  });
  return job.filter ? { ...run, stdout: Buffer.from(job.filter(run.stdout.toString('latin1')), 'latin1') } : run;
}

export function runNative(job) {
  return inFreshDir(job, () => [job.program, ...job.args], {
    env: { ...BASE_ENV, ...job.env },
    timeoutMs: job.timeoutMs,
  });
}

export function runTsv(job) {
  const guestEnv = { ...BASE_ENV, ...job.env };
  return inFreshDir(job, (cwd) => tsvArgv({ program: job.program, args: job.args, cwd, env: guestEnv }), {
    env: process.env,
    timeoutMs: job.timeoutMs * TSV_TIMEOUT_FACTOR,
  });
}

/**
 * One table row's worth of outcome. result is 'pass', 'FAIL: …',
 * 'tsv unavailable', or 'BAD CASE: …' when the native run itself does not
 * exit as declared (a bug in the case, not in tsv).
 */
export function evaluate(job) {
  const native = runNative(job);
  if (job.exitStatus !== undefined && native.status !== job.exitStatus) {
    return { native: native.status, tsv: '-', result: `BAD CASE: native status ${native.status}, declared ${job.exitStatus}` };
  }
  if (!tsvAvailable()) return { native: native.status, tsv: '-', result: 'tsv unavailable' };
  const sandboxed = runTsv(job);
  const diff = diffRuns(native, sandboxed);
  return { native: native.status, tsv: sandboxed.status, result: diff ? `FAIL: ${diff}` : 'pass' };
}

/** Runs a job natively twice; null when both runs agree, else the difference. */
export function nativeNondeterminism(job) {
  return diffRuns(runNative(job), runNative(job));
}
