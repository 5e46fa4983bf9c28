// Loads a bundled command line (dist/tsv.cjs here; tsv-oci uses the same
// loader for its own bundle) as CommonJS through vm.Script, with the V8
// code cache beside it (FILE.cache) when there is one (Node 20 has no
// compile cache for modules: this is the one way to skip compiling the
// bundle at each start). CommonJS itself, so that loading it builds no ES
// module facades of Node's built-in modules.
const { readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
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

  /**
   * At build time: loads the bundle without a cache, runs `warm` on its
   * exports (V8 compiles a function when it first runs, and the cache holds
   * what has been compiled when it is made, so a warm-up that runs a start's
   * path makes the cache cover it), then writes the cache. A failed warm-up
   * is reported and only makes the cache cover less.
   */
  async function makeCache(warm) {
    rmSync(cacheFile, { force: true });
    const { exports, script } = loadScript();
    try {
      await warm(exports);
    } catch (e) {
      console.error(`cli-cache: ${file}: the warm-up failed (${e instanceof Error ? e.message : e}); the cache covers less`);
    }
    const data = script.createCachedData();
    writeFileSync(cacheFile, data);
    console.log(`cli-cache: ${cacheFile} (${data.length} bytes)`);
  }

  return { file, cacheFile, isStale, loadScript, makeCache, load: () => loadScript().exports };
}

const tsv = bundle(join(__dirname, '..', 'dist', 'tsv.cjs'), BUNDLED);

module.exports = {
  bundle,
  /** The entry files of the packages dist/tsv.cjs holds (a bundle of @tsv/runner holds them too). */
  BUNDLED,
  CLI_FILE: tsv.file,
  bundleIsStale: tsv.isStale,
  makeCliCache: tsv.makeCache,
  loadCli: tsv.load,
};
