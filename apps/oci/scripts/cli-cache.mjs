// Writes dist/tsv-oci.cjs.cache, the V8 code cache bin/tsv-oci compiles the
// bundle with. V8 compiles a function when it first runs, and the cache
// holds what has been compiled when it is made: so the bundle is loaded and
// run once as a container's process runs, where KVM is usable: the command
// line parses a command, and the bundle's Sandbox boots and runs /bin/true
// (the container's process is the same bundle, booting the same Sandbox).
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { ociBundle } = createRequire(import.meta.url)('../bin/bundle.cjs');

rmSync(ociBundle.cacheFile, { force: true });
const { exports: oci, script } = ociBundle.loadScript();
try {
  if ((await oci.main(['--version'])) !== 0) console.error('cli-cache: tsv-oci --version failed; the cache covers less');
  const Sandbox = await oci.loadSandbox();
  const r = await Sandbox.run(['/bin/true'], { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit', pool: false });
  if (r.status !== 0) console.error(`cli-cache: a sandbox of /bin/true: status ${r.status}; the cache covers less`);
} catch (e) {
  console.error(`cli-cache: the sandbox failed (${e instanceof Error ? e.message : e}); the cache covers less`);
}
const data = script.createCachedData();
writeFileSync(ociBundle.cacheFile, data);
console.log(`cli-cache: ${ociBundle.cacheFile} (${data.length} bytes)`);
