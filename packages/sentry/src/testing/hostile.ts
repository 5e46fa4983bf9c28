// Shared pieces of the hostile-input tests: a replayable random source and
// what counts as a valid system call result.
import { E } from '../errno.js';
import { isRestartCode } from '../kernel/restart.js';

const ERRNOS = new Set<number>(Object.values(E));

/** A small deterministic PRNG (xorshift32), so a failure can be replayed from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/**
 * A non-negative integer result, a negated Linux errno, or a restart code
 * the run loop settles (an interrupted wait): never NaN, a fraction or
 * anything else.
 */
export function validResult(r: unknown): boolean {
  return typeof r === 'number' && Number.isInteger(r) && (r >= 0 || ERRNOS.has(-r) || isRestartCode(r));
}
