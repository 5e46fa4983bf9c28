// Host descriptors held for a sandbox: the budget its open files draw from,
// and the cache of directory handles every host path operation starts at.
import * as fs from 'node:fs';

/** Linux's O_PATH (x86-64 and arm64): a handle that names an inode without opening it; node:fs lacks the constant. */
export const HOST_O_PATH = 0o10000000;

/** Host descriptors one sandbox's open files may hold by default. */
export const DEFAULT_HOST_FDS = 4096;

/**
 * Every guest open of a host file is a descriptor of the Node process, which
 * all sandboxes in it share: the budget keeps one sandbox (whatever its
 * RLIMIT_NOFILE) from exhausting them. Beyond it opens fail with ENFILE,
 * Linux's "system-wide limit reached".
 */
export class HostFdBudget {
  used = 0;

  constructor(readonly limit = DEFAULT_HOST_FDS) {}

  take(): boolean {
    if (this.used >= this.limit) return false;
    this.used++;
    return true;
  }

  give(): void {
    this.used--;
  }
}

/** The host path "/proc/self/fd/<fd>": the kernel follows it to exactly the inode `fd` holds, whatever its path is now. */
export function procFd(fd: number): Buffer {
  return Buffer.from(`/proc/self/fd/${fd}`);
}

/** "/proc/self/fd/<dirFd>/<name>": entry `name` (one component, binary string) of the directory `dirFd` holds — openat() for node:fs. */
export function procAt(dirFd: number, name: string): Buffer {
  return Buffer.from(`/proc/self/fd/${dirFd}/${name}`, 'latin1');
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already gone: nothing to release
  }
}

/** Closes the descriptors of a cache whose owner was collected without close(). */
const orphans = new FinalizationRegistry<Set<number>>((fds) => {
  for (const fd of fds) closeQuietly(fd);
});

/**
 * Directory handles (O_PATH descriptors) by node, least recently used first
 * out: at most `capacity` plus the kept ones (the root). A descriptor
 * returned by get() or put() stays open until the next put(), so callers use
 * it at once. close() releases everything (a later get() misses and the
 * owner reopens); if the owner is garbage-collected first, a finalizer does.
 */
export class DirFdCache<K extends object> {
  private readonly lru = new Map<K, number>();
  private readonly kept = new Map<K, number>();
  /** Every descriptor held, for close() and the finalizer (numbers only: it must not keep the owner alive). */
  private readonly open = new Set<number>();

  constructor(
    owner: object,
    private readonly capacity: number,
  ) {
    orphans.register(owner, this.open);
  }

  get(k: K): number | undefined {
    const kept = this.kept.get(k);
    if (kept !== undefined) return kept;
    const fd = this.lru.get(k);
    if (fd !== undefined) {
      this.lru.delete(k);
      this.lru.set(k, fd);
    }
    return fd;
  }

  /** Takes ownership of `fd` as the handle of `k`; `keep` exempts it from eviction. */
  put(k: K, fd: number, keep = false): void {
    this.open.add(fd);
    if (keep) {
      this.kept.set(k, fd);
      return;
    }
    this.lru.set(k, fd);
    if (this.lru.size <= this.capacity) return;
    const [oldest, old] = this.lru.entries().next().value as [K, number];
    this.lru.delete(oldest);
    this.release(old);
  }

  get size(): number {
    return this.open.size;
  }

  close(): void {
    for (const fd of this.open) closeQuietly(fd);
    this.open.clear();
    this.lru.clear();
    this.kept.clear();
  }

  private release(fd: number): void {
    this.open.delete(fd);
    closeQuietly(fd);
  }
}
