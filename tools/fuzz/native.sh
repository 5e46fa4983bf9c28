#!/bin/bash
# Runs the fuzzer's guest natively, to check the fuzzer itself: a seed that
# ends early under tsv but not here points at tsv.
#
#   tools/fuzz/native.sh SEED [ITERATIONS] [v]      (build it first: pnpm --filter @tsv/fuzz build)
#
# The guest's calls are random and it runs as root of its user namespace, so
# it gets nothing of the host: fresh user, mount, pid, net, ipc and uts
# namespaces; a 64 MiB tmpfs as its root (pivot_root, the old root unmounted:
# a chroot could be escaped); descriptors 0-2 only; no real-time priority; a
# 64 MiB file size limit; killed after 120 s. Its output goes to
# out/native-SEED.stdout (the layout of the root is the driver's, but the
# calls return other things natively, so the sequence differs after a while).
set -euo pipefail
seed=${1:?usage: native.sh SEED [ITERATIONS] [v]}
iterations=${2:-20000}
trace=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/out/fuzz
out=$here/out/native-$seed.stdout
[ -x "$bin" ] || { echo "native.sh: build the guest first: pnpm --filter @tsv/fuzz build" >&2; exit 2; }
mnt=$(mktemp -d "${TMPDIR:-/tmp}/tsv-fuzz-native-XXXXXX")
trap 'rmdir "$mnt"' EXIT
for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null || true; done
status=0
timeout -s KILL 120 setsid unshare -Urmpf -n -i -u --kill-child bash -c '
  set -e
  m=$1 bin=$2
  mount -t tmpfs -o size=64m,mode=755 tmpfs "$m"
  mkdir -p "$m"/work "$m"/tmp "$m"/etc "$m"/data/dir "$m"/proc "$m"/old "$m"/outside/canary-dir
  cp "$bin" "$m"/fuzz
  echo "a small file" > "$m"/data/small.txt; echo inner > "$m"/data/dir/inner.txt
  echo "root:x:0:0:root:/:/bin/sh" > "$m"/etc/passwd
  mount -t proc proc "$m"/proc
  cd "$m" && pivot_root . old
  # The old root goes; its umount runs from it one last time (dynamic: through its loader).
  /old/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path /old/lib/x86_64-linux-gnu:/old/usr/lib/x86_64-linux-gnu \
    /old/usr/bin/umount -l /old
  cd /work
  ulimit -f 65536; ulimit -H -r 0; ulimit -H -e 0
  shift 2
  exec /fuzz "$@"
' native "$mnt" "$bin" "$seed" "$iterations" 60 /outside fuzz $trace < /dev/null 2>/dev/null | cat > "$out" || status=${PIPESTATUS[0]}
echo "seed $seed natively: status $status, $(grep -ao 'fuzz: seed=[^[:cntrl:]]*' "$out" | head -1)"
grep -ao 'fuzz: check failed: [^[:cntrl:]]*' "$out" | sort | uniq -c || true
