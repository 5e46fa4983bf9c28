// Taking rights away from a running address space on shadow paging.
//
// Measured on this machine's PVM host (see packages/platform/README.md): KVM
// notices a page-table write only when the guest makes it. After the host
// clears or narrows an entry, the guest keeps using the old translation --
// across CR3 reloads and INVLPG -- until the guest itself stores to that
// entry. So every entry whose rights shrank is stored again, with its new
// value, by a ring-0 routine of the stub (@tsv/ring0 "revoke") before ring 3
// runs again in that address space. Entries that gained rights need nothing:
// the guest faults on the old one and KVM re-walks the tables.
import {
  PHYSMAP_VA_HI, REVOKE_ENTRY_LO, REVOKE_EXIT_LO, REVOKE_LIST_CAPACITY, REVOKE_LIST_ENTRY_SIZE, revokeListGpa,
} from '@tsv/ring0';
import type { VirtualCpu } from '@tsv/vcpu';
import type { KvmAddressSpace } from './address-space.js';
import type { FrameAllocator } from './frames.js';

export class Revoker {
  readonly #mem: FrameAllocator;
  /** Entries stored by the guest so far (for stats and tests). */
  stores = 0;

  constructor(memory: FrameAllocator) {
    this.#mem = memory;
  }

  /**
   * Makes the guest store, on `vcpu`, every entry that covers the ranges
   * `as` recorded as revoked; clears the record.
   */
  revoke(vcpu: VirtualCpu, as: KvmAddressSpace): void {
    const ranges = as.revoked;
    const list = revokeListGpa(vcpu.index);
    const view = this.#mem.view;
    let n = 0;
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
        const at = list + n * REVOKE_LIST_ENTRY_SIZE;
        view.setUint32(at, entry, true);
        view.setUint32(at + 4, PHYSMAP_VA_HI, true);
        view.setUint32(at + 8, view.getUint32(entry, true), true);
        view.setUint32(at + 12, view.getUint32(entry + 4, true), true);
        if (++n === REVOKE_LIST_CAPACITY) {
          this.#flush(vcpu, list, n);
          n = 0;
        }
      }
    }
    if (n > 0) this.#flush(vcpu, list, n);
    ranges.length = 0;
  }

  #flush(vcpu: VirtualCpu, list: number, n: number): void {
    vcpu.callKernel(REVOKE_ENTRY_LO, REVOKE_EXIT_LO, list, PHYSMAP_VA_HI, n);
    this.stores += n;
  }
}
