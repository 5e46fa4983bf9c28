// Loads a bundled command line (dist/tsv.cjs here; tsv-oci uses the same
// loader for its own bundle) as CommonJS through vm.Script, with the V8
// code cache beside it (FILE.cache) when there is one (Node 20 has no
// compile cache for modules: this is the one way to skip compiling the
// bundle at each start). CommonJS itself, so that loading it builds no ES
// module facades of Node's built-in modules.
const { readFileSync, statSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

/** The workspace packages this package's bundle holds, where a workspace links them (a consumer's install has no such links). */
const LINKS = join(__dirname, '..', 'node_modules', '@tsv');
const BUNDLED = [
  join(LINKS, 'sentry'),
  join(LINKS, 'platform'),
  join(LINKS, 'platform', 'node_modules', '@tsv', 'vcpu'),
  join(LINKS, 'platform', 'node_modules', '@tsv', 'ring0'),
].map((p) => join(p, 'dist', 'index.js'));

/**
 * The bundle at `file` (absolute), built from the packages whose entry
 * files are `bundled`: its cache file, whether it is stale, and loaders.
 */
function bundle(file, bundled) {
  const cacheFile = `${file}.cache`;

  /** Compiles and runs the bundle; returns its exports and the vm.Script (whose createCachedData() makes a cache). */
  function loadScript() {
    const source = readFileSync(file, 'utf8');
    let cachedData;
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // no cache: compile
    }
    const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
    const script = new Script(wrapped, { filename: file, cachedData });
    const module = { exports: {} };
    script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
    return { exports: module.exports, script };
  }

  /** True when a bundled package was built after the bundle: in a workspace, its dist/ is newer than the bundle. */
  function isStale() {
    const built = statSync(file).mtimeMs;
    return bundled.some((f) => {
      try {
        return statSync(f).mtimeMs > built;
      } catch {
        return false;
      }
    });
  }

  return { file, cacheFile, isStale, loadScript, load: () => loadScript().exports };
}

const tsv = bundle(join(__dirname, '..', 'dist', 'tsv.cjs'), BUNDLED);

module.exports = {
  bundle,
  /** The entry files of the packages dist/tsv.cjs holds (a bundle of @tsv/runner holds them too). */
  BUNDLED,
  CLI_FILE: tsv.file,
  CACHE_FILE: tsv.cacheFile,
  bundleIsStale: tsv.isStale,
  loadCliScript: tsv.loadScript,
  loadCli: tsv.load,
};
