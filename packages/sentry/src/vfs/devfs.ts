import { E } from '../errno.js';
import { hostRandom } from '../host-random.js';
import { makedev } from './constants.js';
import { type CharOps, SyntheticFs } from './synthetic.js';

/** The terminal behind /dev/tty, supplied by whoever owns the host terminal. */
export type TtyOps = CharOps;

export interface DevOptions {
  /** Present /dev/tty (only when the sandbox's stdin is a terminal). */
  tty?: TtyOps;
}

const discard = (_buf: Uint8Array, len: number): number => len;

const devices: [string, number, number, CharOps][] = [
  ['null', 1, 3, { read: () => 0, write: discard }],
  ['zero', 1, 5, { read: (buf, len) => (buf.fill(0, 0, len), len), write: discard }],
  ['full', 1, 7, { read: (buf, len) => (buf.fill(0, 0, len), len), write: () => -E.ENOSPC }],
  ['random', 1, 8, { read: (buf, len) => (hostRandom(buf, 0, len), len), write: discard }],
  ['urandom', 1, 9, { read: (buf, len) => (hostRandom(buf, 0, len), len), write: discard }],
];

/**
 * A synthetic /dev: null, zero, full, random, urandom (host CSPRNG), the
 * fd/stdin/stdout/stderr links into /proc/self/fd, and tty when configured.
 * Device numbers are Linux's, so programs that check st_rdev are satisfied.
 */
export function createDevFs(opts: DevOptions = {}): SyntheticFs {
  const fs = new SyntheticFs();
  const dev = fs.root();
  for (const [name, major, minor, ops] of devices) dev.addDevice(name, makedev(major, minor), ops);
  if (opts.tty) dev.addDevice('tty', makedev(5, 0), { ...opts.tty, stream: true });
  dev.addSymlink('fd', '/proc/self/fd');
  ['stdin', 'stdout', 'stderr'].forEach((name, i) => dev.addSymlink(name, `/proc/self/fd/${i}`));
  return fs;
}
