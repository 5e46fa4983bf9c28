import { E } from '../errno.js';
import { hostRandom } from '../host-random.js';
import { makedev } from './constants.js';
import { type CharOps, type DeviceOpener, SyntheticFs } from './synthetic.js';

export interface DevOptions {
  /**
   * The sandbox's terminals (fd/tty): /dev/ptmx makes a pseudo-terminal,
   * /dev/tty is the caller's controlling terminal; the caller mounts their
   * devpts on the /dev/pts directory made for it.
   */
  terminals?: { ptmx: DeviceOpener; tty: DeviceOpener };
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
 * fd/stdin/stdout/stderr links into /proc/self/fd, and tty, ptmx and pts
 * when terminals are configured.
 * Device numbers are Linux's, so programs that check st_rdev are satisfied.
 */
export function createDevFs(opts: DevOptions = {}): SyntheticFs {
  const fs = new SyntheticFs();
  const dev = fs.root();
  for (const [name, major, minor, ops] of devices) dev.addDevice(name, makedev(major, minor), ops);
  if (opts.terminals) {
    dev.addDevice('tty', makedev(5, 0), opts.terminals.tty);
    dev.addDevice('ptmx', makedev(5, 2), opts.terminals.ptmx);
    dev.addDir('pts');
  }
  dev.addSymlink('fd', '/proc/self/fd');
  ['stdin', 'stdout', 'stderr'].forEach((name, i) => dev.addSymlink(name, `/proc/self/fd/${i}`));
  return fs;
}
