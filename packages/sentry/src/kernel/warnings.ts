// Warnings for the operator (unimplemented system calls, Sentry bugs, what
// the sandbox ignores), bounded per kind: a guest can trigger any of them in
// a loop, and must not flood the log or grow the host with them. The first
// WARN_BURST lines of a kind are passed on, then one line saying the rest
// are suppressed, then nothing; the kinds are a fixed set, so the counters
// are too.

/** What a warning is about; each kind has its own budget. */
export type WarnKind = 'unimplemented' | 'internal-error' | 'out-of-memory' | 'other';

/** Lines of one kind passed on before the rest are suppressed. */
export const WARN_BURST = 20;

export class Warnings {
  readonly #out: (line: string) => void;
  readonly #counts = new Map<WarnKind, number>();

  constructor(out: (line: string) => void) {
    this.#out = out;
  }

  warn(kind: WarnKind, line: string): void {
    const n = (this.#counts.get(kind) ?? 0) + 1;
    this.#counts.set(kind, n);
    if (n <= WARN_BURST) this.#out(line);
    else if (n === WARN_BURST + 1) this.#out(`tsv: more ${kind} warnings than ${WARN_BURST}: suppressing the rest`);
  }
}
