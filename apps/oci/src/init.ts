// `tsv-oci init DIR`: the container's process, which `create` starts
// (holder.ts); not a command for people. An entry of its own, which
// bin/tsv-oci picks by that first argument, so that the commands an engine
// runs for each container (create, start, state, kill, delete: each a new
// process) load none of the sandbox's code, and this process all of it,
// compiled from the bundle's code cache.
import { holderMain } from './holder.js';

/** Boots the sandbox of the container whose state is in DIR; the process ends with its program's status. */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] !== 'init' || argv.length !== 2) {
    process.stderr.write('tsv-oci init: one state directory expected\n');
    return 2;
  }
  process.exit(await holderMain(argv[1]!));
}

/** The Sandbox this process boots, for the build's warm-up run that makes the code cache (scripts/cli-cache.mjs). */
export { Sandbox } from '@tsv/runner';
