// Shared set-up for the memory-manager tests: a MemoryManager on the fake platform.
import { FakeAddressSpace, FakePhysicalMemory } from './fake.js';
import { MemoryManager, type MemoryManagerOptions } from './mm.js';
import type { MappedFile } from './vma.js';

export interface TestMm {
  mm: MemoryManager;
  as: FakeAddressSpace;
  mem: FakePhysicalMemory;
}

export function newMm(options: Partial<MemoryManagerOptions> = {}, physBytes = 64 << 20): TestMm {
  const mem = new FakePhysicalMemory(physBytes);
  const as = new FakeAddressSpace();
  const mm = new MemoryManager({ memory: mem, addressSpace: as, ...options });
  return { mm, as, mem };
}

/** A read-only in-memory file. */
export function memFile(data: Uint8Array, name = '/lib/test.so'): MappedFile & { reads: number } {
  return {
    name, dev: 0x801, ino: 42, reads: 0,
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
