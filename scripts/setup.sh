#!/usr/bin/env bash
# Installs everything tsv needs on a fresh Debian/Ubuntu machine with Node 20,
# then installs the workspace and builds it. Used by the README's Quick start
# and by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

export TURBO_TELEMETRY_DISABLED=1
# node-gyp finds Node's headers here (no download needed).
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

# System packages: a C toolchain with static glibc (the native addon, the
# vDSO, guest test programs), busybox for real programs to run, strace for
# syscall counts in the benchmarks.
apt_pkgs=(build-essential libc6-dev python3 binutils busybox-static strace)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PNPM_VERSION=10.34.9
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g --no-fund --no-audit "pnpm@$PNPM_VERSION"
fi

pnpm install --frozen-lockfile
pnpm build
