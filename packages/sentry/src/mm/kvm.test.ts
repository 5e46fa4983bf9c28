// The memory manager behind a real KVM guest: a ring-3 loop touches pages of
// an mmap'd region, every exit is a page fault the manager resolves, and the
// exits counted show what fault-around and 2 MiB pages save.
import { Reg, Registers, Stop } from '@tsv/platform';
import { announceKvmSkip } from '@tsv/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE } from './constants.js';
import { MemoryManager } from './mm.js';
import type { MmTunables } from './pager.js';
import { memFile } from './test-helpers.js';
import { U64 } from './usercopy.js';

const CODE = 0x40_0000;
const DATA = 0x1000_0000;
const PAGES = 300;
// mov $DATA, %rdi; mov $PAGES, %rcx
// 1: mov %rdi, (%rdi); add $0x1000, %rdi; dec %rcx; jnz 1b
// mov $60, %eax; syscall
const PROGRAM = new Uint8Array([
  0x48,
  0xc7,
  0xc7,
  0x00,
  0x00,
  0x00,
  0x10,
  0x48,
  0xc7,
  0xc1,
  PAGES & 0xff,
  PAGES >> 8,
  0x00,
  0x00,
  0x48,
  0x89,
  0x3f,
  0x48,
  0x81,
  0xc7,
  0x00,
  0x10,
  0x00,
  0x00,
  0x48,
  0xff,
  0xc9,
  0x75,
  0xf1,
  0xb8,
  0x3c,
  0x00,
  0x00,
  0x00,
  0x0f,
  0x05,
]);

let close: (() => void) | undefined;
afterEach(() => {
  close?.();
  close = undefined;
});

async function touchPages(tunables: Partial<MmTunables>): Promise<{ faultExits: number; mm: MemoryManager }> {
  const { KvmPlatform } = await import('@tsv/platform/kvm');
  const platform = new KvmPlatform({ memoryBytes: 64 << 20 });
  close = () => platform.close();
  const mm = MemoryManager.forPlatform(platform, { tunables, checkMemory: true });
  expect(mm.mmap(CODE, PROGRAM.length, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, memFile(PROGRAM, '/test'), 0)).toBe(CODE);
  expect(mm.mmap(DATA, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)).toBe(DATA);
  const ctx = platform.newContext();
  const regs = new Registers();
  regs.set(Reg.rip, CODE);
  regs.set(Reg.eflags, 0x202);
  const fpu = ctx.newFpuState();
  let faultExits = 0;
  for (;;) {
    const stop = ctx.switch(mm.addressSpace, regs, fpu);
    if (stop === Stop.Syscall) break;
    expect(stop).toBe(Stop.Fault);
    faultExits++;
    expect(faultExits).toBeLessThan(1000);
    expect(mm.handleFault(ctx.fault.address, ctx.fault.access)).toBe(0);
  }
  expect(regs.get(Reg.rax)).toBe(60);
  const v = new U64();
  for (let i = 0; i < PAGES; i++) {
    expect(mm.readU64(DATA + i * 0x1000, v)).toBe(0);
    expect(v.value).toBe(DATA + i * 0x1000);
  }
  return { faultExits, mm };
}

describe.skipIf(announceKvmSkip())('on KVM', () => {
  it('fault-around maps 16 pages per exit', async () => {
    const { faultExits, mm } = await touchPages({ hugePages: false, streamBytes: 0 });
    expect(faultExits).toBe(Math.ceil(PAGES / 16)); // the code was mapped by mmap
    expect(mm.stats.hugePages).toBe(0);
  });

  it('pages touched in order take a window that grows with the resident run below it', async () => {
    const { faultExits, mm } = await touchPages({ hugePages: false });
    // Windows of 16, 16, 32, 64, 128 and 256 pages: 512 >= PAGES after 6 exits.
    expect(faultExits).toBe(6);
    expect(mm.stats.hugePages).toBe(0);
  });

  it('a corrupt page-table entry is not mapped for copy-in, is reported by the check, and a fault repairs it', async () => {
    const { KvmPlatform } = await import('@tsv/platform/kvm');
    const platform = new KvmPlatform({ memoryBytes: 64 << 20 });
    close = () => platform.close();
    const mm = MemoryManager.forPlatform(platform);
    expect(mm.mmap(DATA, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)).toBe(DATA);
    expect(mm.writeU32(DATA, 0x1234_5678)).toBe(0);
    // The leaf now points at the address space's own root table, as a refcount bug could once make it.
    const as = mm.addressSpace as import('@tsv/platform/kvm').KvmAddressSpace;
    const entry = as.tables.deepestEntry(DATA);
    platform.memory.view.setUint32(entry, (as.root | 0x67) >>> 0, true);
    expect(mm.checkInvariants()).toMatch(/corrupt page-table entry for 0x10000000/);
    expect(mm.readU32(DATA)).toBe(0x1234_5678); // translate refused it; the fault mapped the page again
    expect(mm.checkInvariants()).toBeNull();
  });

  it('a 2 MiB page takes one exit for the whole block', async () => {
    const { faultExits, mm } = await touchPages({});
    expect(faultExits).toBe(1);
    expect(mm.stats.hugePages).toBe(1);
  });
});
