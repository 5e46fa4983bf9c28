import { defineConfig } from 'tsup';

// gen/ring0.ts (the assembled stub, written by scripts/assemble.mjs) is
// imported by src/stub.ts and bundled into dist like any other module.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
