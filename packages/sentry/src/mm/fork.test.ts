// fork's copy of a process's memory: a small process's private writable
// pages are copied outright (no copy-on-write faults or revocations after),
// a large one's are shared copy-on-write; either way a store in one process
// never reaches the other.
import { describe, expect, it } from 'vitest';
import { MADV_POPULATE_WRITE, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from './constants.js';
import { FakeAddressSpace } from './fake.js';
import { guest, newMm } from './test-helpers.js';

const PAGE = 4096;
const RW = PROT_READ | PROT_WRITE;

function forked(pages: number) {
  const parent = newMm({ newAddressSpace: () => new FakeAddressSpace() });
  const a = parent.mm.mmap(0, pages * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
  expect(parent.mm.madvise(a, pages * PAGE, MADV_POPULATE_WRITE)).toBe(0);
  const cpu = guest(parent.mm, parent.as, parent.mem);
  expect(cpu.store(a, 'before')).toBe(0);
  const child = parent.mm.fork();
  if (typeof child === 'number') throw new Error(`fork: ${child}`);
  const childAs = child.addressSpace as FakeAddressSpace;
  return { parent, a, cpu, child, childAs, childCpu: guest(child, childAs, parent.mem) };
}

describe('fork', () => {
  it('copies the private writable pages of a small process: both stay writable, nothing shared', () => {
    const { parent, a, cpu, child, childAs, childCpu } = forked(16);
    for (let p = 0; p < 16; p++) {
      const mine = parent.as.translate(a + p * PAGE, PROT_WRITE);
      expect(mine).toBeGreaterThanOrEqual(0);
      expect(childAs.translate(a + p * PAGE, PROT_WRITE)).not.toBe(mine);
    }
    expect(cpu.store(a, 'parent')).toBe(0);
    expect(childCpu.load(a, 6)).toBe('before');
    expect(childCpu.store(a + PAGE, 'child')).toBe(0);
    expect(cpu.faults + childCpu.faults).toBe(0);
    expect(cpu.load(a + PAGE, 5)).not.toBe('child');
    expect(child.checkInvariants()).toBeNull();
  });

  it('shares the pages of a large process copy-on-write', () => {
    const { parent, a, cpu, child, childAs, childCpu } = forked(512);
    expect(parent.as.translate(a, PROT_WRITE)).toBe(-1);
    expect(childAs.translate(a, PROT_READ)).toBe(parent.as.translate(a, PROT_READ));
    expect(cpu.store(a, 'parent')).toBe(0);
    expect(childCpu.load(a, 6)).toBe('before');
    expect(child.checkInvariants()).toBeNull();
  });
});
