// The AF_UNIX names of one sandbox: abstract names, and the socket bound
// to each socket inode (keyed by the inode's device and number, so a path
// renamed or reached through another name finds the same socket, and one
// unlinked finds nothing). Autobind picks abstract names "\0XXXXX" from
// five hex digits, as Linux does. It also keeps the sandbox's open AF_UNIX
// sockets, which /proc/net/unix lists.
import { E } from '../../errno.js';
import type { Stat } from '../../vfs/index.js';

const AUTOBIND_NAMES = 0x100000;

export class UnixNames<S> {
  readonly #abstract = new Map<string, S>();
  readonly #inodes = new Map<string, S>();
  #order = 0;
  /** Every AF_UNIX socket of the sandbox from its creation to its last close, oldest first. */
  readonly sockets = new Set<S>();

  static key(st: Stat): string {
    return `${st.dev}:${st.ino}`;
  }

  bindAbstract(name: string, s: S): number {
    if (this.#abstract.has(name)) return -E.EADDRINUSE;
    this.#abstract.set(name, s);
    return 0;
  }

  /** A free autobind name ("\0" and five hex digits), or -ENOSPC when all are taken. */
  autobindName(): string | number {
    for (let i = 0; i < AUTOBIND_NAMES; i++) {
      const name = `\0${(this.#order++ % AUTOBIND_NAMES).toString(16).padStart(5, '0')}`;
      if (!this.#abstract.has(name)) return name;
    }
    return -E.ENOSPC;
  }

  bindInode(key: string, s: S): void {
    this.#inodes.set(key, s);
  }

  findAbstract(name: string): S | undefined {
    return this.#abstract.get(name);
  }

  findInode(key: string): S | undefined {
    return this.#inodes.get(key);
  }

  /** Forgets `s`'s name (at its close). */
  unbind(s: S, name: { abstract: string } | { inode: string }): void {
    const m = 'abstract' in name ? this.#abstract : this.#inodes;
    const k = 'abstract' in name ? name.abstract : name.inode;
    if (m.get(k) === s) m.delete(k);
  }
}

const perKernel = new WeakMap<object, UnixNames<unknown>>();

/** The names of the sandbox whose kernel is `kernel`. */
export function namesOf<S>(kernel: object): UnixNames<S> {
  let n = perKernel.get(kernel);
  if (n === undefined) perKernel.set(kernel, (n = new UnixNames<unknown>()));
  return n as UnixNames<S>;
}
