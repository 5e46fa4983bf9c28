import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import {
  ACCESS_WRITE,
  MADV_DONTNEED,
  MADV_FREE,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MREMAP_DONTUNMAP,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  MS_ASYNC,
  MS_SYNC,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from './constants.js';
import { FAULT_MAPERR, FAULT_OK } from './pager.js';
import { memFile, newMm, pattern } from './test-helpers.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const K = 0x1000;
const MiB = 1 << 20;

describe('mmap', () => {
  it('places mappings top-down below mmap_base', () => {
    const { mm } = newMm();
    expect(mm.mmapBase).toBe(0x7fff_ffff_f000 - 128 * MiB);
    const a = mm.mmap(0, 8 * K, RW, ANON);
    const b = mm.mmap(0, 8 * K, RW, ANON);
    expect(a).toBe(mm.mmapBase - 8 * K);
    expect(b).toBe(a - 8 * K);
    expect(mm.vmas.length).toBe(1); // adjacent anonymous mappings merge
  });

  it('takes a free hint, rounds it down to a page, and ignores a taken one', () => {
    const { mm } = newMm();
    expect(mm.mmap(0x1234_5678, 4 * K, RW, ANON)).toBe(0x1234_5000);
    const again = mm.mmap(0x1234_5000, 4 * K, RW, ANON);
    expect(again).not.toBe(0x1234_5000);
    expect(again).toBeGreaterThan(0);
    expect(mm.mmap(0x100, 4 * K, RW, ANON)).not.toBe(0); // below mmap_min_addr: ignored
  });

  it('MAP_FIXED replaces what was there; MAP_FIXED_NOREPLACE refuses with EEXIST', () => {
    const { mm, as } = newMm();
    const a = mm.mmap(0x10_0000, 16 * K, RW, ANON);
    expect(mm.copyOut(a, pattern(16 * K))).toBe(0);
    expect(mm.mmap(a + 4 * K, 4 * K, PROT_READ, ANON | MAP_FIXED_NOREPLACE)).toBe(-E.EEXIST);
    expect(mm.mmap(a + 4 * K, 4 * K, PROT_READ, ANON | MAP_FIXED)).toBe(a + 4 * K);
    expect(mm.vmas.map((v) => v.prot)).toEqual([RW, PROT_READ, RW]);
    const b = new Uint8Array(4 * K);
    expect(mm.copyIn(a + 4 * K, b)).toBe(0);
    expect(b.every((x) => x === 0)).toBe(true); // new pages, old contents gone
    expect(mm.copyIn(a, b)).toBe(0);
    expect(b).toEqual(pattern(16 * K).subarray(0, 4 * K));
    expect(as.translate(a + 4 * K, PROT_WRITE)).toBe(-1);
    expect(mm.mmap(0x40_0000, 4 * K, RW, ANON | MAP_FIXED_NOREPLACE)).toBe(0x40_0000);
  });

  it('checks arguments like Linux', () => {
    const { mm } = newMm();
    expect(mm.mmap(0, 0, RW, ANON)).toBe(-E.EINVAL);
    expect(mm.mmap(0, 4 * K, RW, MAP_ANONYMOUS)).toBe(-E.EINVAL); // neither shared nor private
    // Anonymous memory cannot be MAP_SHARED_VALIDATE at all: EINVAL before any flag check (checked natively).
    expect(mm.mmap(0, 4 * K, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x800_0000)).toBe(-E.EINVAL);
    expect(mm.mmap(0, 4 * K, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS)).toBe(-E.EINVAL);
    expect(mm.mmap(0x10_0001, 4 * K, RW, ANON | MAP_FIXED)).toBe(-E.EINVAL);
    expect(mm.mmap(0x1000, 4 * K, RW, ANON | MAP_FIXED)).toBe(-E.EPERM);
    expect(mm.mmap(0x7fff_ffff_e000, 8 * K, RW, ANON | MAP_FIXED)).toBe(-E.ENOMEM);
    expect(mm.mmap(0, 2 ** 48, RW, ANON)).toBe(-E.ENOMEM);
    expect(mm.mmap(0, 4 * K, RW, MAP_PRIVATE)).toBe(-E.EBADF);
    expect(mm.mmap(0, 4 * K, RW, MAP_PRIVATE, memFile(new Uint8Array(10)), 123)).toBe(-E.EINVAL);
    const wo = { ...memFile(new Uint8Array(10)), readable: false };
    expect(mm.mmap(0, 4 * K, PROT_READ, MAP_PRIVATE, wo)).toBe(-E.EACCES);
    const ro = { ...memFile(new Uint8Array(10)), writable: false };
    expect(mm.mmap(0, 4 * K, RW, MAP_SHARED, ro)).toBe(-E.EACCES);
    expect(mm.mmap(0, 4 * K, RW, MAP_PRIVATE, ro)).toBeGreaterThan(0);
    expect(mm.munmap(0x10_0001, K)).toBe(-E.EINVAL);
    expect(mm.munmap(0x10_0000, 0)).toBe(-E.EINVAL);
    expect(mm.munmap(0x10_0000, 2 ** 47)).toBe(-E.EINVAL);
    expect(mm.munmap(0x10_0000, K)).toBe(0); // nothing there: fine
    expect(mm.checkInvariants()).toBeNull();
  });

  it('reads private file mappings in at mmap time', () => {
    const { mm, as } = newMm();
    const data = pattern(5 * K + 100);
    const f = memFile(data);
    const a = mm.mmap(0, 8 * K, PROT_READ, MAP_PRIVATE, f, 0);
    expect(as.translate(a + 5 * K, PROT_READ)).toBeGreaterThan(0); // the partial last page
    expect(as.translate(a + 6 * K, PROT_READ)).toBe(-1); // beyond EOF
    const b = new Uint8Array(data.length + 50);
    expect(mm.copyIn(a, b)).toBe(0);
    expect(b.subarray(0, data.length)).toEqual(data);
    expect(b.subarray(data.length).every((x) => x === 0)).toBe(true);
    expect(f.reads).toBeLessThanOrEqual(2);
  });
});

describe('brk', () => {
  it('grows and shrinks the heap and returns the old break on failure', () => {
    const { mm } = newMm({ memoryLimit: 16 * MiB });
    mm.setBrk(0x60_0123);
    const base = 0x60_1000;
    expect(mm.brk(0)).toBe(base);
    expect(mm.brk(base + 10_000)).toBe(base + 10_000);
    expect(mm.vmas.find((v) => v.name === '[heap]')).toMatchObject({ start: base, end: base + 3 * K });
    expect(mm.copyOut(base + 9_000, pattern(100))).toBe(0);
    expect(mm.brk(base + 100 * K)).toBe(base + 100 * K);
    expect(mm.vmas.filter((v) => v.name === '[heap]').length).toBe(1);
    expect(mm.brk(base + 4 * K)).toBe(base + 4 * K);
    expect(mm.vmas.find((v) => v.name === '[heap]')?.end).toBe(base + 4 * K);
    expect(mm.brk(base - K)).toBe(base + 4 * K); // below the start
    expect(mm.brk(base + 64 * MiB)).toBe(base + 4 * K); // beyond the memory limit
    mm.mmap(base + 8 * K, 4 * K, RW, ANON | MAP_FIXED);
    expect(mm.brk(base + 8 * K)).toBe(base + 4 * K); // would touch a mapping
    expect(mm.brk(base + 16 * K)).toBe(base + 4 * K);
    expect(mm.brk(base)).toBe(base);
    expect(mm.vmas.find((v) => v.name === '[heap]')).toBeUndefined();
    expect(mm.checkInvariants()).toBeNull();
  });

  it('after shrinking, regrown heap pages read as zero', () => {
    const { mm } = newMm();
    mm.setBrk(0x60_0000);
    mm.brk(0x60_0000 + 8 * K);
    expect(mm.writeU32(0x60_0000 + 4 * K, 0xdeadbeef)).toBe(0);
    mm.brk(0x60_0000 + 4 * K);
    mm.brk(0x60_0000 + 8 * K);
    expect(mm.readU32(0x60_0000 + 4 * K)).toBe(0);
  });

  it('makes the first 64 KiB of a larger growth resident at once, from the old break', () => {
    const { mm, as } = newMm();
    mm.setBrk(0x60_0d00);
    expect(mm.brk(0x60_0d00 + 33 * K)).toBe(0x60_0d00 + 33 * K); // 132 KiB, as a static glibc start-up grows it
    const first = 0x60_1000;
    expect(as.translate(first, PROT_WRITE)).toBeGreaterThan(0);
    expect(as.translate(first + 15 * K, PROT_WRITE)).toBeGreaterThan(0);
    expect(as.translate(first + 16 * K, PROT_READ)).toBe(-1);
    expect(mm.stats.faults).toBe(0);
  });
});

describe('mremap', () => {
  it('shrinks in place', () => {
    const { mm, mem } = newMm();
    const a = mm.mmap(0, 16 * K, RW, ANON | MAP_POPULATE);
    const used = mem.used;
    expect(mm.mremap(a, 16 * K, 4 * K, 0)).toBe(a);
    expect(mm.vmas[0]).toMatchObject({ start: a, end: a + 4 * K });
    expect(mem.used).toBe(used - 12 * K);
    const b = mm.mmap(0, 16 * K, PROT_READ, ANON);
    expect(mm.mremap(b, 8 * K, 8 * K, 0)).toBe(b); // the same size: nothing changes, not even a split
    expect(mm.vmas.length).toBe(2);
    expect(mm.checkInvariants()).toBeNull();
  });

  it('grows in place when the space above is free', () => {
    const { mm } = newMm();
    const a = mm.mmap(0x10_0000, 8 * K, RW, ANON);
    expect(mm.mremap(a, 8 * K, 32 * K, 0)).toBe(a);
    expect(mm.vmas[0]).toMatchObject({ start: a, end: a + 32 * K });
    expect(mm.writeU32(a + 31 * K, 7)).toBe(0);
  });

  it('moves, preserving contents, when it cannot grow in place', () => {
    const { mm } = newMm();
    const a = mm.mmap(0x10_0000, 8 * K, RW, ANON);
    mm.mmap(a + 8 * K, 4 * K, PROT_READ, ANON | MAP_FIXED);
    const data = pattern(8 * K, 3);
    expect(mm.copyOut(a, data)).toBe(0);
    expect(mm.mremap(a, 8 * K, 64 * K, 0)).toBe(-E.ENOMEM);
    const b = mm.mremap(a, 8 * K, 64 * K, MREMAP_MAYMOVE);
    expect(b).toBeGreaterThan(0);
    expect(b).not.toBe(a);
    const got = new Uint8Array(8 * K);
    expect(mm.copyIn(b, got)).toBe(0);
    expect(got).toEqual(data);
    expect(mm.readU32(a)).toBe(-E.EFAULT); // the old range is gone
    expect(mm.vmas.find((v) => v.start === b)?.end).toBe(b + 64 * K);
    expect(mm.checkInvariants()).toBeNull();
  });

  it('MREMAP_FIXED moves to the given address, replacing it', () => {
    const { mm } = newMm();
    const a = mm.mmap(0x10_0000, 8 * K, RW, ANON);
    mm.copyOut(a, pattern(8 * K));
    mm.mmap(0x20_0000, 8 * K, PROT_READ, ANON);
    expect(mm.mremap(a, 8 * K, 8 * K, MREMAP_FIXED, 0x20_0000)).toBe(-E.EINVAL);
    expect(mm.mremap(a, 8 * K, 8 * K, MREMAP_MAYMOVE | MREMAP_FIXED, a + 4 * K)).toBe(-E.EINVAL); // overlap
    expect(mm.mremap(a, 8 * K, 4 * K, MREMAP_MAYMOVE | MREMAP_FIXED, 0x20_0000)).toBe(0x20_0000);
    const got = new Uint8Array(4 * K);
    expect(mm.copyIn(0x20_0000, got)).toBe(0);
    expect(got).toEqual(pattern(8 * K).subarray(0, 4 * K));
    expect(mm.vmas.map((v) => [v.start, v.end, v.prot])).toEqual([
      [0x20_0000, 0x20_4000, RW],
      [0x20_4000, 0x20_8000, PROT_READ],
    ]);
  });

  it('MREMAP_DONTUNMAP leaves an empty mapping behind', () => {
    const { mm } = newMm();
    const a = mm.mmap(0x10_0000, 4 * K, RW, ANON);
    mm.writeU32(a, 99);
    const b = mm.mremap(a, 4 * K, 4 * K, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
    expect(b).toBeGreaterThan(0);
    expect(mm.readU32(b)).toBe(99);
    expect(mm.readU32(a)).toBe(0);
  });

  it('rejects bad arguments', () => {
    const { mm } = newMm();
    const a = mm.mmap(0x10_0000, 8 * K, RW, ANON);
    expect(mm.mremap(a + 1, 4 * K, 8 * K, MREMAP_MAYMOVE)).toBe(-E.EINVAL);
    expect(mm.mremap(a, 4 * K, 0, MREMAP_MAYMOVE)).toBe(-E.EINVAL);
    expect(mm.mremap(a, 4 * K, 8 * K, 8)).toBe(-E.EINVAL);
    expect(mm.mremap(0x50_0000, 4 * K, 8 * K, MREMAP_MAYMOVE)).toBe(-E.EFAULT);
    expect(mm.mremap(a, 16 * K, 32 * K, MREMAP_MAYMOVE)).toBe(-E.EFAULT); // beyond the VMA
    expect(mm.mremap(a, 0, 8 * K, MREMAP_MAYMOVE)).toBe(-E.EINVAL); // private: no duplicating
  });

  it('old_len 0 duplicates a shared mapping', () => {
    const { mm } = newMm();
    const a = mm.mmap(0, 4 * K, RW, MAP_SHARED | MAP_ANONYMOUS);
    const b = mm.mremap(a, 0, 4 * K, MREMAP_MAYMOVE);
    expect(b).toBeGreaterThan(0);
    mm.writeU32(a + 8, 1234);
    expect(mm.readU32(b + 8)).toBe(1234);
  });
});

describe('madvise, msync, mlock', () => {
  it('MADV_DONTNEED zeroes private anonymous pages and frees their frames', () => {
    const { mm, mem } = newMm();
    const a = mm.mmap(0, 64 * K, RW, ANON);
    expect(mm.copyOut(a, pattern(64 * K))).toBe(0);
    const used = mem.used;
    expect(mm.madvise(a + 16 * K, 16 * K, MADV_DONTNEED)).toBe(0);
    expect(mem.used).toBe(used - 16 * K);
    const got = new Uint8Array(64 * K);
    expect(mm.copyIn(a, got)).toBe(0);
    expect(got.subarray(16 * K, 32 * K).every((x) => x === 0)).toBe(true);
    expect(got.subarray(0, 16 * K)).toEqual(pattern(64 * K).subarray(0, 16 * K));
    expect(got.subarray(32 * K)).toEqual(pattern(64 * K).subarray(32 * K));
  });

  it('MADV_DONTNEED keeps shared memory and re-reads private file pages', () => {
    const { mm } = newMm();
    const s = mm.mmap(0, 4 * K, RW, MAP_SHARED | MAP_ANONYMOUS);
    mm.writeU32(s, 5);
    expect(mm.madvise(s, 4 * K, MADV_DONTNEED)).toBe(0);
    expect(mm.readU32(s)).toBe(5);
    const f = mm.mmap(0, 4 * K, RW, MAP_PRIVATE, memFile(new Uint8Array([1, 0, 0, 0])));
    mm.writeU32(f, 77);
    expect(mm.madvise(f, 4 * K, MADV_DONTNEED)).toBe(0);
    expect(mm.readU32(f)).toBe(1);
    expect(mm.madvise(f, 4 * K, MADV_FREE)).toBe(-E.EINVAL);
  });

  it('validates', () => {
    const { mm } = newMm();
    const a = mm.mmap(0x10_0000, 8 * K, RW, ANON);
    expect(mm.madvise(a + 1, K, MADV_DONTNEED)).toBe(-E.EINVAL);
    expect(mm.madvise(a, K, 999)).toBe(-E.EINVAL);
    expect(mm.madvise(a, 16 * K, MADV_DONTNEED)).toBe(-E.ENOMEM); // runs past the mapping
    expect(mm.madvise(a, 0, MADV_DONTNEED)).toBe(0);
    expect(mm.msync(a, 8 * K, MS_SYNC)).toBe(0);
    expect(mm.msync(a, 8 * K, MS_SYNC | MS_ASYNC)).toBe(-E.EINVAL);
    expect(mm.msync(a + 8 * K, K, MS_ASYNC)).toBe(-E.ENOMEM);
    expect(mm.mlock(a + 10, 100)).toBe(0);
    expect(mm.mlock(a + 8 * K, 100)).toBe(-E.ENOMEM);
    expect(mm.mlockall(0)).toBe(-E.EINVAL);
  });
});

describe('mprotect', () => {
  it('changes what the address space allows and rejects holes', () => {
    const { mm, as } = newMm();
    const a = mm.mmap(0x10_0000, 16 * K, RW, ANON | MAP_POPULATE);
    expect(as.translate(a, PROT_WRITE)).toBeGreaterThan(0);
    expect(mm.mprotect(a, 4 * K, PROT_NONE)).toBe(0);
    expect(as.translate(a, PROT_READ)).toBe(-1);
    expect(mm.mprotect(a, 4 * K, PROT_READ | PROT_EXEC)).toBe(0);
    expect(as.translate(a, PROT_EXEC)).toBeGreaterThan(0);
    expect(as.translate(a, PROT_WRITE)).toBe(-1);
    expect(mm.mprotect(a, 32 * K, PROT_READ)).toBe(-E.ENOMEM);
    expect(mm.vmas[0]!.prot).toBe(PROT_READ | PROT_EXEC); // unchanged by the failed call
    expect(mm.mprotect(a + 1, K, PROT_READ)).toBe(-E.EINVAL);
    expect(mm.mprotect(a, K, 0x40)).toBe(-E.EINVAL);
  });
});

describe('memory limit', () => {
  it('refuses mappings and brk beyond it, and faults beyond it are OOM', () => {
    const { mm } = newMm({ memoryLimit: 1 * MiB });
    expect(mm.mmap(0, 2 * MiB, RW, ANON)).toBe(-E.ENOMEM);
    expect(mm.mmap(0, 2 * MiB, RW, ANON | MAP_NORESERVE)).toBeGreaterThan(0);
    expect(mm.mmap(0, 2 * MiB, PROT_READ, ANON)).toBeGreaterThan(0); // not writable: not charged
    const a = mm.mmap(0, 1 * MiB, RW, ANON);
    expect(a).toBeGreaterThan(0);
    expect(mm.zeroOut(a, 1 * MiB)).toBe(0); // exactly the limit
    expect(mm.memoryUsed).toBe(1 * MiB);
    const b = mm.mmap(0, 64 * K + K, RW, ANON);
    expect(mm.handleFault(b, 2)).toBe(-E.ENOMEM);
    expect(mm.writeU32(b, 1)).toBe(-E.EFAULT);
    expect(mm.oomPending).toBe(true);
    mm.munmap(a, 1 * MiB);
    expect(mm.memoryUsed).toBe(0);
    expect(mm.handleFault(b, 2)).toBe(0);
  });
});

describe('mmap_min_addr', () => {
  const MIN = 0x1_0000;

  it('no mapping is created below it: MAP_FIXED is EPERM, a hint below it lands above', () => {
    const { mm } = newMm();
    expect(mm.mmapMinAddr).toBe(MIN);
    expect(mm.mmap(MIN - K, 2 * K, RW, ANON | MAP_FIXED)).toBe(-E.EPERM);
    expect(mm.mmap(MIN - K, K, RW, ANON | MAP_FIXED_NOREPLACE)).toBe(-E.EPERM);
    expect(mm.mmap(0x6000, K, RW, ANON)).toBeGreaterThanOrEqual(MIN);
    const a = mm.mmap(0x1000_0000, K, RW, ANON | MAP_FIXED);
    expect(mm.mremap(a, K, K, MREMAP_MAYMOVE | MREMAP_FIXED, MIN - K)).toBe(-E.EPERM);
    expect(mm.mremap(a, K, K, MREMAP_MAYMOVE | MREMAP_FIXED, MIN)).toBe(MIN);
  });

  it('a grows-down mapping grows to it by faults, never below (SIGSEGV)', () => {
    const { mm } = newMm();
    const g = mm.mmap(MIN + 4 * K, K, RW, ANON | MAP_FIXED | MAP_GROWSDOWN);
    expect(g).toBe(MIN + 4 * K);
    expect(mm.handleFault(MIN + 3 * K, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(mm.handleFault(MIN, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(mm.vmas[0]).toMatchObject({ start: MIN, end: MIN + 5 * K });
    expect(mm.handleFault(MIN - K, ACCESS_WRITE)).toBe(FAULT_MAPERR);
    expect(mm.handleFault(0x6000, ACCESS_WRITE)).toBe(FAULT_MAPERR);
    expect(mm.copyOut(0x6000, new Uint8Array(8))).toBe(-E.EFAULT); // the kernel's touch neither
    expect(mm.vmas[0]).toMatchObject({ start: MIN });
  });

  it('a heap that would start below it does not grow', () => {
    const { mm } = newMm();
    mm.setBrk(0x8000);
    expect(mm.brk(0x9000)).toBe(0x8000);
    expect(mm.vmas.length).toBe(0);
  });
});

describe('/proc/self/maps', () => {
  it('prints VMAs in the Linux format', () => {
    const { mm } = newMm();
    mm.setBrk(0x60_0000);
    mm.brk(0x60_0000 + 4 * K);
    mm.mmap(0x40_0000, 4 * K, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, memFile(new Uint8Array(8 * K), '/bin/x', 42), 4 * K);
    mm.mmap(0x7000_0000_0000, 4 * K, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
    mm.mapStack(0x7fff_ffff_f000, 4 * K);
    expect(mm.procMaps().split('\n')).toEqual([
      '00400000-00404000 r-xp 00004000 08:01 42                                 /bin/x',
      '00600000-00604000 rw-p 00000000 00:00 0                                  [heap]',
      '700000000000-700000004000 rw-s 00000000 00:00 0 ',
      '7fffffffb000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]',
      '',
    ]);
  });
});

describe('release', () => {
  it('frees every frame and the address space whole, without unmapping page by page', () => {
    const { mm, as, mem } = newMm();
    const idle = mem.used;
    const f = memFile(pattern(9 * K));
    expect(mm.mmap(0, 9 * K, PROT_READ, MAP_PRIVATE, f, 0)).toBeGreaterThan(0);
    const a = mm.mmap(0, 64 * K, RW, ANON | MAP_POPULATE, null, 0);
    const shared = mm.mmap(0, 4 * K, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, null, 0);
    expect(mm.handleFault(a + 5 * K, ACCESS_WRITE)).toBe(FAULT_OK);
    expect(mm.handleFault(shared, ACCESS_WRITE)).toBe(FAULT_OK);
    let unmaps = 0;
    const unmap = as.unmap.bind(as);
    as.unmap = (va, len) => {
      unmaps++;
      unmap(va, len);
    };
    mm.release();
    expect(unmaps).toBe(0);
    expect(as.ptes.size).toBe(0);
    expect(mem.used).toBe(idle);
  });
});
