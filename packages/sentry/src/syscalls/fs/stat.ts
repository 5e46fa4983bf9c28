// stat, fstat, lstat, newfstatat, statx, statfs, fstatfs.
import { E } from '../../errno.js';
import type { SyscallArgs } from '../../kernel/args.js';
import type { Task } from '../../kernel/task.js';
import {
  emptyStatfs,
  encodeStat,
  encodeStatfs,
  type FileDescription,
  type Stat,
  STAT_SIZE,
  type StatFs,
  STATFS_SIZE,
  ST_RDONLY,
} from '../../vfs/index.js';
import type { SyscallSpec } from '../../kernel/syscall-table.js';
import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_NO_AUTOMOUNT,
  AT_STATX_SYNC_TYPE,
  AT_SYMLINK_NOFOLLOW,
  copyOutArg,
  credOf,
  fileOf,
  pathArg,
  startOf,
} from './common.js';

const STATX_SIZE = 256;
/** STATX_BASIC_STATS: type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks. */
const STATX_BASIC_STATS = 0x7ff;
const STATX__RESERVED = 0x8000_0000;
const PIPEFS_MAGIC = 0x50495045;

/** Stat of what `path` (relative to `dirfd`) names; AT_EMPTY_PATH with "" stats the descriptor itself. */
function statAt(t: Task, a: SyscallArgs, dirfd: number, pathIdx: number, flags: number): Stat | number {
  const empty = (flags & AT_EMPTY_PATH) !== 0;
  const path = empty && a.ptr(pathIdx) === 0 ? new Uint8Array(0) : pathArg(t, a, pathIdx, empty);
  if (typeof path === 'number') return path;
  const s = startOf(t, dirfd, path);
  if (typeof s === 'number') return s;
  if (s.file !== null) return s.file.stat();
  if (s.at === null) return -E.ENOTDIR;
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  return t.kernel.vfs.stat(path, { at: s.at, cred: credOf(t), follow, emptyPath: empty });
}

function putStat(t: Task, a: SyscallArgs, i: number, st: Stat | number): number {
  if (typeof st === 'number') return st;
  const b = new Uint8Array(STAT_SIZE);
  encodeStat(st, new DataView(b.buffer));
  return copyOutArg(t, a, i, b);
}

const stat = (t: Task, a: SyscallArgs) => putStat(t, a, 1, statAt(t, a, AT_FDCWD, 0, 0));
const lstat = (t: Task, a: SyscallArgs) => putStat(t, a, 1, statAt(t, a, AT_FDCWD, 0, AT_SYMLINK_NOFOLLOW));

function fstat(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0), true);
  return typeof f === 'number' ? f : putStat(t, a, 1, f.stat());
}

function newfstatat(t: Task, a: SyscallArgs): number {
  const flags = a.int(3);
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) !== 0) return -E.EINVAL;
  return putStat(t, a, 2, statAt(t, a, a.int(0), 1, flags));
}

/** new_decode_dev: st_dev encoding -> [major, minor]. */
function decodeDev(dev: number): [number, number] {
  return [Math.floor(dev / 256) & 0xfff, (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00)];
}

/** struct statx with every basic field; btime and mount id are not known (absent from stx_mask). */
export function encodeStatx(st: Stat): Uint8Array {
  const b = new Uint8Array(STATX_SIZE);
  const v = new DataView(b.buffer);
  const u64 = (off: number, x: number) => v.setBigUint64(off, BigInt(Math.max(0, Math.trunc(x))), true);
  const time = (off: number, sec: number, nsec: number) => {
    v.setBigInt64(off, BigInt(Math.trunc(sec)), true);
    v.setUint32(off + 8, nsec >>> 0, true);
  };
  v.setUint32(0, STATX_BASIC_STATS, true);
  v.setUint32(4, st.blksize >>> 0, true);
  v.setUint32(16, st.nlink >>> 0, true);
  v.setUint32(20, st.uid >>> 0, true);
  v.setUint32(24, st.gid >>> 0, true);
  v.setUint16(28, st.mode & 0xffff, true);
  u64(32, st.ino);
  u64(40, st.size);
  u64(48, st.blocks);
  time(64, st.atimeSec, st.atimeNsec);
  time(96, st.ctimeSec, st.ctimeNsec);
  time(112, st.mtimeSec, st.mtimeNsec);
  const [rmaj, rmin] = decodeDev(st.rdev);
  const [dmaj, dmin] = decodeDev(st.dev);
  v.setUint32(128, rmaj, true);
  v.setUint32(132, rmin, true);
  v.setUint32(136, dmaj, true);
  v.setUint32(140, dmin, true);
  return b;
}

/** statx(dirfd, path, flags, mask, buf): Linux may return more than `mask` asks, so every basic field is filled. */
function statx(t: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) !== 0) return -E.EINVAL;
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) return -E.EINVAL;
  if ((a.uint(3) & STATX__RESERVED) !== 0) return -E.EINVAL;
  const st = statAt(t, a, a.int(0), 1, flags);
  return typeof st === 'number' ? st : copyOutArg(t, a, 4, encodeStatx(st));
}

function putStatfs(t: Task, a: SyscallArgs, s: StatFs | number): number {
  if (typeof s === 'number') return s;
  const b = new Uint8Array(STATFS_SIZE);
  encodeStatfs(s, new DataView(b.buffer));
  return copyOutArg(t, a, 1, b);
}

function statfs(t: Task, a: SyscallArgs): number {
  const path = pathArg(t, a, 0);
  if (typeof path === 'number') return path;
  return putStatfs(t, a, t.kernel.vfs.statfs(path, { at: t.fs.cwd, cred: credOf(t) }));
}

/** Pipes and other nameless objects report pipefs, as on Linux. */
function statfsOf(f: FileDescription): StatFs | number {
  const loc = f.location;
  if (loc === null) return emptyStatfs(PIPEFS_MAGIC);
  const s = loc.node.statfs();
  if (typeof s !== 'number' && loc.mount.readOnly) s.flags |= ST_RDONLY;
  return s;
}

function fstatfs(t: Task, a: SyscallArgs): number {
  const f = fileOf(t, a.int(0), true);
  return typeof f === 'number' ? f : putStatfs(t, a, statfsOf(f));
}

export const STAT_SYSCALLS: readonly SyscallSpec[] = [
  ['stat', ['path', 'ptr'], stat],
  ['lstat', ['path', 'ptr'], lstat],
  ['fstat', ['fd', 'ptr'], fstat],
  ['newfstatat', ['dirfd', 'path', 'ptr', 'atflags'], newfstatat],
  ['statx', ['dirfd', 'path', 'atflags', 'hex', 'ptr'], statx],
  ['statfs', ['path', 'ptr'], statfs],
  ['fstatfs', ['fd', 'ptr'], fstatfs],
];
