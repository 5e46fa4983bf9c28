// Writes dist/tsv.cjs.cache, the V8 code cache bin/tsv compiles the bundled
// command line with: the bundle is loaded and, where KVM is usable, run once
// on a real program (`tsv run -- /bin/true`), so the cache covers a start's
// whole path, not only the top level (load-cli.cjs, makeCache).
import { createRequire } from 'node:module';

const { makeCliCache } = createRequire(import.meta.url)('../bin/load-cli.cjs');

await makeCliCache(async (cli) => {
  const status = await cli.main(['run', '--', '/bin/true']);
  if (status !== 0) throw new Error(`tsv run -- /bin/true: status ${status}`);
});
