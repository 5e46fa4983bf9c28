import { describe, expect, it } from 'vitest';
import { FrameAllocator } from './frames.js';

function make(pages: number, first = 4): FrameAllocator {
  const buf = new ArrayBuffer(pages * 4096);
  return new FrameAllocator(new Uint8Array(buf), new DataView(buf), first * 4096);
}

describe('FrameAllocator', () => {
  it('never hands out the reserved frames or the same frame twice', () => {
    const a = make(64, 4);
    const seen = new Set<number>();
    for (;;) {
      const f = a.allocate(1);
      if (f < 0) break;
      expect(f).toBeGreaterThanOrEqual(4 * 4096);
      expect(seen.has(f)).toBe(false);
      seen.add(f);
    }
    expect(seen.size).toBe(60);
    expect(a.used).toBe(a.capacity);
  });

  it('allocates aligned contiguous runs and reuses freed ones, zeroed', () => {
    const a = make(2048, 256);
    const big = a.allocate(512, 2 << 20);
    expect(big % (2 << 20)).toBe(0);
    a.bytes.fill(0xaa, big, big + 512 * 4096);
    a.free(big, 512);
    const again = a.allocate(512, 2 << 20);
    expect(again).toBeGreaterThanOrEqual(0);
    const small = a.allocate(3);
    for (const f of [again, small]) expect(a.bytes[f]).toBe(0);
    expect(a.bytes.subarray(big, big + 512 * 4096).every((b) => b === 0 || b === 0xaa)).toBe(true);
    // whichever run reuses the dirty frames gets zeros
    const all = [again, small];
    for (const f of all) expect(a.bytes.subarray(f, f + 4096).every((b) => b === 0)).toBe(true);
  });

  it('keeps freed table frames out of use until released, and asks for that when memory runs out', () => {
    const a = make(8, 4); // 4 frames
    const tables = [a.allocateTable(), a.allocateTable()];
    const data = [a.allocate(1), a.allocate(1)];
    for (const t of tables) a.free(t, 1);
    a.free(data[0]!, 1);
    expect(a.quarantined).toBe(2);
    expect(a.used).toBe(3 * 4096); // quarantined frames still count
    expect(a.allocate(1)).toBe(data[0]); // only the data frame is free
    expect(a.allocate(1)).toBe(-1); // no reclaim hook: nothing more
    expect(() => a.free(tables[0]!, 1)).toThrow(/not allocated/); // quarantined is not allocated

    let asked = 0;
    a.reclaim = () => {
      asked++;
      a.release(a.takeQuarantined());
      return true;
    };
    const f = a.allocateTable();
    expect(asked).toBe(1);
    expect(tables).toContain(f);
    expect(a.quarantined).toBe(0);
    expect(a.used).toBe(3 * 4096);
  });

  it('asks the host to back runs of never-used frames, once per run, until it cannot', () => {
    const calls: [number, number][] = [];
    let ok = true;
    const buf = new ArrayBuffer(64 * 4096);
    const a = new FrameAllocator(new Uint8Array(buf), new DataView(buf), 4 * 4096, (o, l) => {
      calls.push([o, l]);
      return ok;
    });
    const f = a.allocate(8);
    const rest = a.allocate(52); // every other frame
    expect(calls).toEqual([[f, 8 * 4096], [rest, 52 * 4096]]);
    a.free(f, 8);
    expect(a.allocate(8)).toBe(f); // used before: backed already, only zeroed
    expect(calls.length).toBe(2);

    ok = false; // e.g. a kernel without MADV_POPULATE_WRITE
    const buf2 = new ArrayBuffer(64 * 4096);
    const b = new FrameAllocator(new Uint8Array(buf2), new DataView(buf2), 4 * 4096, (o, l) => {
      calls.push([o, l]);
      return ok;
    });
    expect(b.allocate(1)).toBeGreaterThan(0);
    expect(b.allocate(1)).toBeGreaterThan(0);
    expect(calls.length).toBe(3); // not asked again after a failure
  });

  it('fails cleanly when exhausted or asked nonsense, and rejects bad frees', () => {
    const a = make(16, 8);
    expect(a.allocate(9)).toBe(-1);
    expect(a.allocate(0)).toBe(-1);
    expect(a.allocate(-1)).toBe(-1);
    expect(() => a.free(0, 1)).toThrow(RangeError);
    const f = a.allocate(1);
    a.free(f, 1);
    expect(() => a.free(f, 1)).toThrow(/not allocated/);
  });
});
