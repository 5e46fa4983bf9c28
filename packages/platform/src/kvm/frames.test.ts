import { describe, expect, it } from 'vitest';
import { FRAME_FREE, FRAME_INVALID, FRAME_KERNEL, FRAME_USER } from '../platform.js';
import { FrameAllocator } from './frames.js';

const PAGE = 4096;

/** `pages` frames: `first` reserved, the last `tables` for page tables. */
function make(pages: number, first = 4, tables = 4, populate?: (offset: number, length: number) => boolean): FrameAllocator {
  const buf = new ArrayBuffer(pages * PAGE);
  return new FrameAllocator(new Uint8Array(buf), new DataView(buf), first * PAGE, tables * PAGE, populate);
}

describe('FrameAllocator', () => {
  it('never hands out the reserved frames, table frames or the same frame twice', () => {
    const a = make(64, 4, 8);
    const seen = new Set<number>();
    for (;;) {
      const f = a.allocate(1);
      if (f < 0) break;
      expect(f).toBeGreaterThanOrEqual(4 * PAGE);
      expect(f).toBeLessThan(56 * PAGE);
      expect(seen.has(f)).toBe(false);
      seen.add(f);
    }
    expect(seen.size).toBe(52);
    expect(a.used).toBe(a.userCapacity);
    expect(a.capacity).toBe(60 * PAGE);
  });

  it('keeps page tables and user frames in their own regions, whatever is freed', () => {
    const a = make(32, 4, 4);
    const tables = [a.allocateTable(), a.allocateTable()];
    const users = [a.allocate(1), a.allocate(2)];
    for (const t of tables) {
      expect(t).toBeGreaterThanOrEqual(28 * PAGE);
      expect(a.isTableFrame(t)).toBe(true);
      expect(a.frameKind(t)).toBe(FRAME_KERNEL);
      expect(a.isUserRange(t, PAGE)).toBe(false);
    }
    for (const u of users) {
      expect(u).toBeLessThan(28 * PAGE);
      expect(a.isTableFrame(u)).toBe(false);
      expect(a.frameKind(u)).toBe(FRAME_USER);
    }
    // A user frame freed (even one a mapping might still use) never becomes a table, nor a table a user frame.
    a.free(users[0]!, 1);
    expect(a.frameKind(users[0]!)).toBe(FRAME_FREE);
    a.freeTable(tables[0]!);
    a.release(a.takeQuarantined());
    for (let f = a.allocateTable(); f >= 0; f = a.allocateTable()) expect(f).toBeGreaterThanOrEqual(28 * PAGE);
    for (let f = a.allocate(1); f >= 0; f = a.allocate(1)) expect(f).toBeLessThan(28 * PAGE);
    // Each kind of free refuses the other kind of frame.
    expect(() => a.free(tables[1]!, 1)).toThrow(RangeError);
    expect(() => a.freeTable(users[1]!)).toThrow(/not an allocated table/);
    expect(() => a.free(27 * PAGE, 2)).toThrow(RangeError); // a run straddling the regions
    expect(a.frameKind(0)).toBe(FRAME_KERNEL);
    for (const bad of [32 * PAGE, -PAGE, 100, Number.NaN]) expect(a.frameKind(bad)).toBe(FRAME_INVALID);
  });

  it('refuses a table region that leaves no user frames', () => {
    expect(() => make(16, 4, 12)).toThrow(RangeError);
    expect(() => make(16, 4, 0)).toThrow(RangeError);
    expect(() => make(16, 4, 0.5)).toThrow(RangeError);
  });

  it('allocates aligned contiguous runs and reuses freed ones, zeroed', () => {
    const a = make(2048, 256, 16);
    const big = a.allocate(512, 2 << 20);
    expect(big % (2 << 20)).toBe(0);
    a.bytes.fill(0xaa, big, big + 512 * PAGE);
    a.free(big, 512);
    const again = a.allocate(512, 2 << 20);
    expect(again).toBeGreaterThanOrEqual(0);
    const small = a.allocate(3);
    // whichever run reuses the dirty frames gets zeros
    for (const f of [again, small]) expect(a.bytes.subarray(f, f + PAGE).every((b) => b === 0)).toBe(true);
  });

  it('keeps freed table frames out of use until released, and asks for that when table frames run out', () => {
    const a = make(16, 4, 2);
    const tables = [a.allocateTable(), a.allocateTable()];
    expect(a.allocateTable()).toBe(-1);
    for (const t of tables) a.freeTable(t);
    expect(a.quarantined).toBe(2);
    expect(a.used).toBe(2 * PAGE); // quarantined frames still count
    expect(a.isTableFrame(tables[0]!)).toBe(false); // no entry may point at it now
    expect(a.allocateTable()).toBe(-1); // no reclaim hook: nothing more
    expect(() => a.freeTable(tables[0]!)).toThrow(/not an allocated table/); // quarantined is not allocated

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
    expect(a.used).toBe(PAGE);
  });

  it('asks the host to back runs of never-used frames, once per run, until it cannot', () => {
    const calls: [number, number][] = [];
    let ok = true;
    const a = make(64, 4, 4, (o, l) => {
      calls.push([o, l]);
      return ok;
    });
    const f = a.allocate(8);
    const rest = a.allocate(48); // every other user frame
    expect(calls).toEqual([
      [f, 8 * PAGE],
      [rest, 48 * PAGE],
    ]);
    a.free(f, 8);
    expect(a.allocate(8)).toBe(f); // used before: backed already, only zeroed
    expect(calls.length).toBe(2);
    const t = a.allocateTable();
    expect(calls[2]).toEqual([t, PAGE]);

    ok = false; // e.g. a kernel without MADV_POPULATE_WRITE
    const b = make(64, 4, 4, (o, l) => {
      calls.push([o, l]);
      return ok;
    });
    expect(b.allocate(1)).toBeGreaterThan(0);
    expect(b.allocate(1)).toBeGreaterThan(0);
    expect(calls.length).toBe(4); // not asked again after a failure
  });

  it('reuses freed frames before never-used ones: a loop that allocates and frees backs no new memory', () => {
    const calls: number[] = [];
    const a = make(4096, 4, 64, (o) => {
      calls.push(o);
      return true;
    });
    const keep = a.allocate(16);
    for (let i = 0; i < 100; i++) {
      const run = a.allocate(16);
      const one = a.allocate(1);
      a.free(run, 16);
      a.free(one, 1);
    }
    expect(calls.length).toBe(3); // keep, the first run and the first single frame
    a.free(keep, 16);
    expect(a.allocate(8)).toBe(keep); // the lowest free frame comes first
  });

  it('hands out each frame once across chunks, whatever the pattern of sizes, alignments and frees', () => {
    const a = make(3000, 7, 100);
    const owner = new Int32Array(3000).fill(-1);
    const live: [number, number][] = [];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let step = 0; step < 2000; step++) {
      if (live.length > 0 && rand(3) === 0) {
        const [f, n] = live.splice(rand(live.length), 1)[0]!;
        a.free(f * PAGE, n);
        owner.fill(-1, f, f + n);
        continue;
      }
      const n = [1, 1, 3, 16, 64, 100][rand(6)]!;
      const align = rand(4) === 0 ? 64 * PAGE : PAGE;
      const got = a.allocate(n, align);
      const free = (f: number) => f >= 7 && f + n <= 2900 && owner.subarray(f, f + n).every((o) => o === -1);
      if (got < 0) {
        // Nothing fitting was free (the model agrees).
        for (let f = 0; f + n <= 2900; f += align / PAGE) expect(free(f)).toBe(false);
        continue;
      }
      const f = got / PAGE;
      expect(got % align).toBe(0);
      expect(free(f)).toBe(true);
      owner.fill(step, f, f + n);
      live.push([f, n]);
    }
    expect(a.used).toBe(live.reduce((sum, [, n]) => sum + n * PAGE, 0));
  });

  it('fails cleanly when exhausted or asked nonsense, and rejects bad frees', () => {
    const a = make(16, 8, 4);
    expect(a.allocate(5)).toBe(-1);
    expect(a.allocate(0)).toBe(-1);
    expect(a.allocate(-1)).toBe(-1);
    expect(() => a.free(0, 1)).toThrow(RangeError);
    const f = a.allocate(1);
    a.free(f, 1);
    expect(() => a.free(f, 1)).toThrow(/not allocated/);
    expect(() => a.free(f, 0)).toThrow(RangeError);
  });
});
