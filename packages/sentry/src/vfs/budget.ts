// What the in-memory filesystems of one sandbox may hold. File bytes,
// inodes and names are charged to the sandbox's MemoryAccount, the one its
// guest memory frames are charged to, so guest RAM and tmpfs/overlay
// contents together stay under --memory (as tmpfs pages count against a
// memory cgroup). Beyond it, or beyond the inode cap, the answer is ENOSPC.
import type { MemoryAccount } from '../mm/account.js';

/**
 * Host bytes charged per inode, besides its contents: the node object, its
 * timestamps and its maps. Measured (V8 heap, with a 20-byte entry): about
 * 250 bytes for a symlink, 500 for a file, 600 for a directory.
 */
export const INODE_COST = 512;
/** Host bytes charged per directory entry, besides the name's length. */
export const ENTRY_COST = 64;
/** Inode cap when the account has no limit. */
const UNLIMITED_INODES = 1 << 20;

/** The charge/uncharge side of a MemoryAccount: what the VFS needs of it. */
export type Account = Pick<MemoryAccount, 'limit' | 'used' | 'fits' | 'charge' | 'uncharge'>;

/**
 * Like tmpfs's default nr_inodes (half the pages of RAM): one inode per 8 KiB
 * of the limit, at least 256.
 */
export function defaultMaxInodes(limit: number): number {
  return Number.isFinite(limit) ? Math.max(256, Math.floor(limit / 8192)) : UNLIMITED_INODES;
}

/** One sandbox's in-memory filesystem budget, shared by all its overlay and tmpfs mounts. */
export class MemStore {
  /** Live charged inodes. */
  inodes = 0;

  constructor(
    readonly account: Account,
    readonly maxInodes = defaultMaxInodes(account.limit),
  ) {}

  /** True when `bytes` more would fit now. */
  fits(bytes: number): boolean {
    return this.account.fits(bytes);
  }

  /** Charges `bytes` of contents; false (nothing charged) when they do not fit. */
  charge(bytes: number): boolean {
    return this.account.charge(bytes);
  }

  uncharge(bytes: number): void {
    this.account.uncharge(bytes);
  }

  /** Charges one inode with `extra` bytes of its own (a symlink target); false at the cap or the limit. */
  addInode(extra: number): boolean {
    if (this.inodes >= this.maxInodes || !this.account.charge(INODE_COST + extra)) return false;
    this.inodes++;
    return true;
  }

  dropInode(extra: number): void {
    this.inodes--;
    this.account.uncharge(INODE_COST + extra);
  }
}
