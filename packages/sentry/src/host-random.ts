// Random bytes from the host kernel's CSPRNG. Read from /dev/urandom rather
// than through node:crypto, whose loading (some 36 modules wrapping OpenSSL)
// cost every sandbox start several milliseconds for the 16 bytes of AT_RANDOM
// and a few getrandom calls. /dev/urandom never blocks once the host has
// booted; like /proc, the host must provide it (Node opens it close-on-exec).
import * as fs from 'node:fs';

/** The descriptor, opened at the first use and kept for the life of the process (one for all sandboxes). */
let urandom = -1;

/** Fills `buf[offset, offset + length)` with random bytes; returns `buf`. */
export function hostRandom(buf: Uint8Array, offset = 0, length = buf.length - offset): Uint8Array {
  if (urandom < 0) urandom = fs.openSync('/dev/urandom', 'r');
  for (let done = 0; done < length; ) done += fs.readSync(urandom, buf, offset + done, length - done, null);
  return buf;
}
