import { E } from '../errno.js';
import { MAXSYMLINKS, NAME_MAX, PATH_MAX, S_IFDIR, S_IFLNK } from './constants.js';
import type { Location } from './location.js';
import type { Cred } from './node.js';
import { components } from './path.js';

/**
 * What to do with a symlink in the last component: follow it (stat, open),
 * follow it only if the path ends in "/" (lstat, O_NOFOLLOW), or never
 * ('parent': the operation acts on the name itself — unlink, rename, mkdir).
 */
export type LastMode = 'follow' | 'nofollow' | 'parent';

/**
 * Result of a walk: the directory holding the last component, its name ("."
 * or ".." as written, "/" for the root itself) and its location, or null when
 * only the last component is missing (the case create operations want).
 */
export interface Walked {
  parent: Location;
  name: string;
  loc: Location | null;
  /** The path ended in "/": the result must be a directory. */
  slash: boolean;
}

export interface Namespace {
  readonly root: Location;
  /** The location of `name` in directory `dir`, crossing into a mount if one is there. */
  child(dir: Location, name: string): Location | number;
  /** May `cred` search (X_OK) directory `dir`? */
  searchable(dir: Location, cred: Cred): boolean;
}

/**
 * Resolves `path` (a binary string) one component at a time, starting at the
 * namespace root for an absolute path or at `start`. Symlink targets are
 * spliced into the remaining components and resolved the same way (absolute
 * ones from the namespace root); a magic link (VNode.jump) moves straight to
 * the location it names, counting as one link. ".." moves to the location the
 * walk came from and stops at the root, so no path, however crafted, reaches
 * a node outside the namespace. Errors are Linux's: ENOENT, ENOTDIR, EACCES (search
 * permission), ELOOP after MAXSYMLINKS links, ENAMETOOLONG.
 */
export function walk(ns: Namespace, path: string, start: Location, last: LastMode, cred: Cred): Walked | number {
  if (path.length === 0) return -E.ENOENT;
  if (path.length >= PATH_MAX) return -E.ENAMETOOLONG;
  const slash = path.endsWith('/');
  const followLast = last === 'follow' || (last === 'nofollow' && slash);
  const pending = components(path).reverse();
  let cur = path.startsWith('/') ? ns.root : start;
  let links = 0;

  const done = (w: Walked): Walked | number => (w.slash && w.loc && last !== 'parent' && w.loc.node.kind !== S_IFDIR ? -E.ENOTDIR : w);

  if (pending.length === 0) return done({ parent: cur.parent ?? cur, name: '/', loc: cur, slash });
  for (;;) {
    const c = pending.pop()!;
    if (c.length > NAME_MAX) return -E.ENAMETOOLONG;
    if (cur.node.kind !== S_IFDIR) return -E.ENOTDIR;
    if (!ns.searchable(cur, cred)) return -E.EACCES;
    const isLast = pending.length === 0;
    if (c === '.' || c === '..') {
      const next = c === '.' ? cur : (cur.parent ?? cur);
      if (isLast) return done({ parent: next.parent ?? next, name: c, loc: next, slash });
      cur = next;
      continue;
    }
    const child = ns.child(cur, c);
    if (typeof child === 'number') {
      return child === -E.ENOENT && isLast ? { parent: cur, name: c, loc: null, slash } : child;
    }
    if (child.node.kind === S_IFLNK && (!isLast || followLast)) {
      if (++links > MAXSYMLINKS) return -E.ELOOP;
      if (child.node.jump) {
        const to = child.node.jump();
        if (typeof to === 'number') return to;
        if (isLast) return done({ parent: to.parent ?? to, name: c, loc: to, slash });
        cur = to;
        continue;
      }
      const target = child.node.readlink();
      if (typeof target === 'number') return target;
      if (target.length === 0) return -E.ENOENT;
      if (target.startsWith('/')) cur = ns.root;
      const parts = components(target);
      if (parts.length === 0) parts.push('.'); // a link to "/" itself
      for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]!);
      continue;
    }
    if (isLast) return done({ parent: cur, name: c, loc: child, slash });
    cur = child;
  }
}
