// Writes the V8 code caches bin/tsv-oci compiles its two bundles with
// (dist/tsv-oci.cjs.cache, dist/tsv-oci-init.cjs.cache). V8 compiles a
// function when it first runs, and a cache holds what has been compiled
// when it is made: so each bundle is loaded and run once as it runs in use,
// the commands' on commands that need no container, the container
// process's on a sandbox booting and running /bin/true where KVM is usable
// (on this thread, as the container's process runs it).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bundles = createRequire(import.meta.url)('../bin/bundle.cjs');

await bundles.commands.makeCache(async (oci) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-oci-cache-'));
  try {
    // A command's path: its flags parsed, the state under --root looked up (none here).
    await oci.main(['--root', dir, 'spec', '--bundle', dir]);
    await oci.main(['--root', dir, 'list', '--quiet']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
await bundles.init.makeCache(async ({ Sandbox }) => {
  const r = await Sandbox.run(['/bin/true'], { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit', pool: false });
  if (r.status !== 0) throw new Error(`/bin/true: status ${r.status}`);
});
