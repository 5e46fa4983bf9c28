import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadVdso, VVAR_DEFAULT_CLOCKS, VVAR_OFFSET, VVAR_SIZE, type VvarParams, writeVvar } from './vdso.js';
import { buildVdso, compile, run, scratch } from './test-helpers.js';

const EXPORTS = ['clock_gettime', 'gettimeofday', 'time', 'clock_getres', 'getcpu'];

let so = '';
beforeAll(() => {
  so = buildVdso();
});

/** Defined dynamic functions of the built vDSO, all of version LINUX_2.6: name -> offset. */
function dynsyms(): Map<string, number> {
  const out = run('nm', ['-D', '--defined-only', so]);
  return new Map([...out.matchAll(/^([0-9a-f]+) [TW] (\S+)@@LINUX_2\.6$/gm)].map((m) => [m[2]!, parseInt(m[1]!, 16)]));
}

describe('the vDSO image', () => {
  it('exports the Linux x86-64 vDSO symbols, versioned LINUX_2.6', () => {
    const syms = run('readelf', ['--dyn-syms', '-W', so]);
    for (const name of EXPORTS) {
      expect(syms).toMatch(new RegExp(`FUNC +GLOBAL +DEFAULT +\\d+ __vdso_${name}@@LINUX_2\\.6$`, 'm'));
      expect(syms).toMatch(new RegExp(`FUNC +WEAK +DEFAULT +\\d+ ${name}@@LINUX_2\\.6$`, 'm'));
    }
    const table = dynsyms();
    for (const name of EXPORTS) expect(table.get(name)).toBe(table.get(`__vdso_${name}`));
    expect(run('readelf', ['-dW', so])).toMatch(/\(SONAME\)\s+Library soname: \[linux-vdso\.so\.1\]/);
  });

  it('needs no dynamic linker: no relocations, no PLT/GOT, no interpreter, one R+X segment', () => {
    expect(run('readelf', ['-rW', so])).toMatch(/There are no relocations in this file/);
    const dyn = run('readelf', ['-dW', so]);
    expect(dyn).toMatch(/\(HASH\)/);
    expect(dyn).toMatch(/\(GNU_HASH\)/);
    expect(dyn).not.toMatch(/TEXTREL|NEEDED|PLTGOT|JMPREL|\(RELA?\)/);
    const sections = run('readelf', ['-SW', so]);
    expect(sections).not.toMatch(/\.(plt|got|data|bss)\b/);
    const segs = run('readelf', ['-lW', so]);
    const loads = [...segs.matchAll(/^\s*LOAD\s.*$/gm)];
    expect(loads).toHaveLength(1);
    expect(loads[0]![0]).toMatch(/R E 0x1000$/);
    expect(segs).not.toMatch(/INTERP/);
    // The code reaches the vvar page only through RIP-relative addressing of its own header.
    expect(run('objdump', ['-d', so])).not.toMatch(/rdmsr|\bcall\s+\*|@plt/);
  });

  it('is what loadVdso returns, padded to whole pages', () => {
    const file = fs.readFileSync(so);
    const img = loadVdso();
    expect(img.pages).toBe(Math.ceil(file.length / 4096));
    expect(img.bytes.length).toBe(img.pages * 4096);
    expect(Buffer.from(img.bytes.subarray(0, file.length)).equals(file)).toBe(true);
    expect(img.bytes.subarray(file.length).every((b) => b === 0)).toBe(true);
    expect(img.vvarOffset).toBe(VVAR_OFFSET);
    expect(VVAR_OFFSET).toBe(-VVAR_SIZE);
    expect(loadVdso()).toBe(img);
  });

  it('provides every __vdso_ symbol a static glibc program looks up', () => {
    const exe = compile('hello.c', 'hello-vdso-names', ['-static']);
    const wanted = [...new Set(fs.readFileSync(exe, 'latin1').match(/__vdso_[a-z_0-9]+/g) ?? [])];
    expect(wanted).toContain('__vdso_clock_gettime');
    expect(fs.readFileSync(exe, 'latin1')).toContain('LINUX_2.6');
    const table = dynsyms();
    for (const name of wanted) expect(table.has(name), name).toBe(true);
  });
});

describe('writeVvar', () => {
  const params: VvarParams = {
    tscKhz: 3_000_000,
    tsc: 123_456_789_000n,
    realtimeNs: 1_700_000_000_000_000_000n,
    monotonicNs: 5_000_000_000n,
  };

  it('writes the layout vdso/vvar.h declares, inside an even sequence count', () => {
    const page = new DataView(new ArrayBuffer(2 * VVAR_SIZE));
    writeVvar(page, VVAR_SIZE, params);
    const at = (o: number): bigint => page.getBigUint64(VVAR_SIZE + o, true);
    expect(page.getUint32(VVAR_SIZE, true)).toBe(2);
    expect(page.getUint32(VVAR_SIZE + 4, true)).toBe(VVAR_DEFAULT_CLOCKS);
    expect(at(8)).toBe(params.tsc);
    const mult = at(16);
    const shift = BigInt(page.getUint32(VVAR_SIZE + 24, true));
    // 3 GHz: a third of a nanosecond per tick; a full second of ticks converts to 1e9 ns within 1 ns.
    expect((3_000_000_000n * mult) >> shift).toBeGreaterThanOrEqual(999_999_999n);
    expect((3_000_000_000n * mult) >> shift).toBeLessThanOrEqual(1_000_000_000n);
    expect(at(32)).toBe(params.realtimeNs);
    expect(at(40)).toBe(params.monotonicNs);
    expect(at(48)).toBe(params.monotonicNs); // boottime defaults to monotonic
    expect(new Uint8Array(page.buffer, 0, VVAR_SIZE).every((b) => b === 0)).toBe(true); // nothing outside its page
    writeVvar(page, VVAR_SIZE, { ...params, clocks: 1, boottimeNs: 7n, tzMinutesWest: -60, tzDstTime: 1 });
    expect(page.getUint32(VVAR_SIZE, true)).toBe(4);
    expect(page.getUint32(VVAR_SIZE + 4, true)).toBe(1);
    expect(at(48)).toBe(7n);
    expect(page.getInt32(VVAR_SIZE + 56, true)).toBe(-60);
    writeVvar(page, VVAR_SIZE, null);
    expect(page.getUint32(VVAR_SIZE, true)).toBe(6);
    expect(page.getUint32(VVAR_SIZE + 4, true)).toBe(0);
  });

  it('keeps precision for slow and fast TSCs', () => {
    for (const khz of [1, 1000, 32_768, 2_100_000, 4_294_967_295]) {
      const page = new DataView(new ArrayBuffer(VVAR_SIZE));
      writeVvar(page, 0, { ...params, tscKhz: khz });
      const mult = page.getBigUint64(16, true);
      const shift = BigInt(page.getUint32(24, true));
      expect(mult).toBeLessThan(1n << 64n);
      const ns = (BigInt(khz) * 1000n * 3600n * mult) >> shift; // one hour of ticks
      expect(Number(3_600_000_000_000n - ns)).toBeLessThan(3_600_000); // < 1 ppm
      expect(Number(3_600_000_000_000n - ns)).toBeGreaterThanOrEqual(0);
    }
  });

  it('rejects host bugs with RangeError', () => {
    const page = new DataView(new ArrayBuffer(VVAR_SIZE));
    expect(() => writeVvar(page, 0, { ...params, tscKhz: 0 })).toThrow(RangeError);
    expect(() => writeVvar(page, 0, { ...params, tscKhz: 1.5 })).toThrow(RangeError);
    expect(() => writeVvar(page, 0, { ...params, tsc: -1n })).toThrow(RangeError);
    expect(() => writeVvar(page, 0, { ...params, realtimeNs: 1n << 64n })).toThrow(RangeError);
    expect(() => writeVvar(page, 8, params)).not.toThrow();
    expect(() => writeVvar(page, VVAR_SIZE - 32, params)).toThrow(RangeError);
  });
});

describe('the vDSO running in this process', () => {
  let check = '';
  let sample: { tsc: bigint; realtime: bigint; monotonic: bigint; boottime: bigint };
  let tscKhz = 0;
  beforeAll(() => {
    check = compile('vdsocheck.c', 'vdsocheck');
    const lines = run(check, ['sample'])
      .trim()
      .split('\n')
      .map((l) => l.split(' ').slice(1).map(BigInt));
    const [a, b] = lines as [bigint[], bigint[]];
    tscKhz = Math.round(Number(b[0]! - a[0]!) / (Number(b[2]! - a[2]!) / 1e6));
    sample = { tsc: b[0]!, realtime: b[1]!, monotonic: b[2]!, boottime: b[3]! };
  });

  /** Writes a vvar page file, runs every vDSO entry point against it, and parses the report. */
  function runWith(edit: (page: DataView) => void) {
    const page = new DataView(new ArrayBuffer(VVAR_SIZE));
    edit(page);
    const file = scratch(`vvar-${Math.random().toString(36).slice(2)}.bin`);
    fs.writeFileSync(file, new Uint8Array(page.buffer));
    const t = dynsyms();
    const offs = ['clock_gettime', 'gettimeofday', 'time', 'getcpu', 'clock_getres'].map((n) => `0x${t.get(`__vdso_${n}`)!.toString(16)}`);
    const out = run(check, ['run', so, file, ...offs]);
    const clocks = new Map(
      [...out.matchAll(/^clock (-?\d+) (-?\d+) (-?\d+) (-?\d+) (-?\d+)$/gm)].map((m) => [
        Number(m[1]),
        { rc: Number(m[2]), ns: Number(m[3]), hostRc: Number(m[4]), hostNs: Number(m[5]) },
      ]),
    );
    const line = (name: string): number[] => new RegExp(`^${name} (.*)$`, 'm').exec(out)![1]!.split(' ').map(Number);
    return { clocks, gtod: line('gettimeofday'), time: line('time'), getcpu: line('getcpu'), getres: line('getres') };
  }
  const live =
    (offsetNs = 0n) =>
    (page: DataView) =>
      writeVvar(page, 0, {
        tscKhz,
        tsc: sample.tsc,
        realtimeNs: sample.realtime + offsetNs,
        monotonicNs: sample.monotonic,
        boottimeNs: sample.boottime,
      });
  const MS = 1e6;

  it('measured a plausible TSC rate', () => {
    expect(tscKhz).toBeGreaterThan(500_000);
    expect(tscKhz).toBeLessThan(10_000_000);
  });

  it('answers the served clocks from the TSC within 50 ms of the host', () => {
    const r = runWith(live());
    for (const id of [0, 1, 4, 5, 6, 7]) {
      const c = r.clocks.get(id)!;
      expect(c.rc, `clock ${id}`).toBe(0);
      // MONOTONIC_RAW is served as MONOTONIC: compare with the host's MONOTONIC.
      const host = id === 4 ? r.clocks.get(1)!.hostNs : c.hostNs;
      expect(Math.abs(c.ns - host), `clock ${id}`).toBeLessThan(50 * MS);
    }
    expect(Math.abs(r.gtod[1]! - r.gtod[2]!)).toBeLessThan(50_000);
    expect([r.gtod[0], r.gtod[3], r.gtod[4]]).toEqual([0, 0, 0]);
    expect(r.time[0]).toBe(r.time[1]);
    expect(Math.abs(r.time[0]! - r.time[2]!)).toBeLessThanOrEqual(1);
    expect(r.getcpu).toEqual([0, 0, 0]);
    expect(r.getres).toEqual([0, 0, 1]);
  });

  it('takes its time from the vvar page, not from the host', () => {
    const day = 86_400_000_000_000n;
    const r = runWith(live(day));
    const c = r.clocks.get(0)!;
    expect(Math.abs(c.ns - c.hostNs - Number(day))).toBeLessThan(50 * MS);
    expect(Math.abs(r.time[0]! - r.time[2]! - 86_400)).toBeLessThanOrEqual(1);
  });

  it('falls back to the system call for other clocks, returning -errno raw', () => {
    const r = runWith(live(86_400_000_000_000n));
    for (const id of [2, 3]) {
      const c = r.clocks.get(id)!; // CPU-time clocks: the real syscall
      expect(c.rc).toBe(0);
      expect(Math.abs(c.ns - c.hostNs)).toBeLessThan(50 * MS);
    }
    expect(r.clocks.get(100)!.rc).toBe(-22);
    expect(r.clocks.get(-1)!.rc).toBe(-22);
  });

  it('uses the system call for everything when the host turned it off or is mid-update', () => {
    const off = runWith((page) => {
      live(86_400_000_000_000n)(page);
      writeVvar(page, 0, null);
    });
    const stuck = runWith((page) => {
      live(86_400_000_000_000n)(page);
      page.setUint32(0, 7, true); // an odd sequence that never ends
    });
    for (const r of [off, stuck]) {
      const c = r.clocks.get(0)!;
      expect(c.rc).toBe(0);
      expect(Math.abs(c.ns - c.hostNs)).toBeLessThan(50 * MS);
      expect(Math.abs(r.gtod[1]! - r.gtod[2]!)).toBeLessThan(50_000);
    }
  });
});
