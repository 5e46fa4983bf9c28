// /proc/<pid>/mounts and /proc/<pid>/mountinfo: the sandbox's own mount
// table (Vfs), never the host's, and the mount ids fdinfo's mnt_id shows.
//
// A filesystem's type is named from its statfs magic, so that /proc/mounts
// and statfs(2) agree; a host directory bound in shows the host's type, as
// statfs already does. Sources are the type's name (there is no device).
import type { Mount, Vfs } from '../vfs/index.js';
import { OVERLAYFS_SUPER_MAGIC, TMPFS_MAGIC } from '../vfs/index.js';
import { PROC_SUPER_MAGIC } from './nodes.js';

const TYPES: ReadonlyMap<number, string> = new Map([
  [PROC_SUPER_MAGIC, 'proc'],
  [0x62656572, 'sysfs'],
  [TMPFS_MAGIC, 'tmpfs'],
  [OVERLAYFS_SUPER_MAGIC, 'overlay'],
  [0xef53, 'ext4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
]);

/** Mount ids, stable for the run: the table's mounts in mount order first, then others as they are asked for. */
export class MountIds {
  readonly #ids = new WeakMap<Mount, number>();
  #next = 1;

  constructor(private readonly vfs: Vfs) {}

  id(m: Mount): number {
    if (this.#next === 1) for (const t of this.vfs.mountTable()) this.#assign(t);
    return this.#assign(m);
  }

  #assign(m: Mount): number {
    let id = this.#ids.get(m);
    if (id === undefined) {
      id = this.#next++;
      this.#ids.set(m, id);
    }
    return id;
  }
}

/** One mounted filesystem as /proc shows it, its mount point seen from a root directory. */
interface Entry {
  mount: Mount;
  /** The mount point relative to the viewer's root. */
  point: string;
  type: string;
}

/** The mounts a process whose root directory is `root` (a canonical guest path) can see, in mount order. */
function visible(vfs: Vfs, root: string): Entry[] {
  const out: Entry[] = [];
  for (const m of vfs.mountTable()) {
    const point = root === '/' ? m.path : m.path === root ? '/' : m.path.startsWith(`${root}/`) ? m.path.slice(root.length) : null;
    if (point !== null) out.push({ mount: m, point, type: typeName(m) });
  }
  return out;
}

function typeName(m: Mount): string {
  const st = m.fs.root().statfs();
  return (typeof st === 'number' ? undefined : TYPES.get(st.type)) ?? 'none';
}

/** Linux's escaping of a path in mount files: space, tab, newline and backslash as octal. */
function mangle(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

function options(m: Mount): string {
  return `${m.readOnly ? 'ro' : 'rw'},relatime`;
}

/** /proc/<pid>/mounts (and /proc/mounts): source, mount point, type, options, "0 0". */
export function mountsText(vfs: Vfs, root: string): string {
  return visible(vfs, root)
    .map((e) => `${e.type} ${mangle(e.point)} ${e.type} ${options(e.mount)} 0 0\n`)
    .join('');
}

/**
 * /proc/<pid>/mountinfo: id, parent id (the root's own for the root, as
 * proc(5) says), major:minor, root within the filesystem, mount point,
 * options, no optional fields, "-", type, source, super options.
 */
export function mountinfoText(vfs: Vfs, root: string, ids: MountIds): string {
  const entries = visible(vfs, root);
  return entries
    .map((e) => {
      const id = ids.id(e.mount);
      const parent = entries.filter((p) => p !== e && isBeneath(e.point, p.point)).sort((a, b) => b.point.length - a.point.length)[0];
      const dev = e.mount.fs.dev;
      const devText = `${(dev >>> 8) & 0xfff}:${(dev & 0xff) | ((dev >>> 12) & 0xfff00)}`;
      const ro = e.mount.readOnly ? 'ro' : 'rw';
      return `${id} ${parent === undefined ? id : ids.id(parent.mount)} ${devText} / ${mangle(e.point)} ${options(e.mount)} - ${e.type} ${e.type} ${ro}\n`;
    })
    .join('');
}

/** Whether mount point `p` lies strictly beneath `dir`. */
function isBeneath(p: string, dir: string): boolean {
  return p !== dir && (dir === '/' || p.startsWith(`${dir}/`));
}
