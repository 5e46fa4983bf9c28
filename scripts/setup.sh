#!/usr/bin/env bash
# Installs everything tsv needs on a fresh Debian/Ubuntu machine with Node 20,
# installs the workspace, builds it and puts `tsv` on the PATH. Used by the
# README's Quick start and by CI (.ci/run).
#
# Runs as root, or as a user with sudo (for apt only); a user without sudo is
# told what an administrator must install, and everything else (pnpm, the
# `tsv` link) goes under ~/.local. Nothing here needs /dev/kvm: `tsv doctor`
# says afterwards whether this user can use it, and how to grant access.
set -euo pipefail
cd "$(dirname "$0")/.."

export TURBO_TELEMETRY_DISABLED=1
user_path="$PATH"
say() { printf 'setup: %s\n' "$*" >&2; }
on_path() { case ":$user_path:" in *":$1:"*) return 0 ;; *) return 1 ;; esac; }

# Where per-user tools go when not root: ~/.local/bin (on Debian's default
# PATH once it exists, at the next login).
if [ "$(id -u)" -eq 0 ]; then
  bin_dir="${TSV_BIN_DIR:-/usr/local/bin}"
else
  bin_dir="${TSV_BIN_DIR:-$HOME/.local/bin}"
fi

# System packages: a C toolchain with static glibc (the native addon, the
# vDSO, guest test programs), busybox for real programs to run, strace for
# syscall counts in the benchmarks, runsc (gVisor) for the benchmarks'
# runsc-ptrace baselines, containerd (with runc) and docker.io (dockerd and
# its CLI) for tsv-oci's tests as a containerd and a Docker runtime.
apt_pkgs=(build-essential libc6-dev python3 binutils busybox-static strace runsc golang-go rustc containerd docker.io)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      say "these system packages are missing: ${missing[*]}"
      say "installing them needs root, and sudo is not installed. Ask an administrator to run:"
      say "  apt-get install -y --no-install-recommends ${missing[*]}"
      say "then run this script again (as yourself: the rest needs no privilege)."
      exit 1
    fi
    sudo=(sudo)
    say "installing ${missing[*]} with sudo"
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# pnpm, pinned by the root package.json's packageManager. Root installs it
# globally; a user installs it under ~/.local (npm's global prefix is root's).
PNPM_VERSION=10.34.9
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    npm install -g --no-fund --no-audit "pnpm@$PNPM_VERSION"
  else
    # --prefix would also move npm's global config (a proxy's CA may be set there): keep it.
    npm install -g --prefix "$(dirname "$bin_dir")" --globalconfig "$(npm config get globalconfig)" --no-fund --no-audit "pnpm@$PNPM_VERSION"
    export PATH="$bin_dir:$PATH"
  fi
fi

pnpm install --frozen-lockfile
pnpm build

# A bare `tsv` (and `tsv-oci`) on the PATH: links to the workspace's command lines (`tsv` is the same
# one `pnpm exec tsv` and `pnpm -s tsv` run).
mkdir -p "$bin_dir"
ln -sfn "$PWD/apps/runner/bin/tsv" "$bin_dir/tsv"
ln -sfn "$PWD/apps/oci/bin/tsv-oci" "$bin_dir/tsv-oci"
say "tsv $(node apps/runner/bin/tsv --version | cut -d' ' -f2) is linked at $bin_dir/tsv"
on_path "$bin_dir" || say "$bin_dir is not on your PATH: add it (export PATH=\"$bin_dir:\$PATH\"), or run \`pnpm -s tsv …\` here"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || say "this user cannot open /dev/kvm yet: \`tsv doctor\` says why and how to grant access"
