// Guest memory is private anonymous memory of this process, kept from its
// forks: populate() backs pages with host memory at once, discard() gives
// them back. Both are seen in the mapping's resident size; contents are as
// the guest would see them.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClosedError, GuestMemory } from './index.js';
import { mappingAt } from './test-helpers.js';

const MiB = 1 << 20;

const rss = (mem: GuestMemory) => mappingAt(mem.hostAddress)!.rss;

describe('GuestMemory', () => {
  it('populate backs a range with host memory without changing it; discard gives it back as zeros', () => {
    const mem = new GuestMemory(96 * MiB);
    try {
      mem.bytes[5] = 0xab;
      mem.bytes[64 * MiB - 1] = 0xcd;
      const before = rss(mem);
      expect(before).toBeLessThan(MiB);
      expect(mem.populate(0, 64 * MiB)).toBe(true);
      expect(rss(mem)).toBeGreaterThanOrEqual(64 * MiB);
      expect(mem.bytes[5]).toBe(0xab);
      expect(mem.bytes[64 * MiB - 1]).toBe(0xcd);
      expect(mem.bytes[4096]).toBe(0);

      mem.discard(0, 64 * MiB);
      expect(rss(mem)).toBeLessThan(MiB);
      expect(mem.bytes[5]).toBe(0);
      expect(mem.bytes[64 * MiB - 1]).toBe(0);
    } finally {
      mem.close();
    }
  });

  it('is not copied into a fork of this process, and backed in 4 KiB pages', () => {
    const mem = new GuestMemory(4 * MiB);
    try {
      const flags = mappingAt(mem.hostAddress)!.flags;
      expect(flags).toContain('dc'); // MADV_DONTFORK
      if (existsSync('/sys/kernel/mm/transparent_hugepage')) expect(flags).toContain('nh'); // MADV_NOHUGEPAGE
    } finally {
      mem.close();
    }
    expect(mappingAt(mem.hostAddress)).toBeUndefined();
  });

  it('rejects ranges outside the region or not page aligned, and use after close', () => {
    const mem = new GuestMemory(MiB);
    expect(() => mem.populate(4096, MiB)).toThrow(RangeError);
    expect(() => mem.populate(1, 4096)).toThrow(RangeError);
    expect(() => mem.discard(0, 2 * MiB)).toThrow(RangeError);
    expect(() => mem.discard(4096, -4096)).toThrow(RangeError);
    expect(mem.populate(MiB, 0)).toBe(true);
    mem.close();
    expect(() => mem.populate(0, 4096)).toThrow(ClosedError);
    expect(() => mem.discard(0, 4096)).toThrow(ClosedError);
  });
});
