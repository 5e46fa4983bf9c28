#!/bin/sh
# Builds the vDSO (gen/vdso.so) from vdso.c with the host gcc. Run by the
# package's build script; the tests run it too. Writes atomically so parallel
# runs never see a half-written image.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../gen"
mkdir -p "$out"
tmp="$out/.vdso.so.$$"
trap 'rm -f "$tmp"' EXIT
${CC:-gcc} -nostdlib -shared -fPIC -O2 -std=gnu11 -Wall -Wextra -Werror \
	-ffreestanding -fno-builtin -fno-stack-protector -fno-plt -fcf-protection=none \
	-fasynchronous-unwind-tables -mcmodel=small \
	-Wl,-T,"$here/vdso.lds" -Wl,--hash-style=both -Wl,-soname=linux-vdso.so.1 \
	-Wl,--no-undefined -Wl,-Bsymbolic -Wl,--eh-frame-hdr -Wl,--build-id=sha1 \
	-Wl,-z,max-page-size=4096 -Wl,-z,common-page-size=4096 -Wl,-z,noexecstack \
	-o "$tmp" "$here/vdso.c"
mv -f "$tmp" "$out/vdso.so"
