// Shared set-up for the memory-manager tests: a MemoryManager on the fake platform.
import { ACCESS_READ, ACCESS_WRITE, PROT_READ, PROT_WRITE } from '@tsv/platform';
import { FakeAddressSpace, FakePhysicalMemory } from './fake.js';
import { MemoryManager, type MemoryManagerOptions } from './mm.js';
import { FAULT_OK } from './pager.js';
import type { MappedFile } from './vma.js';

export interface TestMm {
  mm: MemoryManager;
  as: FakeAddressSpace;
  mem: FakePhysicalMemory;
}

/** A MemoryManager on fresh fake memory that checks every invariant after each operation (checkMemory) unless told not to. */
export function newMm(options: Partial<MemoryManagerOptions> = {}, physBytes = 64 << 20): TestMm {
  const mem = new FakePhysicalMemory(physBytes);
  const as = new FakeAddressSpace();
  const mm = new MemoryManager({ memory: mem, addressSpace: as, checkMemory: true, ...options });
  return { mm, as, mem };
}

let nextIno = 1000;

/** A read-only in-memory file (a new inode number each unless given: files with one number share shared mappings' frames). */
export function memFile(data: Uint8Array, name = '/lib/test.so', ino = nextIno++): MappedFile & { reads: number } {
  return {
    name,
    dev: 0x801,
    ino,
    reads: 0,
    pread(buf: Uint8Array, len: number, offset: number): number {
      this.reads++;
      if (offset >= data.length) return 0;
      const n = Math.min(len, data.length - offset);
      buf.set(data.subarray(offset, offset + n));
      return n;
    },
  };
}

/** Bytes 0..n-1 with a recognisable pattern. */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 12)) & 0xff;
  return b;
}

/** The contents of an in-memory file that open descriptions (rwOpen) read and write. */
export class TestInode {
  data: Uint8Array;
  readonly ino = nextIno++;
  writes = 0;
  syncs = 0;

  constructor(data: Uint8Array) {
    this.data = data.slice();
  }

  /** Makes the file `size` bytes long (zeros when it grows). */
  resize(size: number): void {
    const d = new Uint8Array(size);
    d.set(this.data.subarray(0, Math.min(size, this.data.length)));
    this.data = d;
  }
}

/** An open description of `inode` as the syscall layer wraps one: writable unless `writable` is false; counts holds. */
export function rwOpen(inode: TestInode, writable = true): MappedFile & { holds: number } {
  return {
    name: '/data/file',
    dev: 0x802,
    ino: inode.ino,
    writable,
    holds: 0,
    pread(buf: Uint8Array, len: number, offset: number): number {
      if (offset >= inode.data.length) return 0;
      const n = Math.min(len, inode.data.length - offset);
      buf.set(inode.data.subarray(offset, offset + n));
      return n;
    },
    pwrite(buf: Uint8Array, len: number, offset: number): number {
      if (!writable) return -9; // EBADF
      inode.writes++;
      if (offset + len > inode.data.length) inode.resize(offset + len);
      inode.data.set(buf.subarray(0, len), offset);
      return len;
    },
    size: () => inode.data.length,
    sync() {
      inode.syncs++;
      return 0;
    },
    hold() {
      this.holds++;
    },
    release() {
      this.holds--;
    },
  };
}

/** A guest CPU's view of `mm`: an access faults when the entry is missing or too narrow, as the hardware would; `faults` counts exits. */
export function guest(mm: MemoryManager, as: FakeAddressSpace, mem: FakePhysicalMemory) {
  let faults = 0;
  const pa = (va: number, write: boolean): number => {
    let p = as.translate(va, write ? PROT_WRITE : PROT_READ);
    if (p < 0) {
      faults++;
      const r = mm.handleFault(va, write ? ACCESS_WRITE : ACCESS_READ);
      if (r !== FAULT_OK) return r;
      p = as.translate(va, write ? PROT_WRITE : PROT_READ);
      if (p < 0) throw new Error(`0x${va.toString(16)}: the fault was resolved but the page is still not accessible`);
    }
    return p;
  };
  return {
    get faults() {
      return faults;
    },
    /** Stores `s` at `va` (within one page); 0 or the fault's error. */
    store(va: number, s: string): number {
      const p = pa(va, true);
      if (p < 0) return p;
      mem.bytes.set(new TextEncoder().encode(s), p);
      return 0;
    },
    load(va: number, n: number): string | number {
      const p = pa(va, false);
      return p < 0 ? p : Buffer.from(mem.bytes.subarray(p, p + n)).toString('latin1');
    },
  };
}
