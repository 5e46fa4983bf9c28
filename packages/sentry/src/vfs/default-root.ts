// The root a sandbox gets when the operator names none: the host's system
// directories, never written and without what the host keeps private, and
// empty in-memory directories of the sandbox's own where a host keeps its
// users', services' and temporary data. The layout is the data below;
// defaultRoot() builds it under the Vfs's in-memory root.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HideEntry, HostNode } from './hostfs.js';
import { ROOT_CRED } from './node.js';
import type { RootLayout, Vfs } from './vfs.js';

/**
 * Host directories shown at the top of the sandbox. Their files are never
 * written: a program's changes live in memory (EROFS without the overlay).
 * One that is a symlink on the host (usr-merged: bin -> usr/bin) is the same
 * symlink here, resolved inside the sandbox; one the host lacks is absent.
 */
export const SYSTEM_DIRS: readonly string[] = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'usr', 'etc', 'opt'];

/** The sandbox's own directories: empty, in memory, owned by root, with these modes (parents first). */
export const OWN_DIRS: readonly (readonly [string, number])[] = [
  ['tmp', 0o1777],
  ['var', 0o755],
  ['var/tmp', 0o1777],
  ['home', 0o755],
  ['root', 0o700],
  ['run', 0o755],
  ['mnt', 0o755],
  ['srv', 0o755],
];

/**
 * Paths under /etc hidden whatever their mode ('*' matches within one name):
 * credentials a host may leave world-readable by mistake, and the host's
 * identity (machine-id, which machine-id(5) asks never to expose to
 * untrusted code; most containers have none either).
 */
export const ETC_HIDDEN: readonly string[] = [
  'shadow',
  'shadow-',
  'gshadow',
  'gshadow-',
  'sudoers',
  'sudoers.d',
  'ssh/ssh_host_*_key',
  'ssl/private',
  'security/opasswd',
  'machine-id',
];

/**
 * Hidden in every system directory: what the host lets only an owner or a
 * group read (mode without o+r: shadow, private keys, 0600 configuration,
 * pg_hba.conf). A program in the sandbox usually runs as root and would
 * otherwise read it. Symlinks (always 0777) stay: their targets are looked
 * up, and hidden, where they lead.
 */
const S_IROTH = 0o4;
const privateToHost: HideEntry = (_dir, _name, st) => (Number(st.mode) & S_IROTH) === 0;

/** `name` in `dir`, relative to the root of their filesystem. */
function relativePath(dir: HostNode, name: string): string {
  let p = name;
  for (let d: HostNode | null = dir; d.parent !== null; d = d.parent) p = `${d.name}/${p}`;
  return p;
}

/** A rule hiding what privateToHost hides and the paths matching `globs`. */
function hiding(globs: readonly string[]): HideEntry {
  const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const patterns = globs.map((g) => new RegExp(`^${g.split('*').map(escapeRe).join('[^/]*')}$`));
  return (dir, name, st) => privateToHost(dir, name, st) || patterns.some((p) => p.test(relativePath(dir, name)));
}

/** Configuration calls fail loudly: an errno here is a bug or a broken host, not the guest's doing. */
function check(r: number, what: string): void {
  if (r < 0) throw new Error(`tsv: default root: ${what}: errno ${-r}`);
}

/** The default layout, its system directories taken from `host` (tests pass a tree of their own). */
export function defaultRoot(host = '/'): RootLayout {
  return {
    build(vfs: Vfs, { overlay, taken }): void {
      const free = (guest: string) => !taken.some((t) => guest === t || guest.startsWith(`${t}/`));
      for (const name of SYSTEM_DIRS) {
        const from = path.join(host, name);
        const st = fs.lstatSync(from, { throwIfNoEntry: false });
        if (!st || !free(`/${name}`)) continue;
        if (st.isSymbolicLink()) check(vfs.symlink(fs.readlinkSync(from, { encoding: 'buffer' }), `/${name}`, { cred: ROOT_CRED }), name);
        else if (st.isDirectory()) vfs.mountHost(`/${name}`, from, overlay ? 'overlay' : 'ro', hiding(name === 'etc' ? ETC_HIDDEN : []));
      }
      for (const [name, mode] of OWN_DIRS) {
        if (free(`/${name}`)) check(vfs.mkdir(`/${name}`, mode, { cred: ROOT_CRED, umask: 0 }), name);
      }
    },
  };
}
