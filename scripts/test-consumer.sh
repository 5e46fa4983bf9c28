#!/usr/bin/env bash
# A consumer's install, as the README's "Use from Node.js" gives it: packs the
# packages (`pnpm release:pack`), installs the tarballs with plain npm into an
# empty project whose PATH holds node, npm and sh but no compiler, then runs
# the README's Sandbox example from an ES module and from CommonJS, runs the
# installed `tsv`, and type-checks a consumer with `tsc --strict`. Needs
# /dev/kvm and the npm registry (for typescript and @types/node).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
say() { printf 'consumer: %s\n' "$*"; }

pnpm -s release:pack >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/home" "$work/app"
for tool in node npm npx sh; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
cp scripts/consumer/* "$work/app/"
cd "$work/app"
printf '{ "name": "consumer", "private": true, "type": "module" }\n' >package.json

# Only what a consumer's machine is promised: no compiler, no repository, an empty HOME.
run() { env -i HOME="$work/home" PATH="$work/bin" npm_config_update_notifier=false "$@"; }
for tool in cc gcc g++ make python3; do
  if run sh -c "command -v $tool" >/dev/null; then say "$tool is on the PATH"; exit 1; fi
done

run npm install --no-audit --no-fund --loglevel=error "$repo"/release/*.tgz typescript@5.9.3 @types/node@20
say "installed: $(cd node_modules/@tsv && echo *)"
test -f node_modules/@tsv/kvm-sys/prebuilds/linux-x64/@tsv+kvm-sys.glibc.node

want="0 $(sha256sum /etc/hostname)"
for example in esm.mjs cjs.cjs; do
  got="$(run node "$example" | head -1)"
  [ "$got" = "$want" ] || { say "$example printed '$got', not '$want'"; exit 1; }
  say "$example: $got"
done
[ "$(run npx tsv run -- /bin/busybox echo hi)" = hi ] || { say 'npx tsv run failed'; exit 1; }
say "npx tsv --version: $(run npx tsv --version)"
run npx tsc -p .
say 'tsc --strict: consumer.ts (ESM) and consumer.cts (CommonJS) type-check'
