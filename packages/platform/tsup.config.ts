import { defineConfig } from 'tsup';

export default defineConfig({
  // The root entry must not load anything native; ./kvm does. Shared code
  // (the interface, Registers) is split into chunks so both entries use the
  // same classes.
  entry: { index: 'src/index.ts', 'kvm/index': 'src/kvm/index.ts' },
  format: ['esm', 'cjs'],
  splitting: true,
  dts: true,
  shims: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
