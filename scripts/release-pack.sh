#!/usr/bin/env bash
# Builds the workspace and packs every published package (packages/*, apps/*)
# into release/: one `npm install release/*.tgz` then installs tsv in any
# project (README, "Use from Node.js"). Versions come from `pnpm release:version`;
# workspace:* dependencies become those exact versions in the tarballs.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm build
rm -rf release
pnpm -r --filter './packages/*' --filter './apps/*' pack --pack-destination "$PWD/release" >/dev/null
ls -1 release/*.tgz
