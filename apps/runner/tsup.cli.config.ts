import { copyFileSync, mkdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

// The `tsv` command line as one file, dist/tsv.cjs (built after
// tsup.config.ts, into the same dist/): the workspace's TypeScript packages are bundled in, so a start
// resolves and compiles one module instead of a tree of them. @tsv/kvm-sys
// stays an import: it finds its native addon (prebuilds/ or build/) from its
// own package directory. The bundled Sentry finds its vDSO image at
// ../gen/vdso.so from dist/, so the image is copied there.
export default defineConfig({
  entry: { tsv: 'src/cli.ts' },
  format: ['cjs'],
  shims: true,
  noExternal: [/^@tsv\/(?!kvm-sys$)/],
  external: ['@tsv/kvm-sys'],
  sourcemap: true,
  clean: false,
  target: 'node20',
  onSuccess: async () => {
    mkdirSync('gen', { recursive: true });
    copyFileSync('../../packages/sentry/gen/vdso.so', 'gen/vdso.so');
  },
});
