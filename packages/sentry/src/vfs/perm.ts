import { S_IFDIR, S_IFMT, S_ISVTX, X_OK } from './constants.js';
import type { Cred } from './node.js';

interface Owned {
  mode: number;
  uid: number;
  gid: number;
}

export function inGroup(cred: Cred, gid: number): boolean {
  return cred.gid === gid || (cred.groups?.includes(gid) ?? false);
}

/**
 * generic_permission: may `cred` access an inode for `want` (R_OK|W_OK|X_OK)?
 * Root passes read/write always, and execute on directories or on files with
 * any execute bit; everyone else gets exactly one of the owner/group/other
 * triplets. (Read-only mounts are the caller's check: they yield EROFS.)
 */
export function permits(st: Owned, cred: Cred, want: number): boolean {
  if (cred.uid === 0) {
    return (want & X_OK) === 0 || (st.mode & S_IFMT) === S_IFDIR || (st.mode & 0o111) !== 0;
  }
  const bits = cred.uid === st.uid ? st.mode >> 6 : inGroup(cred, st.gid) ? st.mode >> 3 : st.mode;
  return (bits & want & 7) === (want & 7);
}

/** Sticky directories let only the owner of an entry (or of the directory, or root) remove it. */
export function stickyBlocks(dir: Owned, victim: Owned, cred: Cred): boolean {
  return (dir.mode & S_ISVTX) !== 0 && cred.uid !== 0 && cred.uid !== victim.uid && cred.uid !== dir.uid;
}

export function isOwner(st: Owned, cred: Cred): boolean {
  return cred.uid === 0 || cred.uid === st.uid;
}
