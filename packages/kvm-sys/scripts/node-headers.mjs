// Runs a command (node-gyp-build at install, prebuildify at build) with
// node-gyp pointed at the headers of the Node that runs it, when that Node
// keeps them in its own prefix: `<prefix>/bin/node` beside
// `<prefix>/include/node`, as the official tarball, nvm, fnm, Volta and
// Debian's nodejs (prefix /usr) all lay them out. node-gyp itself would
// download them from nodejs.org, which fails offline.
//
// An `npm_config_nodedir` already set (the environment, a user's .npmrc) wins;
// where the prefix has no headers of this exact version, node-gyp is left to
// its default. Nothing here assumes /usr.
//
//   node scripts/node-headers.mjs COMMAND [ARGS...]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The prefix holding this Node's headers (include/node of the same version), or undefined. */
function ownNodedir() {
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  const include = join(prefix, 'include', 'node');
  if (!existsSync(join(include, 'common.gypi'))) return undefined;
  let header;
  try {
    header = readFileSync(join(include, 'node_version.h'), 'utf8');
  } catch {
    return undefined;
  }
  const part = (name) => new RegExp(`^#define\\s+NODE_${name}_VERSION\\s+(\\d+)`, 'm').exec(header)?.[1];
  return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}` === process.versions.node ? prefix : undefined;
}

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  process.stderr.write('usage: node scripts/node-headers.mjs COMMAND [ARGS...]\n');
  process.exit(2);
}
const env = { ...process.env };
if (env.npm_config_nodedir) {
  process.stderr.write(`@tsv/kvm-sys: node-gyp uses npm_config_nodedir=${env.npm_config_nodedir}\n`);
} else {
  const nodedir = ownNodedir();
  if (nodedir !== undefined) env.npm_config_nodedir = nodedir;
  process.stderr.write(
    nodedir !== undefined
      ? `@tsv/kvm-sys: node-gyp uses the headers of Node ${process.version} in ${join(nodedir, 'include', 'node')}\n`
      : `@tsv/kvm-sys: no headers beside ${process.execPath}; node-gyp fetches them if it must compile\n`,
  );
}
const r = spawnSync(command, args, { stdio: 'inherit', env });
if (r.error) {
  process.stderr.write(`@tsv/kvm-sys: cannot run ${command}: ${r.error.message}\n`);
  process.exit(127);
}
process.exit(r.status ?? 1);
