// Guest memory is a memfd mapped into this process: populate() backs pages
// with host memory at once, punchHole() gives them back. Both are seen in
// this process's shared-memory RSS; contents are as the guest would see them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClosedError, GuestMemory } from './index.js';

const MiB = 1 << 20;

/** RssShmem of this process, in bytes. */
function rssShmem(): number {
  const m = /RssShmem:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) * 1024;
}

describe('GuestMemory', () => {
  it('populate backs a range with host memory without changing it; punchHole gives it back as zeros', () => {
    const mem = new GuestMemory(96 * MiB);
    try {
      mem.bytes[5] = 0xab;
      mem.bytes[64 * MiB - 1] = 0xcd;
      const before = rssShmem();
      expect(mem.populate(0, 64 * MiB)).toBe(true);
      expect(rssShmem() - before).toBeGreaterThan(60 * MiB);
      expect(mem.bytes[5]).toBe(0xab);
      expect(mem.bytes[64 * MiB - 1]).toBe(0xcd);
      expect(mem.bytes[4096]).toBe(0);

      mem.punchHole(0, 64 * MiB);
      expect(rssShmem() - before).toBeLessThan(4 * MiB);
      expect(mem.bytes[5]).toBe(0);
    } finally {
      mem.close();
    }
  });

  it('rejects ranges outside the region or not page aligned, and use after close', () => {
    const mem = new GuestMemory(MiB);
    expect(() => mem.populate(4096, MiB)).toThrow(RangeError);
    expect(() => mem.populate(1, 4096)).toThrow(RangeError);
    expect(() => mem.punchHole(0, 2 * MiB)).toThrow(RangeError);
    expect(mem.populate(MiB, 0)).toBe(true);
    mem.close();
    expect(() => mem.populate(0, 4096)).toThrow(ClosedError);
  });
});
