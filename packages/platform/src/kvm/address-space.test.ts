// KvmAddressSpace without a VM: page tables over a plain buffer. Only
// user-region frames are ever mapped, and what the tables hold is checked
// before it is believed.
import { KERNEL_PHYS_END, writeKernelImage } from '@tsv/ring0';
import { describe, expect, it } from 'vitest';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../platform.js';
import { KvmAddressSpace } from './address-space.js';
import { FrameAllocator } from './frames.js';

const PAGE = 4096;
const MEM = 16 << 20;

function setup() {
  const buf = new ArrayBuffer(MEM);
  const frames = new FrameAllocator(new Uint8Array(buf), new DataView(buf), KERNEL_PHYS_END, 2 << 20);
  const image = writeKernelImage(frames, 1);
  return { frames, as: new KvmAddressSpace(frames, image.sharedEntries) };
}

describe('KvmAddressSpace', () => {
  it('maps user frames only: never a page table, the kernel image or memory past the end', () => {
    const { frames, as } = setup();
    const user = frames.allocate(2);
    as.map(0x40_0000, 2 * PAGE, user, PROT_READ | PROT_WRITE);
    const table = frames.allocateTable();
    for (const bad of [table, 0x5000, MEM - PAGE, MEM]) {
      expect(() => as.map(0x50_0000, PAGE, bad, PROT_READ)).toThrow(/not user memory/);
    }
    expect(() => as.map(0x50_0000, 2 * PAGE, frames.userCapacity + KERNEL_PHYS_END - PAGE, PROT_READ)).toThrow(/not user memory/);
    expect(as.translate(0x40_1234, PROT_WRITE)).toBe(user + 0x1234);
  });

  it('lists its mappings as the hardware sees them, and a corrupt entry as address -1', () => {
    const { frames, as } = setup();
    const user = frames.allocate(3);
    as.map(0x40_0000, 2 * PAGE, user, PROT_READ | PROT_EXEC);
    as.map(0x7fff_0000_0000, PAGE, user + 2 * PAGE, PROT_READ | PROT_WRITE);
    const seen: number[][] = [];
    const list = () => {
      seen.length = 0;
      as.forEachMapping((va, len, address, prot) => seen.push([va, len, address, prot]));
      return seen;
    };
    expect(list()).toEqual([
      [0x40_0000, PAGE, user, PROT_READ | PROT_EXEC],
      [0x40_1000, PAGE, user + PAGE, PROT_READ | PROT_EXEC],
      [0x7fff_0000_0000, PAGE, user + 2 * PAGE, PROT_READ | PROT_WRITE],
    ]);
    // The leaf of 0x40_1000 now points at a page table: not mapped for the Sentry, reported as corrupt.
    const entry = as.tables.deepestEntry(0x40_1000);
    frames.view.setUint32(entry, (as.root | 0x67) >>> 0, true);
    expect(as.translate(0x40_1000, PROT_READ)).toBe(-1);
    expect(list()[1]).toEqual([0x40_1000, PAGE, -1, PROT_READ | PROT_WRITE | PROT_EXEC]);
  });
});
