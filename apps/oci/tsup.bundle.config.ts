import { defineConfig, type Options } from 'tsup';
import runnerCli from '../runner/tsup.cli.config';

// tsv-oci as two files (built after tsup.config.ts, into the same dist/):
// dist/tsv-oci.cjs, the commands, and dist/tsv-oci-init.cjs, the
// container's process with the sandbox. Every command is a new process
// (containerd's shim runs create, start, delete each so), so a start
// resolves and compiles one module, with a V8 code cache
// (scripts/cli-cache.mjs), instead of a tree of them, and a command loads
// none of the sandbox's code. The workspace's TypeScript packages are
// bundled in; @tsv/kvm-sys stays an import (it finds its native addon from
// its own package directory). The bundled Sentry finds its vDSO image at
// ../gen/vdso.so from dist/, so the image is copied there. All as
// @tsv/runner bundles its own command line: its config, with these entries.
const runnerBundle = runnerCli as Options;

export default defineConfig({ ...runnerBundle, entry: { 'tsv-oci': 'src/cli.ts', 'tsv-oci-init': 'src/init.ts' } });
