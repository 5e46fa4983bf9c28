// Loads dist/tsv.cjs as CommonJS through vm.Script, with the V8 code cache
// in dist/tsv.cjs.cache when there is one (Node 20 has no compile cache for
// modules: this is the one way to skip compiling the bundle at each start).
// CommonJS itself, so that loading it builds no ES module facades of Node's
// built-in modules.
const { readFileSync, statSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

/** The bundle, and the file of its code cache. */
const CLI_FILE = join(__dirname, '..', 'dist', 'tsv.cjs');
const CACHE_FILE = `${CLI_FILE}.cache`;

/** Compiles and runs the bundle; returns its exports and the vm.Script (whose createCachedData() makes a cache). */
function loadCliScript() {
  const source = readFileSync(CLI_FILE, 'utf8');
  let cachedData;
  try {
    cachedData = readFileSync(CACHE_FILE);
  } catch {
    // no cache: compile
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, { filename: CLI_FILE, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(CLI_FILE), module, CLI_FILE, dirname(CLI_FILE));
  return { exports: module.exports, script };
}

/** The workspace packages the bundle holds, where a workspace links them (a consumer's install has no such links). */
const LINKS = join(__dirname, '..', 'node_modules', '@tsv');
const BUNDLED = [
  join(LINKS, 'sentry'),
  join(LINKS, 'platform'),
  join(LINKS, 'platform', 'node_modules', '@tsv', 'vcpu'),
  join(LINKS, 'platform', 'node_modules', '@tsv', 'ring0'),
].map((p) => join(p, 'dist', 'index.js'));

/** True when a bundled package was built after the bundle: in a workspace, its dist/ is newer than dist/tsv.cjs. */
function bundleIsStale() {
  const built = statSync(CLI_FILE).mtimeMs;
  return BUNDLED.some((f) => {
    try {
      return statSync(f).mtimeMs > built;
    } catch {
      return false;
    }
  });
}

module.exports = { CLI_FILE, CACHE_FILE, bundleIsStale, loadCliScript, loadCli: () => loadCliScript().exports };
