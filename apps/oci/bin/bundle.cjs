// dist/tsv-oci.cjs for @tsv/runner's bundle loader: it holds @tsv/runner and
// the packages runner's own bundle holds, so it is stale once one of them
// was rebuilt after it.
const { join } = require('node:path');
const { BUNDLED, bundle } = require('@tsv/runner/bin/load-cli.cjs');

const RUNNER = join(__dirname, '..', 'node_modules', '@tsv', 'runner', 'dist', 'index.js');

module.exports = { ociBundle: bundle(join(__dirname, '..', 'dist', 'tsv-oci.cjs'), [RUNNER, ...BUNDLED]) };
