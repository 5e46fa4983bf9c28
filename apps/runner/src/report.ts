// What a run ended as, in a judge's terms: the facts isolate's meta file
// gives (exit code or signal, CPU and wall time, peak memory, the limit that
// ended the run) and one verdict, as a Node service consumes them and as
// `tsv run --report FILE` writes them.

/** How the run ended, the limits first: a limit that ended it names the verdict whatever the status. */
export type Verdict = 'ok' | 'nonzero-exit' | 'signaled' | 'wall-timeout' | 'cpu-timeout' | 'memory-limit' | 'output-limit' | 'killed';

/** A limit that ended the run: the Sandbox option it comes from. */
export type LimitName = 'timeoutMs' | 'cpuTimeMs' | 'memory' | 'maxOutput' | 'fileSize';

const LIMIT_VERDICT: Record<LimitName, Verdict> = {
  timeoutMs: 'wall-timeout',
  cpuTimeMs: 'cpu-timeout',
  memory: 'memory-limit',
  maxOutput: 'output-limit',
  // SIGXFSZ ended the program: it was signaled, and `limit` says why.
  fileSize: 'signaled',
};

export interface RunReport {
  /** The exit status (0-255) when the program exited, else null. */
  exitCode: number | null;
  /** The signal that ended it, else null. */
  signal: number | null;
  /** As a shell reports it: exitCode, or 128 + signal. */
  status: number;
  /** CPU time of every process and thread the sandbox ran: guest time, and the Sentry's on their behalf. */
  cpuTimeMs: { user: number; system: number };
  /** From the start of the program to its end. */
  wallTimeMs: number;
  /** Peak memory charged to the sandbox's memory limit: guest memory, in-memory files, pipe buffers. */
  maxRssBytes: number;
  /** The limit that ended the run, if one did. */
  limit: LimitName | null;
  verdict: Verdict;
}

/** The verdict of a run that ended with `exitCode` or `signal`; `killed`: Sandbox.kill() ended it. */
export function verdictOf(end: { exitCode: number | null; signal: number | null; limit: LimitName | null; killed: boolean }): Verdict {
  if (end.limit !== null) return LIMIT_VERDICT[end.limit];
  if (end.signal !== null) return end.killed ? 'killed' : 'signaled';
  return end.exitCode === 0 ? 'ok' : 'nonzero-exit';
}

/** The report's fields of a result, as JSON (`tsv run --report`). */
export function reportJson(r: RunReport): string {
  const { exitCode, signal, status, cpuTimeMs, wallTimeMs, maxRssBytes, limit, verdict } = r;
  return `${JSON.stringify({ exitCode, signal, status, cpuTimeMs, wallTimeMs, maxRssBytes, limit, verdict }, null, 2)}\n`;
}
