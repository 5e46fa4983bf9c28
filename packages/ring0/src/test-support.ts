// Test helpers: a frame allocator over a plain buffer or guest memory, and
// the assembled test programs. Not part of the public API.
import { USER_TEST_CODE_BASE64, USER_TEST_SYMBOLS } from '../gen/user-test.js';
import { KERNEL_PHYS_END, PAGE_SIZE } from './layout.js';
import type { FrameAllocator, PhysicalMemory } from './memory.js';

/** Hands out frames from [KERNEL_PHYS_END, size); tracks which are live so tests can check for leaks. */
export class TestFrames implements FrameAllocator {
  readonly live = new Set<number>();
  readonly #free: number[] = [];
  #next = KERNEL_PHYS_END;
  readonly #end: number;
  /** alloc() returns -1 once this many frames are live. */
  limit = Infinity;

  constructor(size: number) {
    this.#end = size;
  }

  alloc(): number {
    if (this.live.size >= this.limit) return -1;
    let f = this.#free.pop();
    if (f === undefined) {
      if (this.#next >= this.#end) return -1;
      f = this.#next;
      this.#next += PAGE_SIZE;
    }
    this.live.add(f);
    return f;
  }

  free(gpa: number): void {
    if (!this.live.delete(gpa)) throw new Error(`double free of frame 0x${gpa.toString(16)}`);
    this.#free.push(gpa);
  }
}

export function plainMemory(size: number): PhysicalMemory {
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer) };
}

export const USER_TEST_CODE = Uint8Array.from(Buffer.from(USER_TEST_CODE_BASE64, 'base64'));
export const USER_TEST = USER_TEST_SYMBOLS;
