import { defineConfig } from 'tsup';

// The library (the Sandbox API): the workspace packages stay imports, so a
// program using @tsv/sentry beside it shares their classes.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
