// Writes dist/tsv.cjs.cache, the V8 code cache bin/tsv compiles the bundled
// command line with. V8 compiles a function when it first runs, and the cache
// holds what has been compiled when it is made: so the bundle is loaded and,
// where KVM is usable, run once on a real program (`tsv run -- /bin/true`),
// making the cache cover a start's whole path, not only the top level.
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { CACHE_FILE, loadCliScript } = createRequire(import.meta.url)('../bin/load-cli.cjs');

rmSync(CACHE_FILE, { force: true });
const { exports: cli, script } = loadCliScript();
try {
  const status = await cli.main(['run', '--', '/bin/true']);
  if (status !== 0) console.error(`cli-cache: tsv run -- /bin/true: status ${status}; the cache covers less`);
} catch (e) {
  console.error(`cli-cache: tsv run failed (${e instanceof Error ? e.message : e}); the cache covers less`);
}
const data = script.createCachedData();
writeFileSync(CACHE_FILE, data);
console.log(`cli-cache: ${CACHE_FILE} (${data.length} bytes)`);
