// One owner per file descriptor: close() releases it once, and a forgotten
// object releases it when garbage collected.
import { native } from './binding.js';
import { ClosedError } from './errors.js';

const registry = new FinalizationRegistry<number>((fd) => {
  native.close(fd);
});

export class FdResource {
  #fd: number;
  readonly #what: string;

  constructor(fd: number, what: string) {
    this.#fd = fd;
    this.#what = what;
    registry.register(this, fd, this);
  }

  /** The descriptor; throws ClosedError after close(). */
  get fd(): number {
    if (this.#fd < 0) throw new ClosedError(this.#what);
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  close(): void {
    if (this.#fd < 0) return;
    registry.unregister(this);
    native.close(this.#fd);
    this.#fd = -1;
  }
}
