// Taking rights away from a running address space on shadow paging.
//
// Measured on this machine's PVM host (see packages/platform/README.md): KVM
// notices a page-table write only when the guest makes it. After the host
// clears or narrows an entry, the guest keeps using the old translation --
// across CR3 reloads and INVLPG -- until the guest itself stores to that
// entry. So every entry whose rights shrank is stored again, with its new
// value, by a ring-0 routine of the stub (@tsv/ring0 "revoke") before ring 3
// runs again in that address space. Entries that gained rights need nothing:
// the guest faults on the old one and KVM re-walks the tables. A 2 MiB leaf
// split into a table of 4 KiB leaves is stored again too (PageTables.splits):
// until then KVM keeps the 2 MiB translation, whatever the new leaves say.
//
// Freed page-table frames (FrameAllocator's quarantine) need the same care:
// KVM keeps the shadow of a table after the host unlinks it, and a frame
// reused as a table at the same level would bring the old translations
// back. Storing to each entry would take ~2.7 us per entry (every store
// traps). One misaligned store does it all: an 8-byte store that straddles
// two entries makes KVM drop every shadow of that frame (its write-tracking
// treats misaligned writes to a shadowed table as "no longer a table";
// measured on this host in reuse.test.ts). The frame's contents do not
// matter: it is free and is zeroed when it is next handed out.
//
// The routine costs a guest exit (~80 us here) whatever it stores, so
// quarantined frames are forgotten in batches: at the first entry that
// finds QUARANTINE_BATCH of them waiting, along with any entries that must
// be stored anyway, or when a table allocation finds no free frame (the
// allocator's reclaim hook). Until then they stay in quarantine -- in use
// for the allocator, neither a table nor a user frame -- so a stale
// translation through one of them can lead nowhere it could not before it
// was freed. A process that forks, execs and exits frees 8-16 tables each
// time: one exit per QUARANTINE_BATCH frames instead of two per iteration.
//
// An address space no vCPU has entered yet needs none of this: KVM has
// walked none of its entries, so it caches nothing to revoke (its ranges
// are not even recorded; see KvmAddressSpace.entered).
import { PHYSMAP_VA_HI, REVOKE_ENTRY_LO, REVOKE_EXIT_LO, REVOKE_LIST_CAPACITY, REVOKE_LIST_ENTRY_SIZE, revokeListGpa } from '@tsv/ring0';
import type { VirtualCpu } from '@tsv/vcpu';
import type { KvmAddressSpace } from './address-space.js';
import type { FrameAllocator } from './frames.js';

/** Where in a frame the forgetting store goes: bytes 4..11, across entries 0 and 1. */
const STRADDLE = 4;
/** Quarantined table frames that make an entry run the routine for them alone (1 MiB of tables). */
export const QUARANTINE_BATCH = 256;

export class Revoker {
  readonly #mem: FrameAllocator;
  /** Entries stored by the guest so far (for stats and tests). */
  stores = 0;
  /** The list being built: on this vCPU's page, #n entries so far. */
  #vcpu: VirtualCpu | undefined;
  #n = 0;

  constructor(memory: FrameAllocator) {
    this.#mem = memory;
  }

  /**
   * Called before ring 3 enters `as` on `vcpu`: revokes what `as` recorded,
   * and forgets the quarantined table frames when a batch of them waits.
   */
  beforeEntry(vcpu: VirtualCpu, as: KvmAddressSpace): void {
    as.entered();
    if (as.revoked.length > 0 || as.tables.splits.length > 0 || this.#mem.quarantined >= QUARANTINE_BATCH) this.revoke(vcpu, as);
  }

  /**
   * Makes the guest store, on `vcpu`, every entry that covers the ranges
   * `as` (if given) recorded as revoked, and clears the record; then makes
   * KVM forget every quarantined table frame (however few) and frees them.
   */
  revoke(vcpu: VirtualCpu, as?: KvmAddressSpace): void {
    this.#vcpu = vcpu;
    this.#n = 0;
    if (as !== undefined) this.#entries(as);
    // After the entries: a quarantined frame may be the table some of them were in.
    const frames = this.#mem.takeQuarantined();
    for (const f of frames) this.#add(f + STRADDLE, 0, 0);
    this.#flush();
    this.#mem.release(frames);
  }

  #entries(as: KvmAddressSpace): void {
    const view = this.#mem.view;
    // Split 2 MiB leaves first: the directory entry now points to a table,
    // which KVM only learns from a guest store (see PageTables.splits). Its
    // current value is stored, whatever the frame holds by now.
    const splits = as.tables.splits;
    for (const entry of splits) this.#add(entry, view.getUint32(entry, true), view.getUint32(entry + 4, true));
    splits.length = 0;
    const ranges = as.revoked;
    let last = -1;
    for (let r = 0; r < ranges.length; r += 2) {
      let va = ranges[r]!;
      const end = ranges[r + 1]!;
      while (va < end) {
        const entry = as.tables.deepestEntry(va);
        const span = as.tables.lastSpan;
        va = va - (va % span) + span;
        if (entry === last) continue;
        last = entry;
        this.#add(entry, view.getUint32(entry, true), view.getUint32(entry + 4, true));
      }
    }
    ranges.length = 0;
  }

  /** Appends "store value at physmap + entryLo" to the list; runs the list when it is full. */
  #add(entryLo: number, valueLo: number, valueHi: number): void {
    const view = this.#mem.view;
    const at = revokeListGpa(this.#vcpu!.index) + this.#n * REVOKE_LIST_ENTRY_SIZE;
    view.setUint32(at, entryLo, true);
    view.setUint32(at + 4, PHYSMAP_VA_HI, true);
    view.setUint32(at + 8, valueLo, true);
    view.setUint32(at + 12, valueHi, true);
    if (++this.#n === REVOKE_LIST_CAPACITY) this.#flush();
  }

  /** Runs the stub's revoke routine over the list built so far. */
  #flush(): void {
    const n = this.#n;
    if (n === 0) return;
    this.#vcpu!.callKernel(REVOKE_ENTRY_LO, REVOKE_EXIT_LO, revokeListGpa(this.#vcpu!.index), PHYSMAP_VA_HI, n);
    this.stores += n;
    this.#n = 0;
  }
}
