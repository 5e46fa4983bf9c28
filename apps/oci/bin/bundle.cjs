// tsv-oci's two bundles for @tsv/runner's bundle loader: the commands
// (dist/tsv-oci.cjs: this package's code alone, built with the unbundled
// dist/ that bin/tsv-oci falls back to) and the container's process
// (dist/tsv-oci-init.cjs: it holds @tsv/runner and what runner's own bundle
// holds, so it is stale once one of them was rebuilt after it).
const { join } = require('node:path');
const { BUNDLED, bundle } = require('@tsv/runner/bin/load-cli.cjs');

const DIST = join(__dirname, '..', 'dist');
const RUNNER = join(__dirname, '..', 'node_modules', '@tsv', 'runner', 'dist', 'index.js');

module.exports = {
  commands: bundle(join(DIST, 'tsv-oci.cjs'), []),
  init: bundle(join(DIST, 'tsv-oci-init.cjs'), [RUNNER, ...BUNDLED]),
};
