// What path walks have learnt of a read-only host tree, kept so that a
// name looked up again, a file stat'ed again or a directory listed again
// costs no host call (see HostFs for when a tree is cached and what a run
// sees of host changes).
import { E } from '../errno.js';
import type { DirEntry } from './node.js';
import type { Stat } from './stat.js';

/** Names one host filesystem's cache holds by default (a few MiB at most: see HostCache). */
export const HOST_CACHE_NAMES = 16384;

/** What is known of one node; absent fields are not known yet. Shared with callers, who must not change them. */
export interface Facts {
  stat?: Stat;
  /** Its symlink target. */
  target?: string;
  /** Its directory listing. */
  list?: readonly DirEntry[];
}

interface Known<N> extends Facts {
  /** Lookups in this directory: the child node, or -ENOENT for a name that is not there (or is hidden). */
  children?: Map<string, N | number>;
  /** Names this record holds (see HostCache). */
  weight: number;
}

/**
 * Facts about nodes, least recently used first out, bounded by the number
 * of names held: a stat, a symlink target and a lookup (found or not) count
 * one name each, a listing one per entry. A hostile program that walks
 * millions of names only churns the cache, whose size stays bounded (at
 * about 250 bytes a name, HOST_CACHE_NAMES is ~4 MiB); a listing longer than
 * an eighth of the capacity is not kept. Only successes and ENOENT are
 * kept: any other error (a full descriptor table, a vanished directory) is
 * asked of the host again next time.
 */
export class HostCache<N extends object> {
  private readonly known = new Map<N, Known<N>>();
  private weight = 0;

  constructor(readonly capacity = HOST_CACHE_NAMES) {}

  /** Names held now. */
  get size(): number {
    return this.weight;
  }

  /** Fact `key` of `n`, from the cache or from `find()` (then kept if it succeeded). */
  fact<K extends keyof Facts>(n: N, key: K, find: () => NonNullable<Facts[K]> | number): NonNullable<Facts[K]> | number {
    const rec = this.touch(n);
    const had = rec?.[key];
    if (had !== undefined) return had as NonNullable<Facts[K]>;
    const found = find();
    if (typeof found === 'number') return found;
    const w = key === 'list' ? (found as readonly DirEntry[]).length + 1 : 1;
    if (w <= this.capacity / 8) {
      const r = this.record(n);
      (r as Facts)[key] = found as Facts[K];
      this.charge(r, w);
    }
    return found;
  }

  /** The node `name` in directory `dir` names, from the cache or from `find()` (then kept if found or ENOENT). */
  child(dir: N, name: string, find: () => N | number): N | number {
    const had = this.touch(dir)?.children?.get(name);
    if (had !== undefined) return had;
    const found = find();
    if (typeof found === 'number' && found !== -E.ENOENT) return found;
    const r = this.record(dir);
    (r.children ??= new Map()).set(name, found);
    this.charge(r, 1);
    return found;
  }

  /** Forgets everything. */
  clear(): void {
    this.known.clear();
    this.weight = 0;
  }

  /** `n`'s record, now the most recently used; undefined if none. */
  private touch(n: N): Known<N> | undefined {
    const r = this.known.get(n);
    if (r !== undefined) {
      this.known.delete(n);
      this.known.set(n, r);
    }
    return r;
  }

  private record(n: N): Known<N> {
    let r = this.known.get(n);
    if (r === undefined) {
      r = { weight: 0 };
      this.known.set(n, r);
    }
    return r;
  }

  /**
   * Adds `w` names to `r`, the most recently used record, then drops records
   * from the least recently used until the cache fits: `r` itself last, when
   * it alone is too big (a directory where millions of names were tried).
   */
  private charge(r: Known<N>, w: number): void {
    r.weight += w;
    this.weight += w;
    for (const [n, old] of this.known) {
      if (this.weight <= this.capacity) break;
      this.known.delete(n);
      this.weight -= old.weight;
    }
  }
}
