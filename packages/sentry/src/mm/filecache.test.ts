// Shared file mappings: dirty pages reach the file (msync, munmap, mremap,
// the last mapping, release at exit), never past its end; mappings of one
// file share frames; file I/O stays coherent; Linux's errnos.
import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import {
  MADV_REMOVE,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_LOCKED,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  MS_ASYNC,
  MS_INVALIDATE,
  MS_SYNC,
  PROT_READ,
  PROT_WRITE,
} from './constants.js';
import { keyOf } from './filecache.js';
import { FAULT_SIGBUS } from './pager.js';
import { guest, newMm, pattern, rwOpen, TestInode } from './test-helpers.js';

const PAGE = 4096;
const RW = PROT_READ | PROT_WRITE;

function text(inode: TestInode, at: number, n: number): string {
  return Buffer.from(inode.data.subarray(at, at + n)).toString('latin1');
}

function setup(size = 3 * PAGE + 100) {
  const t = newMm({ tunables: { faultAroundBytes: 4 * PAGE } });
  const inode = new TestInode(pattern(size));
  return { ...t, inode, file: rwOpen(inode), cpu: guest(t.mm, t.as, t.mem) };
}

describe('shared file mappings', () => {
  it('msync writes stores back to the file; later stores fault again and are tracked', () => {
    const { mm, inode, file, cpu } = setup();
    const a = mm.mmap(0, 4 * PAGE, RW, MAP_SHARED, file, 0);
    expect(cpu.load(a + PAGE, 4)).toBe(text(inode, PAGE, 4));
    const before = cpu.faults;
    expect(cpu.store(a + PAGE + 10, 'hello')).toBe(0);
    expect(cpu.faults).toBe(before + 1); // the clean page was write-protected
    expect(cpu.store(a + PAGE + 20, 'again')).toBe(0);
    expect(cpu.faults).toBe(before + 1); // now dirty and writable
    expect(text(inode, PAGE + 10, 5)).not.toBe('hello');
    expect(mm.msync(a, 4 * PAGE, MS_SYNC)).toBe(0);
    expect(text(inode, PAGE + 10, 5)).toBe('hello');
    expect(inode.syncs).toBe(1);
    expect(inode.data.length).toBe(3 * PAGE + 100); // never extended
    expect(cpu.store(a + PAGE + 30, 'third')).toBe(0);
    expect(cpu.faults).toBe(before + 2); // clean again after write-back
    expect(mm.msync(a, PAGE, MS_ASYNC)).toBe(0); // another page: nothing to write
    expect(text(inode, PAGE + 30, 5)).not.toBe('third');
    expect(mm.msync(a + PAGE, PAGE, MS_ASYNC)).toBe(0);
    expect(text(inode, PAGE + 30, 5)).toBe('third');
    expect(mm.checkInvariants()).toBeNull();
  });

  it('munmap, mremap shrinking and release write back; untouched mappings write nothing', () => {
    const { mm, inode, file, cpu } = setup(8 * PAGE);
    const ro = mm.mmap(0, 8 * PAGE, RW, MAP_SHARED, file, 0);
    expect(cpu.load(ro, 1)).toBeTypeOf('string');
    expect(mm.munmap(ro, 8 * PAGE)).toBe(0);
    expect(inode.writes).toBe(0);

    const a = mm.mmap(0, 8 * PAGE, RW, MAP_SHARED, file, 0);
    expect(cpu.store(a, 'first')).toBe(0);
    expect(cpu.store(a + 7 * PAGE, 'last')).toBe(0);
    expect(mm.mremap(a, 8 * PAGE, 4 * PAGE, 0)).toBe(a);
    expect(text(inode, 7 * PAGE, 4)).toBe('last');
    expect(text(inode, 0, 5)).not.toBe('first');
    expect(mm.munmap(a, 4 * PAGE)).toBe(0);
    expect(text(inode, 0, 5)).toBe('first');

    const b = mm.mmap(0, 2 * PAGE, RW, MAP_SHARED, file, 2 * PAGE);
    expect(cpu.store(b + PAGE, 'at exit')).toBe(0);
    mm.release();
    expect(text(inode, 3 * PAGE, 7)).toBe('at exit');
    expect(mm.memoryUsed).toBe(0);
    expect(mm.pageCache.size).toBe(0);
    expect(file.holds).toBe(0);
  });

  it('a moved mapping keeps its dirty pages', () => {
    const { mm, inode, file, cpu } = setup(4 * PAGE);
    const a = mm.mmap(0, 2 * PAGE, RW, MAP_SHARED, file, 0);
    expect(cpu.store(a + PAGE, 'moved')).toBe(0);
    const to = 0x5000_0000;
    expect(mm.mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, to)).toBe(to);
    expect(cpu.load(to + PAGE, 5)).toBe('moved');
    expect(mm.msync(to, 2 * PAGE, MS_SYNC)).toBe(0);
    expect(text(inode, PAGE, 5)).toBe('moved');
    expect(mm.checkInvariants()).toBeNull();
  });

  it('stores past the end of the file stay in memory; whole pages past it are SIGBUS', () => {
    const { mm, inode, file, cpu } = setup(PAGE + 10);
    const a = mm.mmap(0, 3 * PAGE, RW, MAP_SHARED, file, 0);
    expect(cpu.store(a + PAGE + 5, 'ABCDEFGHIJ')).toBe(0); // straddles the end at PAGE + 10
    expect(cpu.store(a + 2 * PAGE, 'x')).toBe(FAULT_SIGBUS);
    expect(mm.msync(a, 3 * PAGE, MS_SYNC)).toBe(0);
    expect(inode.data.length).toBe(PAGE + 10);
    expect(text(inode, PAGE + 5, 5)).toBe('ABCDE');
  });

  it('two mappings of one file share frames, whether through one open or two', () => {
    const { mm, inode, file, cpu, mem } = setup(4 * PAGE);
    const other = rwOpen(inode);
    const a = mm.mmap(0, 4 * PAGE, RW, MAP_SHARED, file, 0);
    const b = mm.mmap(0, 2 * PAGE, RW, MAP_SHARED, other, 2 * PAGE);
    const c = mm.mmap(0, 4 * PAGE, PROT_READ, MAP_SHARED, file, 0);
    expect(cpu.store(a + 2 * PAGE + 1, 'via a')).toBe(0);
    expect(cpu.load(b + 1, 5)).toBe('via a');
    expect(cpu.load(c + 2 * PAGE + 1, 5)).toBe('via a');
    expect(cpu.store(b + PAGE, 'via b')).toBe(0);
    expect(cpu.load(a + 3 * PAGE, 5)).toBe('via b');
    expect(mm.pageCache.size).toBe(1);
    // Writing back through a makes the page clean in b too: b's next store must be seen.
    expect(mm.msync(a, 4 * PAGE, MS_SYNC)).toBe(0);
    expect(text(inode, 3 * PAGE, 5)).toBe('via b');
    expect(cpu.store(b + PAGE, 'b again')).toBe(0);
    expect(mm.munmap(a, 4 * PAGE)).toBe(0);
    expect(mm.munmap(c, 4 * PAGE)).toBe(0);
    expect(file.holds).toBe(0);
    expect(other.holds).toBe(1);
    expect(mm.munmap(b, 2 * PAGE)).toBe(0);
    expect(text(inode, 3 * PAGE, 7)).toBe('b again');
    expect(other.holds).toBe(0);
    expect(mm.pageCache.size).toBe(0);
    expect(mem.used).toBe(PAGE); // every frame freed
  });

  it('a private mapping stays private but sees stores not yet written back', () => {
    const { mm, inode, file, cpu } = setup(2 * PAGE);
    const s = mm.mmap(0, 2 * PAGE, RW, MAP_SHARED, file, 0);
    expect(cpu.store(s + 100, 'shared')).toBe(0);
    const p = mm.mmap(0, 2 * PAGE, RW, MAP_PRIVATE, file, 0);
    expect(cpu.load(p + 100, 6)).toBe('shared');
    expect(cpu.store(p + 200, 'private')).toBe(0);
    expect(mm.munmap(p, 2 * PAGE)).toBe(0);
    expect(mm.munmap(s, 2 * PAGE)).toBe(0);
    expect(text(inode, 100, 6)).toBe('shared');
    expect(text(inode, 200, 7)).not.toBe('private');
  });

  it('file writes show in the mapping; reads and truncation follow the mapping', () => {
    const { mm, inode, file, cpu } = setup(4 * PAGE);
    const a = mm.mmap(0, 4 * PAGE, RW, MAP_SHARED, file, 0);
    expect(cpu.load(a, 1)).toBeTypeOf('string');
    const fp = mm.pageCache.get(keyOf(file))!;
    fp.written(PAGE - 2, new TextEncoder().encode('span')); // as write() reports it
    expect(cpu.load(a + PAGE - 2, 4)).toBe('span');

    expect(cpu.store(a + 2 * PAGE, 'dirty')).toBe(0);
    const buf = inode.data.slice(2 * PAGE, 2 * PAGE + 8);
    fp.overlay(2 * PAGE, buf, 8); // as read() does
    expect(Buffer.from(buf.subarray(0, 5)).toString()).toBe('dirty');

    inode.resize(PAGE + 3); // as ftruncate does, then tells the cache
    fp.truncated(PAGE + 3);
    expect(cpu.load(a + 2 * PAGE, 1)).toBe(FAULT_SIGBUS);
    expect(cpu.load(a + PAGE + 3, 1)).toBe('\0'); // the tail of the last page reads as zeros
    expect(mm.munmap(a, 4 * PAGE)).toBe(0);
    expect(inode.data.length).toBe(PAGE + 3); // the dropped dirty page was not written
  });

  it('one write fault makes its fault-around window writable', () => {
    const { mm, inode, file, cpu } = setup(16 * PAGE);
    const a = mm.mmap(0x10_0000, 16 * PAGE, RW, MAP_SHARED | MAP_FIXED, file, 0);
    for (let i = 0; i < 16; i++) expect(cpu.store(a + i * PAGE, `p${i}`)).toBe(0);
    expect(cpu.faults).toBe(4); // 16 pages, 4-page windows
    expect(mm.msync(a, 16 * PAGE, MS_SYNC)).toBe(0);
    for (let i = 0; i < 16; i++) expect(text(inode, i * PAGE, `p${i}`.length)).toBe(`p${i}`);
  });

  it('kernel copy-out into a mapping is a store too', () => {
    const { mm, inode, file } = setup(2 * PAGE);
    const a = mm.mmap(0, 2 * PAGE, RW, MAP_SHARED, file, 0);
    expect(mm.copyOut(a + 5, new TextEncoder().encode('from read()'))).toBe(0);
    expect(mm.munmap(a, 2 * PAGE)).toBe(0);
    expect(text(inode, 5, 11)).toBe('from read()');
  });

  it('checks access and arguments like Linux', () => {
    const { mm, inode, file } = setup();
    const ro = rwOpen(inode, false);
    expect(mm.mmap(0, PAGE, RW, MAP_SHARED, ro, 0)).toBe(-E.EACCES);
    const r = mm.mmap(0, PAGE, PROT_READ, MAP_SHARED, ro, 0);
    expect(mm.mprotect(r, PAGE, RW)).toBe(-E.EACCES);
    expect(mm.mmap(0, PAGE, RW, MAP_PRIVATE, ro, 0)).toBeGreaterThan(0);

    const a = mm.mmap(0x10_0000, 2 * PAGE, RW, MAP_SHARED, file, 0);
    expect(mm.msync(a, PAGE, MS_ASYNC | MS_SYNC)).toBe(-E.EINVAL);
    expect(mm.msync(a, PAGE, 8)).toBe(-E.EINVAL);
    expect(mm.msync(a + 1, PAGE, MS_SYNC)).toBe(-E.EINVAL);
    expect(mm.msync(a, 0, MS_SYNC)).toBe(0);
    expect(mm.msync(a + 4 * PAGE, PAGE, MS_SYNC)).toBe(-E.ENOMEM);
    expect(mm.msync(a, 2 * PAGE, MS_INVALIDATE)).toBe(0);
    const l = mm.mmap(0x20_0000, PAGE, RW, MAP_SHARED | MAP_LOCKED, file, 0);
    expect(mm.msync(l, PAGE, MS_INVALIDATE)).toBe(-E.EBUSY);
    expect(mm.msync(l, PAGE, MS_SYNC)).toBe(0);
    expect(mm.madvise(l, PAGE, MADV_REMOVE)).toBe(-E.EINVAL); // locked
    const p = mm.mmap(0, PAGE, RW, MAP_PRIVATE, file, 0);
    expect(mm.madvise(p, PAGE, MADV_REMOVE)).toBe(-E.EACCES);
    expect(mm.madvise(r, PAGE, MADV_REMOVE)).toBe(-E.EACCES);
  });

  it('msync over a hole syncs the mapped parts and then says ENOMEM (plain MS_ASYNC stops at once)', () => {
    const { mm, inode, file, cpu } = setup(4 * PAGE);
    const a = mm.mmap(0x10_0000, 4 * PAGE, RW, MAP_SHARED, file, 0);
    expect(cpu.store(a + 3 * PAGE, 'tail')).toBe(0);
    expect(mm.munmap(a + PAGE, PAGE)).toBe(0);
    expect(mm.msync(a, 4 * PAGE, MS_ASYNC)).toBe(-E.ENOMEM);
    expect(text(inode, 3 * PAGE, 4)).not.toBe('tail');
    expect(mm.msync(a, 4 * PAGE, MS_SYNC)).toBe(-E.ENOMEM);
    expect(text(inode, 3 * PAGE, 4)).toBe('tail');
  });

  it('reports a write-back error once', () => {
    const { mm, inode, cpu } = setup(2 * PAGE);
    const full = { ...rwOpen(inode), pwrite: () => -E.ENOSPC };
    const a = mm.mmap(0, 2 * PAGE, RW, MAP_SHARED, full, 0);
    expect(cpu.store(a, 'lost')).toBe(0);
    expect(mm.msync(a, 2 * PAGE, MS_SYNC)).toBe(-E.ENOSPC);
    expect(mm.msync(a, 2 * PAGE, MS_SYNC)).toBe(0);
    // A failure while unmapping waits for the next msync of the file.
    const b = mm.mmap(0, PAGE, RW, MAP_SHARED, full, 0);
    expect(cpu.store(b, 'lost too')).toBe(0);
    expect(mm.munmap(b, PAGE)).toBe(0);
    expect(mm.msync(a, PAGE, MS_ASYNC)).toBe(-E.ENOSPC);
    expect(mm.msync(a, PAGE, MS_ASYNC)).toBe(0);
  });

  it('MADV_REMOVE zeroes the range in the mapping and in the file', () => {
    const { mm, inode, file, cpu } = setup(4 * PAGE);
    const a = mm.mmap(0, 4 * PAGE, RW, MAP_SHARED, file, 0);
    expect(cpu.store(a + PAGE, 'gone')).toBe(0);
    expect(mm.madvise(a + PAGE, 2 * PAGE, MADV_REMOVE)).toBe(0);
    expect(cpu.load(a + PAGE, 4)).toBe('\0\0\0\0');
    expect(inode.data.subarray(PAGE, 3 * PAGE).every((x) => x === 0)).toBe(true);
    expect(inode.data[0]).toBe(pattern(1)[0]);
    expect(mm.munmap(a, 4 * PAGE)).toBe(0);
    expect(inode.data.subarray(PAGE, 3 * PAGE).every((x) => x === 0)).toBe(true);
    // A huge file: more than one write(2) may do is refused rather than written.
    const big = { ...rwOpen(inode), size: () => 2 ** 40 };
    const b = mm.mmap(0, 2 ** 32, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, big, 0);
    expect(b).toBeGreaterThan(0);
    const writes = inode.writes;
    expect(mm.madvise(b, 2 ** 32, MADV_REMOVE)).toBe(-E.EOPNOTSUPP);
    expect(inode.writes).toBe(writes);
  });

  it('anonymous and private memory take no extra faults', () => {
    const { mm, cpu } = setup();
    const anon = mm.mmap(0, 16 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
    const shm = mm.mmap(0, 16 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, null, 0);
    const before = cpu.faults;
    for (let i = 0; i < 16; i++) expect(cpu.store(anon + i * PAGE, 'a')).toBe(0);
    expect(cpu.faults).toBe(before); // populated by mmap
    for (let i = 0; i < 16; i++) expect(cpu.store(shm + i * PAGE, 's')).toBe(0);
    expect(cpu.faults).toBe(before); // populated by mmap, writable at once
    expect(mm.mmap(0x30_0000, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, null, 0)).toBe(0x30_0000);
    expect(mm.pageCache.size).toBe(0);
  });
});
