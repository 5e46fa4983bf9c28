// A software platform for memory-manager tests: PhysicalMemory over an
// ArrayBuffer with a first-fit frame allocator, and an AddressSpace that
// records page -> {frame, prot} and counts what it was asked to do. It
// checks its arguments as strictly as the KVM one (RangeError on a Sentry bug).
import {
  type AddressSpace,
  FRAME_FREE,
  FRAME_INVALID,
  FRAME_KERNEL,
  FRAME_USER,
  type FrameKind,
  type PhysicalMemory,
  PROT_EXEC,
  PROT_NONE,
  PROT_WRITE,
} from '@tsv/platform';

const PAGE = 4096;
const HUGE = 2 << 20;

export class FakePhysicalMemory implements PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly capacity: number;
  readonly #usedFrames: Uint8Array;
  #used = 0;
  /** allocate() calls that succeeded: on KVM each asks the host to back its run of fresh frames (one call a run). */
  allocations = 0;

  constructor(bytes: number) {
    this.bytes = new Uint8Array(bytes);
    this.view = new DataView(this.bytes.buffer);
    this.capacity = bytes;
    this.#usedFrames = new Uint8Array(bytes / PAGE);
    this.#usedFrames[0] = 1; // frame 0 stays out of reach, as a kernel image would
    this.#used = PAGE;
  }

  get used(): number {
    return this.#used;
  }

  allocate(pages: number, align = PAGE): number {
    const step = align / PAGE;
    const st = this.#usedFrames;
    for (let f = 0; f + pages <= st.length; f += step) {
      let busy = -1;
      for (let i = f + pages - 1; i >= f; i--)
        if (st[i] !== 0) {
          busy = i;
          break;
        }
      if (busy < 0) {
        st.fill(1, f, f + pages);
        this.bytes.fill(0, f * PAGE, (f + pages) * PAGE);
        this.#used += pages * PAGE;
        this.allocations++;
        return f * PAGE;
      }
      f = Math.floor(busy / step) * step;
    }
    return -1;
  }

  free(address: number, pages: number): void {
    const f = address / PAGE;
    for (let i = f; i < f + pages; i++) {
      if (this.#usedFrames[i] !== 1) throw new Error(`free: frame 0x${(i * PAGE).toString(16)} is not allocated`);
      this.#usedFrames[i] = 0;
    }
    this.#used -= pages * PAGE;
  }

  frameKind(address: number): FrameKind {
    const f = address / PAGE;
    if (!Number.isInteger(f) || f < 0 || f >= this.#usedFrames.length) return FRAME_INVALID;
    if (f === 0) return FRAME_KERNEL;
    return this.#usedFrames[f] === 1 ? FRAME_USER : FRAME_FREE;
  }
}

export interface FakePte {
  frame: number;
  prot: number;
}

export class FakeAddressSpace implements AddressSpace {
  /** Virtual page number -> mapping. */
  readonly ptes = new Map<number, FakePte>();
  /** Calls to map() and the pages they covered; map() calls that were 2 MiB aligned. */
  mapCalls = 0;
  pagesMapped = 0;
  hugeMaps = 0;
  readonly #min: number;
  readonly #max: number;

  constructor(min = 0x1000, max = 0x7fff_ffff_f000) {
    this.#min = min;
    this.#max = max;
  }

  map(va: number, length: number, address: number, prot: number): void {
    this.#check(va, length);
    if (address % PAGE !== 0) throw new RangeError('map: unaligned frame');
    if (prot === PROT_NONE) {
      this.unmap(va, length);
      return;
    }
    this.mapCalls++;
    this.pagesMapped += length / PAGE;
    if (va % HUGE === 0 && address % HUGE === 0 && length % HUGE === 0) this.hugeMaps++;
    for (let o = 0; o < length; o += PAGE) this.ptes.set((va + o) / PAGE, { frame: address + o, prot });
  }

  unmap(va: number, length: number): void {
    this.#check(va, length);
    for (let o = 0; o < length; o += PAGE) this.ptes.delete((va + o) / PAGE);
  }

  protect(va: number, length: number, prot: number): void {
    this.#check(va, length);
    if (prot === PROT_NONE) {
      this.unmap(va, length);
      return;
    }
    for (let o = 0; o < length; o += PAGE) {
      const p = this.ptes.get((va + o) / PAGE);
      if (p !== undefined) p.prot = prot;
    }
  }

  translate(va: number, prot: number): number {
    const p = this.ptes.get(Math.floor(va / PAGE));
    if (p === undefined) return -1;
    if ((prot & PROT_WRITE) !== 0 && (p.prot & PROT_WRITE) === 0) return -1;
    if ((prot & PROT_EXEC) !== 0 && (p.prot & PROT_EXEC) === 0) return -1;
    return p.frame + (va % PAGE);
  }

  forEachMapping(fn: (va: number, length: number, address: number, prot: number) => void): void {
    for (const vpn of [...this.ptes.keys()].sort((a, b) => a - b)) {
      const p = this.ptes.get(vpn)!;
      fn(vpn * PAGE, PAGE, p.frame, p.prot);
    }
  }

  release(): void {
    this.ptes.clear();
  }

  #check(va: number, length: number): void {
    if (
      !Number.isInteger(va) ||
      !Number.isInteger(length) ||
      va % PAGE !== 0 ||
      length % PAGE !== 0 ||
      length <= 0 ||
      va < this.#min ||
      va + length > this.#max
    ) {
      throw new RangeError(`fake address space: [0x${va.toString(16)}, +0x${length.toString(16)}) is not a page-aligned user range`);
    }
  }
}
