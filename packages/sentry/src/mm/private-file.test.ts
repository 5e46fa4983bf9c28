// Private file mappings read through the page cache: read-only pages share
// the cached frames between processes and across mappings (charged once),
// a store copies the page first, and the pages of a file no mapping uses
// any more are kept while it is unchanged and evicted when memory is short.
import { describe, expect, it } from 'vitest';
import { MemoryAccount } from './account.js';
import { MADV_POPULATE_WRITE, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from './constants.js';
import { FakeAddressSpace } from './fake.js';
import { PageCache } from './filecache.js';
import { MemoryManager } from './mm.js';
import { guest, memFile, newMm, pattern } from './test-helpers.js';

const PAGE = 4096;

/** An unchanging file: it has a version, so its pages may outlive its mappings. */
function versionedFile(data: Uint8Array, version = 'v1') {
  const f = memFile(data);
  return Object.assign(f, { version: () => version });
}

/** Two processes on one memory, one account and one page cache, as a sandbox's. */
function twoProcesses(limit = Infinity, cache = new PageCache()) {
  const account = new MemoryAccount(limit);
  const newAddressSpace = () => new FakeAddressSpace();
  const a = newMm({ account, pageCache: cache, newAddressSpace });
  const as = new FakeAddressSpace();
  const mm = new MemoryManager({ memory: a.mem, addressSpace: as, account, pageCache: cache, checkMemory: true, newAddressSpace });
  return { a, b: { mm, as, mem: a.mem }, account, cache };
}

describe('private file mappings', () => {
  it('map the same cached frames read-only in every process, charged once', () => {
    const data = pattern(8 * PAGE);
    const file = versionedFile(data);
    const { a, b, account } = twoProcesses();
    const va = a.mm.mmap(0, 8 * PAGE, PROT_READ, MAP_PRIVATE, file, 0);
    const used = account.used;
    expect(used).toBe(8 * PAGE);
    const vb = b.mm.mmap(0, 8 * PAGE, PROT_READ, MAP_PRIVATE, file, 0);
    expect(account.used).toBe(used); // no new frames
    for (let p = 0; p < 8; p++) {
      const fa = a.as.translate(va + p * PAGE, PROT_READ);
      expect(fa).toBeGreaterThanOrEqual(0);
      expect(b.as.translate(vb + p * PAGE, PROT_READ)).toBe(fa);
      expect(a.as.translate(va + p * PAGE, PROT_WRITE)).toBe(-1);
    }
    expect(guest(b.mm, b.as, b.mem).load(vb + 3 * PAGE, 4)).toBe(Buffer.from(data.subarray(3 * PAGE, 3 * PAGE + 4)).toString('latin1'));
    expect(file.reads).toBe(1); // one read brought all eight pages in
  });

  it('take their frames a run at a time: the cache one per read, the copies of a writable mapping one per fill', () => {
    const data = pattern(40 * PAGE);
    const { mm, mem } = newMm();
    const before = mem.allocations;
    const ro = mm.mmap(0, 40 * PAGE, PROT_READ, MAP_PRIVATE, memFile(data), 0);
    expect(ro).toBeGreaterThan(0);
    expect(mem.allocations - before).toBe(1);
    const rw = mm.mmap(0, 40 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, memFile(data), 0);
    expect(rw).toBeGreaterThan(0);
    expect(mem.allocations - before).toBe(3); // the second file's cache, then the copies
    expect(mm.readU32(rw + 39 * PAGE)).toBe(new DataView(data.buffer).getUint32(39 * PAGE, true));
  });

  it('a fill that stops at the end of the file gives back the copies it did not make', () => {
    const account = new MemoryAccount(Infinity);
    const { mm } = newMm({ account });
    const rw = mm.mmap(0, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, memFile(pattern(3 * PAGE + 5)), 0);
    expect(rw).toBeGreaterThan(0); // mmap populates what it can; the rest is SIGBUS when touched
    expect(account.used).toBe(4 * PAGE); // the four copies (the unversioned file's cache went with the fill)
    expect(mm.checkInvariants()).toBeNull();
  });

  it('copy a page before a store reaches it: the file, the cache and the other process keep the old bytes', () => {
    const data = pattern(4 * PAGE);
    const file = versionedFile(data);
    const { a, b } = twoProcesses();
    const va = a.mm.mmap(0, 4 * PAGE, PROT_READ, MAP_PRIVATE, file, 0);
    const vb = b.mm.mmap(0, 4 * PAGE, PROT_READ, MAP_PRIVATE, file, 0);
    expect(a.mm.mprotect(va, 4 * PAGE, PROT_READ | PROT_WRITE)).toBe(0);
    const cpuA = guest(a.mm, a.as, a.mem);
    expect(cpuA.store(va + PAGE + 8, 'mine')).toBe(0);
    expect(cpuA.load(va + PAGE + 8, 4)).toBe('mine');
    const original = Buffer.from(data.subarray(PAGE + 8, PAGE + 12)).toString('latin1');
    expect(guest(b.mm, b.as, b.mem).load(vb + PAGE + 8, 4)).toBe(original);
    const c = b.mm.mmap(0, 4 * PAGE, PROT_READ, MAP_PRIVATE, file, 0); // a new mapping reads the cache
    expect(guest(b.mm, b.as, b.mem).load(c + PAGE + 8, 4)).toBe(original);
    expect(a.mm.checkInvariants()).toBeNull();
  });

  it('writable private mappings get their own copies at once, and a fork shares them copy-on-write', () => {
    const file = versionedFile(pattern(4 * PAGE));
    const { a } = twoProcesses();
    const va = a.mm.mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, file, 0);
    const cpu = guest(a.mm, a.as, a.mem);
    expect(cpu.store(va, 'data')).toBe(0);
    expect(cpu.faults).toBe(0); // already a private, writable page
    const child = a.mm.fork();
    if (typeof child === 'number') throw new Error(`fork: ${child}`);
    expect(cpu.store(va, 'next')).toBe(0);
    expect(guest(child, child.addressSpace as FakeAddressSpace, a.mem).load(va, 4)).toBe('data');
    expect(child.checkInvariants()).toBeNull();
    child.release();
  });

  it('keep an unchanged file cached after its last mapping goes, and read it again once it changed', () => {
    const data = pattern(4 * PAGE);
    let version = 'v1';
    const file = Object.assign(memFile(data), { version: () => version });
    const { a, b, account } = twoProcesses();
    const va = a.mm.mmap(0, 4 * PAGE, PROT_READ, MAP_PRIVATE, file, 0);
    a.mm.release();
    expect(account.used).toBe(4 * PAGE); // the cache keeps the pages, charged to the account
    expect(b.mm.mmap(va, 4 * PAGE, PROT_READ, MAP_PRIVATE, file, 0)).toBeGreaterThan(0);
    expect(file.reads).toBe(1);
    b.mm.munmap(va, 4 * PAGE);
    version = 'v2';
    data.fill(7);
    const again = b.mm.mmap(0, 4 * PAGE, PROT_READ, MAP_PRIVATE, file, 0);
    expect(file.reads).toBe(2);
    expect(guest(b.mm, b.as, b.mem).load(again, 1)).toBe('\x07');
    expect(account.used).toBe(4 * PAGE); // the stale pages were freed
  });

  it('never keep the pages of a file without a version, and give idle pages back when memory is short', () => {
    const plain = memFile(pattern(4 * PAGE));
    const { a, b, account, cache } = twoProcesses(16 * PAGE);
    a.mm.mmap(0, 4 * PAGE, PROT_READ, MAP_PRIVATE, plain, 0);
    a.mm.release();
    expect(account.used).toBe(0);
    expect(cache.size).toBe(0);

    const file = versionedFile(pattern(12 * PAGE));
    const c = newMm({ account, pageCache: cache, memory: a.mem });
    c.mm.mmap(0, 12 * PAGE, PROT_READ, MAP_PRIVATE, file, 0);
    c.mm.release();
    expect(account.used).toBe(12 * PAGE); // idle, cached
    // 8 pages of anonymous memory only fit once the idle file is evicted.
    const anon = b.mm.mmap(0, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
    expect(b.mm.madvise(anon, 8 * PAGE, MADV_POPULATE_WRITE)).toBe(0);
    expect(account.used).toBe(8 * PAGE);
    expect(cache.size).toBe(0);
  });
});
