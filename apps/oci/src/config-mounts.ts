// config.json's `mounts`: bind mounts of directories become the sandbox's
// volumes, bind mounts of files copies placed in its root, tmpfs mounts
// in-memory directories, and the kernel filesystems (proc, sysfs, devpts,
// mqueue, /dev and /dev/shm) are the Sentry's own, which are always there.
// Anything else, or an option tsv cannot honour, is refused.
import { type Stats, statSync } from 'node:fs';
import { posix } from 'node:path';
import type { Fields } from './config-fields.js';

/** An in-memory directory at `guest`, with its root's mode and owner (tmpfs's mode=, uid=, gid=). */
export interface TmpfsMount {
  guest: string;
  mode: number;
  uid: number;
  gid: number;
  readOnly: boolean;
}

/**
 * A host file bound at `guest`: the sandbox has no file bind mounts, so the
 * container's process places a copy of it there, in the root's writable
 * layer: the container sees the file as it was at create, and what it
 * writes there stays in the sandbox. (Docker binds /etc/hosts,
 * /etc/resolv.conf and /etc/hostname so.)
 */
export interface FileBind {
  source: string;
  guest: string;
}

/** Largest file a file bind mount copies: more is refused (the copy is held in the sandbox's memory). */
export const FILE_BIND_MAX = 1 << 20;

/**
 * Where the Sentry's own filesystems are: a mount of that type there is
 * satisfied. cgroup: the sandbox's /sys shows nothing, no cgroup hierarchy
 * either (tsv creates no cgroup; its limits are the sandbox's own).
 */
const OWN: Readonly<Record<string, readonly string[]>> = {
  cgroup: ['/sys/fs/cgroup'],
  cgroup2: ['/sys/fs/cgroup'],
  proc: ['/proc'],
  sysfs: ['/sys'],
  devpts: ['/dev/pts'],
  mqueue: ['/dev/mqueue'],
  tmpfs: ['/dev', '/dev/shm'],
};

/**
 * Options that change nothing in the sandbox: propagation (no mount events
 * cross it), access times, nosuid (exec never honours setuid bits) and
 * nodev (host device files are never opened: vfs/hostfs.ts).
 */
const HARMLESS = new Set([
  'private',
  'rprivate',
  'slave',
  'rslave',
  'shared',
  'rshared',
  'unbindable',
  'runbindable',
  'nosuid',
  'suid',
  'nodev',
  'dev',
  'exec',
  'atime',
  'noatime',
  'relatime',
  'norelatime',
  'strictatime',
  'nostrictatime',
  'diratime',
  'nodiratime',
]);

export function mountsOf(c: Fields): { volumes: string[]; tmpfs: TmpfsMount[]; files: FileBind[] } {
  const volumes: string[] = [];
  const tmpfs: TmpfsMount[] = [];
  const files: (FileBind & { field: string })[] = [];
  const dirs: string[] = [];
  for (const m of c.array('mounts')) {
    m.only(['destination', 'type', 'source', 'options', 'uidMappings', 'gidMappings']);
    m.empty('uidMappings', 'id-mapped mounts are not supported');
    m.empty('gidMappings', 'id-mapped mounts are not supported');
    const dest = m.string('destination') ?? m.refuse('destination', 'required');
    if (!posix.isAbsolute(dest) || dest.split('/').some((c) => c === '.' || c === '..') || dest.includes(':'))
      m.refuse('destination', `an absolute path without '.', '..' or ':' expected, got '${dest}'`);
    const guest = posix.normalize(dest).replace(/(.)\/$/, '$1');
    const options = m.stringArray('options');
    const type = m.string('type') ?? (options.includes('bind') || options.includes('rbind') ? 'bind' : '');
    const bind = type === 'bind' || options.includes('bind') || options.includes('rbind');
    if (!bind && OWN[type]?.includes(guest)) continue;
    let readOnly = false;
    const extra: string[] = [];
    for (const o of options) {
      if (o === 'ro' || o === 'rw') readOnly = o === 'ro';
      else if (o === 'noexec') m.refuse('options', "'noexec' is not supported (the sandbox would still execute files there)");
      else if (!HARMLESS.has(o) && !(bind && (o === 'bind' || o === 'rbind'))) extra.push(o);
    }
    if (bind) {
      if (extra.length > 0) m.refuse('options', `not supported for a bind mount: ${extra.join(', ')}`);
      const source = m.string('source') ?? m.refuse('source', 'required for a bind mount');
      if (!posix.isAbsolute(source) || source.includes(':')) m.refuse('source', `an absolute host path without ':' expected`);
      const st = hostStat(source) ?? m.refuse('source', `${source} does not exist`);
      if (st.isDirectory()) {
        volumes.push(`${source}:${guest}${readOnly ? ':ro' : ''}`);
        dirs.push(guest);
        continue;
      }
      if (!st.isFile()) m.refuse('source', `${source}: only a directory or a regular file can be bound`);
      if (readOnly) m.refuse('options', `'ro' is not supported for a file bind mount (the file is a writable copy)`);
      if (st.size > FILE_BIND_MAX) m.refuse('source', `${source}: a file bind mount copies the file, at most ${FILE_BIND_MAX} bytes`);
      files.push({ source, guest, field: m.path });
      continue;
    }
    if (type !== 'tmpfs')
      m.refuse('type', `'${type}' at ${guest} is not supported (proc, sysfs, devpts, mqueue are the sandbox's own at their usual places)`);
    tmpfs.push({ guest, readOnly, ...tmpfsOptions(m, extra) });
    dirs.push(guest);
  }
  // A copy placed under a mounted directory would land in that directory (a volume's writes reach the host).
  for (const f of files) {
    const under = dirs.find((d) => f.guest.startsWith(`${d}/`));
    if (under !== undefined) c.refuse(`${f.field}.destination`, `a file bind mount under the mount at ${under} is not supported`);
  }
  return { volumes, tmpfs, files: files.map(({ source, guest }) => ({ source, guest })) };
}

/** The host file's stat, or undefined when it cannot be had. */
function hostStat(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** tmpfs's own options; its size counts against the sandbox's memory limit, which bounds it. */
function tmpfsOptions(m: Fields, options: string[]): { mode: number; uid: number; gid: number } {
  const r = { mode: 0o1777, uid: 0, gid: 0 };
  for (const o of options) {
    const [k, v = ''] = o.split('=', 2);
    const n = k === 'mode' ? Number.parseInt(v, 8) : Number(v);
    if (k === 'size' || k === 'nr_blocks' || k === 'nr_inodes') continue;
    if ((k === 'mode' && /^[0-7]{1,4}$/.test(v)) || ((k === 'uid' || k === 'gid') && /^\d+$/.test(v))) r[k as 'mode' | 'uid' | 'gid'] = n;
    else m.refuse('options', `tmpfs option '${o}' is not supported`);
  }
  return r;
}
