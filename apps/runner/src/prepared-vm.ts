// A VM made before a sandbox asks for it, so that a warm start pays for
// neither the VM, its memslot, the ring-0 image, the vCPU nor the CPU probe:
// a pool's worker prepares one while it is idle, of the shape its last
// sandbox had, and the next sandbox of that shape takes it.
//
// A prepared VM is fresh: no guest has run in it (only tsv's own CPU probe).
// A used VM is never reused: it is closed once its program has ended. Its
// guest memory is kept for the next prepared VM of that size (SpareMemory,
// @tsv/platform/kvm: what V8 would otherwise answer with a full garbage
// collection per sandbox), and every frame the last guest could have written
// is zeroed before the next one is given it; see spare-memory.ts there.
import { KvmPlatform, type KvmPlatformOptions, type SpareMemory } from '@tsv/platform/kvm';
import { Frames } from '@tsv/sentry';
import type { VmSource } from './sandbox-engine.js';

/** The VM geometry a sandbox needs (its memory limit decides it). */
export type VmShape = Required<Pick<KvmPlatformOptions, 'memoryBytes' | 'tableBytes'>> & Pick<KvmPlatformOptions, 'device'>;

const sameShape = (a: VmShape, b: VmShape): boolean =>
  a.memoryBytes === b.memoryBytes && a.tableBytes === b.tableBytes && a.device === b.device;

/** A platform whose first context (vCPU) is made in advance and handed to the first newContext(). */
class ReadyPlatform extends KvmPlatform {
  #spare: ReturnType<KvmPlatform['newContext']> | undefined;

  constructor(options: KvmPlatformOptions) {
    super(options);
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

/**
 * Guest memories kept for the next VMs, between a sandbox's end and the
 * preparing that follows it: as many as a worker may prepare then (the next
 * VM, and the one a prepared boot takes). settle() closes what is left.
 */
const SPARES = 2;

/** One worker's prepared VM, and the memory of its last used ones. */
export class PreparedVms implements VmSource {
  #ready: { shape: VmShape; platform: KvmPlatform } | undefined;
  readonly #spares: SpareMemory[] = [];
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

  /** Closes a used VM; keeps its memory when it fits the next VM to prepare and fewer than SPARES are kept. */
  done(platform: KvmPlatform): void {
    const memory = platform.retire();
    if (memory === undefined) return;
    if (this.#spares.length < SPARES && memory.size === this.#last.memoryBytes) this.#spares.push(memory);
    else memory.close();
  }

  /** Closes the kept memories no VM was prepared from: an idle worker holds no memory of a guest that ended. */
  settle(): void {
    for (const m of this.#spares.splice(0)) m.close();
  }

  /** Prepares a VM of the last shape taken, unless one is ready. A failure is left for the next take() to meet. */
  refill(): void {
    const shape = this.#last;
    if (this.#ready !== undefined) {
      if (sameShape(this.#ready.shape, shape)) return;
      this.#ready.platform.close();
      this.#ready = undefined;
    }
    // One that does not fit is left for settle() to close.
    const i = this.#spares.findIndex((m) => m.size === shape.memoryBytes);
    const spare = i < 0 ? undefined : this.#spares.splice(i, 1)[0];
    try {
      this.#ready = { shape, platform: new ReadyPlatform({ ...shape, spare }) };
    } catch {
      // KVM refused (out of memory, too many VMs): a sandbox will make its own and report why.
    }
  }
}
