import type { Filesystem, VNode } from './node.js';
import { toBytes } from './path.js';

/** A filesystem attached at a canonical guest path. */
export interface Mount {
  readonly path: string;
  readonly fs: Filesystem;
  readonly readOnly: boolean;
}

/**
 * A resolved name: the node, the mount it lives in, its canonical guest path
 * (binary string, no symlinks, no "." or "..") and the location it was reached
 * from. `..` goes to `parent`, so resolution can never climb above the root
 * location, whose parent is null. This is what a cwd or a dirfd holds.
 */
export class Location {
  constructor(
    readonly mount: Mount,
    readonly node: VNode,
    readonly path: string,
    readonly parent: Location | null,
  ) {}

  /** The canonical path as bytes (getcwd, /proc/self/fd links). */
  pathBytes(): Uint8Array {
    return toBytes(this.path);
  }
}
