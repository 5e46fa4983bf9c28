// Guest memory handed from a closed KVM platform to the next one, so that a
// service running sandbox after sandbox neither maps a new region per VM nor
// pays the host again for backing frames it backed before.
//
// Why not a new region each time: every region is a fresh external
// ArrayBuffer of hundreds of MiB, and V8 answers each with a full
// mark-compact ("external memory pressure"), whose incremental steps run on
// the thread that is booting the next guest. Reusing the very same buffer
// allocates nothing V8 counts.
//
// What keeps one guest's bytes from the next: the memory is only ever in one
// platform at a time (take() once); the retiring platform's VM and vCPUs are
// closed first (the vCPUs and contexts, which keep the memory's own views,
// never run again); its allocator reports how far it ever handed out frames
// and then empties its own views, so a stale reference of the old Sentry
// (which reads memory through the allocator) reads and writes nothing; the
// next allocator zeroes each of those frames before it hands it out,
// whatever its own layout (FrameAllocator, `dirty`), and the kernel image
// below the frames is rewritten from zero. Frames never handed out were
// never mapped to a guest and are still zero.
import type { GuestMemory } from '@tsv/kvm-sys';
import type { DirtyFrames } from './frames.js';

/**
 * Above this many dirty bytes, a retiring memory is discarded back to zero
 * instead of kept backed: a prepared VM waiting on it holds at most this
 * much host memory (a static program needs a few MiB, python3 about 30).
 */
export const KEEP_BACKED_BYTES = 32 << 20;

export class SpareMemory {
  #memory: GuestMemory | undefined;
  readonly #dirty: DirtyFrames | undefined;
  readonly size: number;

  /** @internal KvmPlatform.retire() makes these, from its allocator's retire(). */
  constructor(memory: GuestMemory, dirty: DirtyFrames) {
    this.size = memory.size;
    this.#memory = memory;
    if (dirty.bytes > KEEP_BACKED_BYTES) {
      memory.discard(0, memory.size); // every byte reads as zero again; the host gets the pages back
      this.#dirty = undefined;
    } else {
      this.#dirty = dirty;
    }
  }

  /** Whether a platform has taken it (or it was closed). */
  get taken(): boolean {
    return this.#memory === undefined;
  }

  /** @internal The memory and its dirty frames, for one new platform; throws when taken before. */
  take(): { memory: GuestMemory; dirty: DirtyFrames | undefined } {
    const memory = this.#memory;
    if (memory === undefined || memory.closed) throw new Error('spare guest memory was already taken or closed');
    this.#memory = undefined;
    return { memory, dirty: this.#dirty };
  }

  /** Gives the memory back to the host (when no platform will take it). */
  close(): void {
    this.#memory?.close();
    this.#memory = undefined;
  }
}
