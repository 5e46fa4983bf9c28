// The entry of dist/tsv-oci.cjs (tsup.bundle.config.ts), which bin/tsv-oci
// runs: the command line, and the Sandbox class that the container's
// process boots, for the build's warm-up run that makes the bundle's code
// cache (scripts/cli-cache.mjs). The Sandbox comes through a dynamic import,
// as the command line's container process takes it, so that the other
// commands do not evaluate the sandbox's code.
export { main } from './cli.js';
export const loadSandbox = async () => (await import('@tsv/runner')).Sandbox;
