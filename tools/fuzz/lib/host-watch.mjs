// The host process's own resources across runs: a sandbox that ends must give
// back every descriptor, and its memory up to a generous bound.
import { readdirSync } from 'node:fs';

/** Default bound on RSS growth over a campaign: a leaked 64M sandbox shows after a few runs. */
export const RSS_GROWTH_BOUND = 256 << 20;

/** {rss, fds} after a full garbage collection (the process must run with --expose-gc). */
export function sampleHost() {
  if (typeof globalThis.gc !== 'function') throw new Error('sampleHost needs node --expose-gc');
  globalThis.gc();
  globalThis.gc();
  return { rss: process.memoryUsage().rss, fds: readdirSync('/proc/self/fd').length };
}

/** Why `now` is a leak relative to `base` (descriptors, or RSS beyond `rssBound`), else null. */
export function hostLeak(base, now, rssBound = RSS_GROWTH_BOUND) {
  if (now.fds > base.fds) return `host descriptors leaked: ${base.fds} open before, ${now.fds} after`;
  const grown = now.rss - base.rss;
  if (grown > rssBound) return `host RSS grew by ${mib(grown)} (bound ${mib(rssBound)}): ${mib(base.rss)} -> ${mib(now.rss)}`;
  return null;
}

const mib = (n) => `${(n / (1 << 20)).toFixed(0)} MiB`;
