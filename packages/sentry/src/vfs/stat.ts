import type { BigIntStats, BigIntStatsFs } from 'node:fs';
import { S_IFDIR, S_IFMT } from './constants.js';

/** struct stat as the guest sees it (x86-64 layout in encodeStat). */
export interface Stat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  ctimeSec: number;
  ctimeNsec: number;
}

/** struct statfs (x86-64 layout in encodeStatfs). */
export interface StatFs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  fsid: [number, number];
  namelen: number;
  frsize: number;
  flags: number;
}

export interface Timespec {
  sec: number;
  nsec: number;
}

export const STAT_SIZE = 144;
export const STATFS_SIZE = 120;

/** statfs f_type magics and f_flags bits (ST_VALID marks f_flags as meaningful). */
export const TMPFS_MAGIC = 0x01021994;
export const OVERLAYFS_SUPER_MAGIC = 0x794c7630;
export const ST_RDONLY = 0x1;
export const ST_NOSUID = 0x2;
export const ST_NODEV = 0x4;
export const ST_VALID = 0x20;

export function now(): Timespec {
  const ns = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

export function hostStat(s: BigIntStats, dev: number, ino: number): Stat {
  return {
    dev,
    ino,
    mode: Number(s.mode),
    nlink: Number(s.nlink),
    uid: Number(s.uid),
    gid: Number(s.gid),
    rdev: Number(s.rdev),
    size: Number(s.size),
    blksize: Number(s.blksize),
    blocks: Number(s.blocks),
    atimeSec: Number(s.atimeNs / 1_000_000_000n),
    atimeNsec: Number(s.atimeNs % 1_000_000_000n),
    mtimeSec: Number(s.mtimeNs / 1_000_000_000n),
    mtimeNsec: Number(s.mtimeNs % 1_000_000_000n),
    ctimeSec: Number(s.ctimeNs / 1_000_000_000n),
    ctimeNsec: Number(s.ctimeNs % 1_000_000_000n),
  };
}

export function hostStatfs(s: BigIntStatsFs, fsid: number, flags: number): StatFs {
  const bsize = Number(s.bsize);
  return {
    type: Number(s.type),
    bsize,
    blocks: Number(s.blocks),
    bfree: Number(s.bfree),
    bavail: Number(s.bavail),
    files: Number(s.files),
    ffree: Number(s.ffree),
    fsid: [fsid, 0],
    namelen: 255,
    frsize: bsize,
    flags: flags | ST_VALID,
  };
}

/** The stat of a kernel object with no data or times of its own (a pipe, an anonymous inode, a host stream), owned by root. */
export function objectStat(dev: number, ino: number, mode: number): Stat {
  return {
    dev,
    ino,
    mode,
    nlink: 1,
    uid: 0,
    gid: 0,
    rdev: 0,
    size: 0,
    blksize: 4096,
    blocks: 0,
    atimeSec: 0,
    atimeNsec: 0,
    mtimeSec: 0,
    mtimeNsec: 0,
    ctimeSec: 0,
    ctimeNsec: 0,
  };
}

/** What a synthetic node (devpts, proc, the sandbox's own /dev) may set beyond objectStat's defaults. */
export interface SyntheticStatFields {
  uid?: number;
  gid?: number;
  rdev?: number;
  size?: number;
  blksize?: number;
}

/**
 * The stat of a node of a synthetic filesystem whose access, modification
 * and change times are all `t` (when it was made or last changed): a
 * directory counts 2 links, anything else 1; no blocks.
 */
export function syntheticStat(dev: number, ino: number, mode: number, t: Timespec, f: SyntheticStatFields = {}): Stat {
  return {
    dev,
    ino,
    mode,
    nlink: (mode & S_IFMT) === S_IFDIR ? 2 : 1,
    uid: f.uid ?? 0,
    gid: f.gid ?? 0,
    rdev: f.rdev ?? 0,
    size: f.size ?? 0,
    blksize: f.blksize ?? 4096,
    blocks: 0,
    atimeSec: t.sec,
    atimeNsec: t.nsec,
    mtimeSec: t.sec,
    mtimeNsec: t.nsec,
    ctimeSec: t.sec,
    ctimeNsec: t.nsec,
  };
}

/** A filesystem with no blocks or inodes to count (proc, pipefs, anonymous and synthetic files), as Linux's simple_statfs reports it. */
export function emptyStatfs(type: number, dev = 0): StatFs {
  return {
    type,
    bsize: 4096,
    blocks: 0,
    bfree: 0,
    bavail: 0,
    files: 0,
    ffree: 0,
    fsid: [dev, 0],
    namelen: 255,
    frsize: 4096,
    flags: ST_VALID,
  };
}

function put64(v: DataView, off: number, x: number): void {
  v.setBigInt64(off, BigInt(Math.trunc(x)), true);
}

/** Writes the 144-byte x86-64 struct stat at `off`. */
export function encodeStat(st: Stat, v: DataView, off = 0): void {
  put64(v, off, st.dev);
  put64(v, off + 8, st.ino);
  put64(v, off + 16, st.nlink);
  v.setUint32(off + 24, st.mode >>> 0, true);
  v.setUint32(off + 28, st.uid >>> 0, true);
  v.setUint32(off + 32, st.gid >>> 0, true);
  v.setUint32(off + 36, 0, true);
  put64(v, off + 40, st.rdev);
  put64(v, off + 48, st.size);
  put64(v, off + 56, st.blksize);
  put64(v, off + 64, st.blocks);
  put64(v, off + 72, st.atimeSec);
  put64(v, off + 80, st.atimeNsec);
  put64(v, off + 88, st.mtimeSec);
  put64(v, off + 96, st.mtimeNsec);
  put64(v, off + 104, st.ctimeSec);
  put64(v, off + 112, st.ctimeNsec);
  for (let i = 120; i < STAT_SIZE; i += 8) put64(v, off + i, 0);
}

/** Writes the 120-byte x86-64 struct statfs at `off`. */
export function encodeStatfs(s: StatFs, v: DataView, off = 0): void {
  const fields = [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree];
  fields.forEach((x, i) => put64(v, off + i * 8, x));
  v.setInt32(off + 56, s.fsid[0], true);
  v.setInt32(off + 60, s.fsid[1], true);
  put64(v, off + 64, s.namelen);
  put64(v, off + 72, s.frsize);
  put64(v, off + 80, s.flags);
  for (let i = 88; i < STATFS_SIZE; i += 8) put64(v, off + i, 0);
}
