// The vDSO and vvar pages are one set of frames for all of a sandbox's
// processes: sampled and written once (a new sample at most once per
// VVAR_MAX_AGE_MS, for the processes that come after), copied only for a
// process that stores to them.
import { ACCESS_WRITE, PROT_EXEC, PROT_READ, PROT_WRITE } from '@tsv/platform';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadVdso, VVAR_SIZE } from '../loader/index.js';
import { FakeAddressSpace, FakePhysicalMemory, FAULT_OK, MemoryManager, PageCache } from '../mm/index.js';
import { VdsoPages, VVAR_MAX_AGE_MS } from './vdso-pages.js';

const PAGE = 4096;
/** Where writeVvar puts the TSC of its sample. */
const TSC_BASE = 8;

afterEach(() => vi.restoreAllMocks());

describe('VdsoPages', () => {
  it('maps the same frames into every process, copied only for one that stores to them', () => {
    let now = 5000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    let samples = 0;
    const pages = new VdsoPages(() => ({ tsc: BigInt(++samples) * 1000n, tscKhz: 2_000_000 }));
    const mem = new FakePhysicalMemory(64 << 20);
    const pageCache = new PageCache();
    const newProcess = () => new MemoryManager({ memory: mem, addressSpace: new FakeAddressSpace(), pageCache, checkMemory: true });
    const image = loadVdso();
    const frames = (mm: MemoryManager, vdso: number) =>
      Array.from({ length: 1 + image.pages }, (_, i) => mm.addressSpace.translate(vdso - VVAR_SIZE + i * PAGE, PROT_READ));
    const sampleTsc = (frame: number) => mem.view.getBigUint64(frame + TSC_BASE, true);

    const a = newProcess();
    const idle = mem.used; // before any vDSO page
    const b = newProcess();
    const va = pages.map(a);
    const vb = pages.map(b);
    expect(va).toBeGreaterThan(0);
    expect(vb).toBeGreaterThan(0);
    expect(samples).toBe(1);
    const shared = frames(a, va);
    expect(frames(b, vb)).toEqual(shared);
    expect(shared.every((f) => f >= 0)).toBe(true);
    expect(mem.bytes.subarray(shared[1]!, shared[1]! + image.bytes.length)).toEqual(image.bytes);
    expect(sampleTsc(shared[0]!)).toBe(1000n);
    expect(a.procMaps()).toMatch(/r--p 00000000 00:00 0 +\[vvar\]\n.*r-xp 00000000 00:00 0 +\[vdso\]\n/);

    // A sample this old is replaced for later processes; the earlier ones keep theirs.
    now += VVAR_MAX_AGE_MS;
    const c = newProcess();
    const vc = pages.map(c);
    expect(samples).toBe(2);
    const later = frames(c, vc);
    expect(later.slice(1)).toEqual(shared.slice(1));
    expect(later[0]).not.toBe(shared[0]);
    expect(sampleTsc(later[0]!)).toBe(2000n);
    expect(sampleTsc(frames(a, va)[0]!)).toBe(1000n);

    // A process that makes its vDSO writable and stores gets a copy of its own.
    expect(a.mprotect(va, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC)).toBe(0);
    expect(a.handleFault(va, ACCESS_WRITE)).toBe(FAULT_OK);
    const own = a.addressSpace.translate(va, PROT_WRITE);
    mem.bytes[own] = mem.bytes[own]! ^ 0xff;
    expect(frames(a, va)[1]).not.toBe(shared[1]);
    expect(frames(b, vb)).toEqual(shared);
    expect(mem.bytes.subarray(shared[1]!, shared[1]! + image.bytes.length)).toEqual(image.bytes);

    // The current sample and the vDSO stay for the processes to come; the first sample went with its last process.
    for (const mm of [a, b, c]) mm.release();
    expect(mem.used - idle).toBe(VVAR_SIZE + image.pages * PAGE);
    const d = newProcess();
    expect(frames(d, pages.map(d))).toEqual(later);
    expect(samples).toBe(2);
  });

  it('maps nothing without a TSC to sample', () => {
    const mm = new MemoryManager({ memory: new FakePhysicalMemory(16 << 20), addressSpace: new FakeAddressSpace() });
    expect(new VdsoPages(undefined).map(mm)).toBe(0);
    expect(mm.procMaps()).toBe('');
  });
});
