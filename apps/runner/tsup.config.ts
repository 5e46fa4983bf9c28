import { defineConfig } from 'tsup';

// The library (the Sandbox API) and an unbundled command line: the workspace
// packages stay imports, so a program using @tsv/sentry beside it shares
// their classes; src/sandbox-worker.ts is the code of a SandboxPool's worker
// threads (dist/sandbox-worker.js). bin/tsv runs the bundle of tsup.cli.config.ts, and this
// dist/cli.js only while that bundle is older than a package it holds.
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts', 'src/sandbox-worker.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
