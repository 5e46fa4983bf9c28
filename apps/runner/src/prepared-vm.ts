// A VM made before a sandbox asks for it, so that a warm start pays for
// neither the VM, its guest memory and memslot, the ring-0 image, the vCPU
// nor the CPU probe: a pool's worker prepares one while it is idle, of the
// shape its last sandbox had, and the next sandbox of that shape takes it.
//
// A prepared VM is fresh: no guest has run in it (only tsv's own CPU probe),
// so nothing a previous program wrote can reach the next one. A used VM is
// never reused; it is closed, after its result is on its way.
import { KvmPlatform, type KvmPlatformOptions } from '@tsv/platform/kvm';
import { Frames } from '@tsv/sentry';

/** The VM geometry a sandbox needs (its memory limit decides it). */
export type VmShape = Required<Pick<KvmPlatformOptions, 'memoryBytes' | 'tableBytes'>> & Pick<KvmPlatformOptions, 'device'>;

const sameShape = (a: VmShape, b: VmShape): boolean =>
  a.memoryBytes === b.memoryBytes && a.tableBytes === b.tableBytes && a.device === b.device;

/** A platform whose first context (vCPU) is made in advance and handed to the first newContext(). */
class ReadyPlatform extends KvmPlatform {
  #spare: ReturnType<KvmPlatform['newContext']> | undefined;

  constructor(shape: VmShape) {
    super(shape);
    try {
      this.#spare = super.newContext();
      this.guestCpu(); // probed on the spare vCPU, and kept
      Frames.of(this.memory); // the Sentry's frame table of this memory (one per memory)
    } catch (e) {
      this.close();
      throw e;
    }
  }

  override newContext(): ReturnType<KvmPlatform['newContext']> {
    const spare = this.#spare;
    this.#spare = undefined;
    return spare ?? super.newContext();
  }
}

/** One worker's prepared VM. */
export class PreparedVms {
  #ready: { shape: VmShape; platform: KvmPlatform } | undefined;
  #last: VmShape;

  /** `first`: the shape to prepare before any sandbox was taken. */
  constructor(first: VmShape) {
    this.#last = first;
  }

  /** A VM of `shape`: the prepared one when it fits, else a new one. */
  take(shape: VmShape): KvmPlatform {
    this.#last = shape;
    const ready = this.#ready;
    if (ready !== undefined && sameShape(ready.shape, shape)) {
      this.#ready = undefined;
      return ready.platform;
    }
    return new KvmPlatform(shape);
  }

  /** Prepares a VM of the last shape taken, unless one is ready. A failure is left for the next take() to meet. */
  refill(): void {
    const shape = this.#last;
    if (this.#ready !== undefined) {
      if (sameShape(this.#ready.shape, shape)) return;
      this.#ready.platform.close();
      this.#ready = undefined;
    }
    try {
      this.#ready = { shape, platform: new ReadyPlatform(shape) };
    } catch {
      // KVM refused (out of memory, too many VMs): a sandbox will make its own and report why.
    }
  }
}
