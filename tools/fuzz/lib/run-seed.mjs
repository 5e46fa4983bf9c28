// One run of the fuzzer under tsv, in this process, and the verdict on it.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { Sandbox, SandboxError } from '@tsv/runner';
import { GuestOutput, parseGuestOutput } from './guest-output.mjs';
import { GUEST_BIN } from './paths.mjs';
import { differences, makeRunDirs, removeRunDirs, snapshot } from './run-dirs.mjs';

/** How each run is set up; run.mjs and the CI test override some. */
export const RUN_DEFAULTS = {
  iterations: 20000,
  /** The guest stops by itself after this long, whatever its iterations. */
  guestSeconds: 60,
  memory: '64M',
  /** The sandbox is killed this long after the guest should have stopped by itself. */
  graceMs: 30_000,
};

const MAX_WARNINGS = 200;

/**
 * What makes a run fail the campaign (each a line), from what the Sandbox
 * returned or threw, tsv's warnings, and what changed on the host around it.
 */
export function judge({ result, error, warnings, escaped, limitSeconds }) {
  const problems = [];
  if (error !== undefined) {
    const message = error instanceof Error ? error.message : String(error);
    const first = message.split('\n').slice(0, 3).join(' | ');
    if (/internal error/.test(message)) problems.push(`internal error: ${first}`);
    else if (error instanceof SandboxError) problems.push(`could not run (status ${error.status}): ${first}`);
    else problems.push(`the host threw: ${first}`);
  }
  for (const w of warnings.filter((l) => /internal error/.test(l)).slice(0, 3)) problems.push(`internal error: ${w.split('\n')[0]}`);
  if (result?.status === 125) problems.push('exit status 125 (tsv failed)');
  if (result?.timedOut) problems.push(`hang: still running ${limitSeconds} s after its own deadline, killed`);
  for (const e of escaped.slice(0, 10)) problems.push(`host files changed: ${e}`);
  return problems;
}

/** Status a shell would show for the run, for humans: "0", "139 (signal 11)". */
function describeStatus(result) {
  if (result === undefined) return '-';
  return result.signal !== null ? `${result.status} (signal ${result.signal})` : String(result.status);
}

/**
 * Runs the guest with `seed` and resolves to a verdict:
 * {seed, problems[], status, early, checks[], guest, ms, warnings, debug}. Never rejects.
 * `strace` (a function) receives every system call; `stdoutFile` gets the whole guest output.
 */
export async function runSeed(seed, options = {}) {
  const o = { ...RUN_DEFAULTS, ...options };
  const dirs = makeRunDirs(o.guestBin ?? GUEST_BIN);
  const before = snapshot(dirs.base);
  const token = `fz${randomBytes(8).toString('hex')}`;
  const out = new GuestOutput(token);
  const saved = o.stdoutFile ? openSync(o.stdoutFile, 'w') : undefined;
  const warnings = [];
  let dropped = 0;
  const debug = [];
  const argv = ['/fuzz', String(seed), String(o.iterations), String(o.guestSeconds), dirs.outside, token, ...(o.trace ? ['v'] : [])];
  const started = performance.now();
  let result;
  let error;
  try {
    result = await Sandbox.run(argv, {
      root: dirs.root,
      cwd: '/work',
      memory: o.memory,
      timeoutMs: o.guestSeconds * 1000 + o.graceMs,
      // The memory manager's invariants after every memory call and fault: a violation is an internal error.
      checkMemory: true,
      stdin: null,
      stdout: (chunk) => {
        out.push(chunk);
        if (saved !== undefined) writeSync(saved, chunk);
      },
      stderr: () => {},
      warn: (line) => (warnings.length < MAX_WARNINGS ? warnings.push(line) : dropped++),
      // Why the program died, when a fault killed it.
      debug: (line) => debug.length < 10 && debug.push(line),
      strace: o.strace,
    });
  } catch (e) {
    error = e;
  } finally {
    if (saved !== undefined) closeSync(saved);
  }
  const ms = performance.now() - started;
  const escaped = differences(before, snapshot(dirs.base));
  const problems = judge({ result, error, warnings, escaped, limitSeconds: o.graceMs / 1000 });
  // A failed run keeps its directories: they are the evidence.
  if (problems.length === 0) removeRunDirs(dirs);
  const guest = parseGuestOutput(out.tail(), token);
  return {
    seed,
    problems,
    status: describeStatus(result),
    early: result !== undefined && !(result.status === 0 && guest.done),
    checks: [...out.checks],
    guest,
    ms,
    warnings: dropped ? [...warnings, `(${dropped} more warnings)`] : warnings,
    debug,
    dir: problems.length ? dirs.base : undefined,
  };
}
