// Frame ownership: reference counts, the one place frames are freed, and
// the invariant check that catches any disagreement.
import { ACCESS_READ, ACCESS_WRITE } from '@tsv/platform';
import { describe, expect, it } from 'vitest';
import { MemoryAccount } from './account.js';
import { MADV_DONTNEED, MADV_REMOVE, MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, MREMAP_MAYMOVE, PROT_READ, PROT_WRITE } from './constants.js';
import { FakePhysicalMemory } from './fake.js';
import { type FrameHolder, Frames, MemoryInvariantError } from './frames.js';
import { guest, newMm } from './test-helpers.js';

const PAGE = 0x1000;
const RW = PROT_READ | PROT_WRITE;

describe('Frames', () => {
  it('frees a frame and gives back its charge only when the last reference goes', () => {
    const mem = new FakePhysicalMemory(1 << 20);
    const frames = Frames.of(mem);
    expect(Frames.of(mem)).toBe(frames); // one per memory: every process shares it
    const account = new MemoryAccount(8 * PAGE);
    const f = frames.allocate(2, account);
    expect([frames.refs(f), frames.refs(f + PAGE), account.used]).toEqual([1, 1, 2 * PAGE]);
    frames.ref(f + PAGE);
    frames.unref(f, 2);
    expect([frames.refs(f), frames.refs(f + PAGE), account.used, mem.used]).toEqual([0, 1, PAGE, 2 * PAGE]);
    frames.unref(f + PAGE);
    expect([account.used, mem.used]).toEqual([0, PAGE]); // frame 0 is the fake's reserved one
    expect(frames.allocate(9, account)).toBe(-1); // over the account: nothing taken
    expect([account.used, mem.used]).toEqual([0, PAGE]);
  });

  it('gives the charge of each frame back to the account it was charged to, however many accounts come and go', () => {
    const frames = Frames.of(new FakePhysicalMemory(1 << 20));
    const held: [MemoryAccount, number][] = [];
    for (let round = 0; round < 3; round++) {
      const a = new MemoryAccount();
      const b = new MemoryAccount();
      const fa = frames.allocate(2, a);
      const fb = frames.allocate(1, b);
      frames.unref(fa);
      expect([a.used, b.used]).toEqual([PAGE, PAGE]);
      frames.unref(fb);
      expect(b.used).toBe(0);
      held.push([a, fa + PAGE]); // a keeps a frame into the next rounds while b's index is reused
    }
    for (const [a, f] of held) {
      expect(a.used).toBe(PAGE);
      frames.unref(f);
      expect(a.used).toBe(0);
    }
  });

  it('a reference to a frame nobody holds is a broken invariant, never a silent free', () => {
    const frames = Frames.of(new FakePhysicalMemory(1 << 20));
    const f = frames.allocate(1, new MemoryAccount());
    frames.unref(f);
    expect(() => frames.unref(f)).toThrow(MemoryInvariantError);
    expect(() => frames.ref(f)).toThrow(MemoryInvariantError);
  });

  it('check() recounts the holders and names a frame whose count is off, or that is not a user frame', () => {
    const mem = new FakePhysicalMemory(1 << 20);
    const frames = Frames.of(mem);
    const held: number[] = [];
    const holder: FrameHolder = { holderName: 'test holder', forEachFrameRef: (fn) => held.forEach(fn) };
    frames.addHolder(holder);
    const f = frames.allocate(1, new MemoryAccount());
    expect(frames.check()).toMatch(/has 1 references but 0 holders/);
    held.push(f);
    expect(frames.check()).toBeNull();
    held.push(f);
    expect(frames.check()).toMatch(/has 1 references but 2 holders \(test holder, test holder\)/);
    held.pop();
    mem.free(f, 1); // freed behind Frames' back
    expect(frames.check()).toMatch(/is held \(1\) but is free/);
  });
});

describe('shared memory with an mremap alias', () => {
  /** MAP_SHARED anonymous pages, stored to, and a second mapping of them by mremap(old_size 0). */
  function aliased() {
    const t = newMm();
    const a = t.mm.mmap(0, 4 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);
    const g = guest(t.mm, t.as, t.mem);
    for (let i = 0; i < 4; i++) expect(g.store(a + i * PAGE, 'A')).toBe(0);
    const b = t.mm.mremap(a, 0, 4 * PAGE, MREMAP_MAYMOVE);
    expect(b).toBeGreaterThan(0);
    expect(g.load(b, 1)).toBe('A');
    return { ...t, a, b, g };
  }

  it('MADV_REMOVE through one mapping empties both, and the pages are not freed while mapped', () => {
    const { mm, as, mem, a, b, g } = aliased();
    const frame = as.translate(b, PROT_READ);
    expect(Frames.of(mem).refs(frame)).toBe(3); // the object, a, b
    expect(mm.madvise(a, 4 * PAGE, MADV_REMOVE)).toBe(0);
    // The hole left every mapping: nothing maps the old frame, which is free now.
    expect(as.translate(a, PROT_READ)).toBe(-1);
    expect(as.translate(b, PROT_READ)).toBe(-1);
    expect(Frames.of(mem).refs(frame)).toBe(0);
    // Churn: the freed frames are handed out again; the alias never sees them.
    const churn = mm.mmap(0, 64 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    for (let i = 0; i < 64; i++) expect(g.store(churn + i * PAGE, 'Z')).toBe(0);
    for (let i = 0; i < 4; i++) {
      expect(g.load(b + i * PAGE, 1)).toBe('\0');
      expect(g.load(a + i * PAGE, 1)).toBe('\0');
    }
    expect(g.store(a + PAGE + 7, 'y')).toBe(0); // still one page behind both
    expect(g.load(b + PAGE + 7, 1)).toBe('y');
    expect(mm.checkInvariants()).toBeNull();
  });

  it('MADV_DONTNEED or munmap of one mapping keeps the page for the other', () => {
    const { mm, as, mem, a, b, g } = aliased();
    const frame = as.translate(a, PROT_READ);
    expect(mm.madvise(a, PAGE, MADV_DONTNEED)).toBe(0);
    expect(Frames.of(mem).refs(frame)).toBe(2);
    expect(mm.munmap(b, 4 * PAGE)).toBe(0);
    expect(Frames.of(mem).refs(frame)).toBe(1); // the object's own
    expect(g.load(a, 1)).toBe('A');
    mm.release();
    expect(mem.used).toBe(PAGE);
    expect(mm.memoryUsed).toBe(0);
  });
});

describe('checkMemory', () => {
  it('a broken invariant ends the operation with MemoryInvariantError, naming it', () => {
    const { mm, as } = newMm();
    const a = mm.mmap(0, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    expect(mm.handleFault(a, ACCESS_WRITE)).toBe(0);
    // A mapping the process does not hold appears (as a refcount bug would leave one).
    as.map(a + 0x10_0000, PAGE, as.translate(a, PROT_READ), RW);
    expect(() => mm.handleFault(a, ACCESS_READ)).toThrow(
      /memory invariant broken: 0x[0-9a-f]+ maps frame 0x[0-9a-f]+ but the process holds no page there \(after page fault\)/,
    );
    expect(() => mm.mmap(0, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS)).toThrow(MemoryInvariantError);
    // Off, the same state is only reported when asked.
    const quiet = newMm({ checkMemory: false });
    const q = quiet.mm.mmap(0, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    quiet.as.map(q + 0x10_0000, PAGE, quiet.as.translate(q, PROT_READ), RW);
    expect(quiet.mm.mmap(0, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS)).toBeGreaterThan(0);
    expect(quiet.mm.checkInvariants()).toMatch(/holds no page there/);
  });

  it('a copy-in that faults is checked too', () => {
    const { mm, as } = newMm();
    const a = mm.mmap(0x1000_0000, 1 << 20, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    as.map(0x2000_0000, PAGE, PAGE * 10_000, RW); // a frame nobody allocated
    expect(() => mm.copyIn(a + 0x8_0000, new Uint8Array(8))).toThrow(/which is free/);
  });
});
