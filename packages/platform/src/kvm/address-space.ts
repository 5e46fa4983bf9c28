// An AddressSpace on KVM: one set of x86-64 page tables (@tsv/ring0
// PageTables) in guest memory, rooted at its own PML4 that shares the
// kernel half.
//
// Adding or widening a mapping takes effect by itself: the guest faults on
// the old (absent or narrower) entry and KVM re-walks the tables. Taking a
// right away (unmap, protect to less, another frame) does not: on shadow
// paging (PVM) KVM only notices page-table writes the guest makes itself.
// Such ranges are queued and the Context rewrites their entries from inside
// the guest before ring 3 runs again in this address space (see revoke.ts).
//
// Only frames of the allocator's user region are ever mapped (map() refuses
// others), and lookups treat an entry pointing elsewhere as not mapped: the
// tables themselves live in a region no user mapping can reach.
import { PageTables, PTE_NX, PTE_PS, PTE_RW, PTE_US, type SharedEntry, Translation, USER_MAX, USER_MIN } from '@tsv/ring0';
import { type AddressSpace, OutOfMemoryError, PAGE_SIZE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../platform.js';
import type { FrameAllocator } from './frames.js';

const HUGE = 2 << 20;

/** PTE flags for mmap protections (x86: write implies read; no read-only-exec distinction). */
export function pteFlags(prot: number): number {
  let f = PTE_US;
  if ((prot & PROT_WRITE) !== 0) f |= PTE_RW;
  if ((prot & PROT_EXEC) === 0) f = (f | PTE_NX) >>> 0;
  return f;
}

export class KvmAddressSpace implements AddressSpace {
  readonly tables: PageTables;
  /** [start, end) ranges whose old entries the guest may still have cached. */
  readonly revoked: number[] = [];
  readonly #frames: FrameAllocator;
  readonly #t = new Translation();
  readonly #sink = (start: number, end: number): void => {
    if (!this.#entered) return;
    const r = this.revoked;
    if (r.length > 0 && r[r.length - 1] === start) r[r.length - 1] = end;
    else r.push(start, end);
  };
  #released = false;
  /** Whether a vCPU has run ring 3 on these tables: until then KVM has cached none of their entries. */
  #entered = false;

  constructor(frames: FrameAllocator, shared: readonly SharedEntry[]) {
    this.#frames = frames;
    const tableFrames = {
      alloc: () => frames.allocateTable(),
      free: (gpa: number) => frames.freeTable(gpa),
      isTable: (gpa: number) => frames.isTableFrame(gpa),
    };
    this.tables = new PageTables(frames, tableFrames, shared);
  }

  /**
   * Ring 3 is about to run on these tables (the Revoker calls this before
   * every entry). Until the first time, nothing they lost needs revoking:
   * KVM, like a TLB, caches only entries it has walked, and it walks none
   * of a root never loaded (a table frame comes out of quarantine with no
   * shadow: see revoke.ts). So until then no range is recorded, and the
   * split 2 MiB leaves are dropped here.
   */
  entered(): void {
    if (this.#entered) return;
    this.#entered = true;
    this.tables.splits.length = 0;
  }

  /** The CR3 value. */
  get root(): number {
    return this.tables.root;
  }

  map(va: number, length: number, address: number, prot: number): void {
    this.#check(va, length);
    if (prot === PROT_NONE) {
      this.unmap(va, length);
      return;
    }
    if (!this.#frames.isUserRange(address, length)) {
      throw new RangeError(`map: frames [0x${address.toString(16)}, +0x${length.toString(16)}) are not user memory`);
    }
    const flags = pteFlags(prot);
    // 2 MiB leaves where virtual and physical addresses line up.
    const huge = va % HUGE === 0 && address % HUGE === 0 && length % HUGE === 0;
    const r = this.tables.map(va, length, address, huge ? flags | PTE_PS : flags, this.#sink);
    if (r < 0) throw new OutOfMemoryError(`map: out of page-table frames (${this.#frames.used} bytes in use)`);
  }

  unmap(va: number, length: number): void {
    this.#check(va, length);
    this.tables.unmap(va, length, this.#sink);
  }

  protect(va: number, length: number, prot: number): void {
    this.#check(va, length);
    if (prot === PROT_NONE) {
      this.unmap(va, length);
      return;
    }
    const r = this.tables.protect(va, length, pteFlags(prot), this.#sink);
    if (r < 0) throw new OutOfMemoryError(`protect: out of page-table frames (${this.#frames.used} bytes in use)`);
  }

  translate(va: number, prot: number): number {
    const t = this.#t;
    if (!this.tables.lookup(va, t)) return -1;
    if ((t.flags & PTE_US) === 0) return -1;
    if ((prot & PROT_WRITE) !== 0 && (t.flags & PTE_RW) === 0) return -1;
    if ((prot & PROT_EXEC) !== 0 && (t.flags & PTE_NX) !== 0) return -1;
    if (!this.#frames.isUserRange(t.gpa - (t.gpa % PAGE_SIZE), PAGE_SIZE)) return -1; // a corrupt entry
    return t.gpa; // every present user page is readable
  }

  forEachMapping(fn: (va: number, length: number, address: number, prot: number) => void): void {
    this.tables.forEachLeaf((va, size, gpa, flags) => {
      const ok = gpa >= 0 && (flags & PTE_US) !== 0 && this.#frames.isUserRange(gpa, size);
      const prot = PROT_READ | ((flags & PTE_RW) !== 0 ? PROT_WRITE : 0) | ((flags & PTE_NX) === 0 ? PROT_EXEC : 0);
      fn(va, size, ok ? gpa : -1, prot);
    });
  }

  /**
   * Frees the page tables. Nothing needs revoking first: the root is never
   * loaded again, and its table frames wait in quarantine until KVM has
   * forgotten them (see FrameAllocator, revoke.ts), so KVM's cached shadows
   * of them are unreachable.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.tables.release();
  }

  #check(va: number, length: number): void {
    if (
      !Number.isInteger(va) ||
      !Number.isInteger(length) ||
      va % PAGE_SIZE !== 0 ||
      length % PAGE_SIZE !== 0 ||
      length <= 0 ||
      va < USER_MIN ||
      va + length > USER_MAX
    ) {
      throw new RangeError(`address space: [0x${va.toString(16)}, +0x${length.toString(16)}) is not a page-aligned user range`);
    }
  }
}
