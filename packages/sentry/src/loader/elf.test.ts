import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { DEFAULT_PIE_BASE, type ElfSource, loadElf, type LoadPlan, MIN_LOAD_ADDR, USER_ADDR_END } from './elf.js';
import { bytesSource, compile, fileSource, run } from './test-helpers.js';

const PAGE = 4096;

interface ReadelfLoad {
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  flags: string;
}

/** What binutils says about a file, to compare the loader against. */
function readelf(file: string): { entry: number; loads: ReadelfLoad[]; interp: string | null } {
  const out = run('readelf', ['-hlW', file]);
  const entry = Number(/Entry point address:\s+(0x[0-9a-f]+)/.exec(out)![1]);
  const loads = [...out.matchAll(/^\s*LOAD\s+(0x\S+)\s+(0x\S+)\s+0x\S+\s+(0x\S+)\s+(0x\S+)\s+([RWE ]+?)\s+0x\S+$/gm)].map((m) => ({
    offset: Number(m[1]),
    vaddr: Number(m[2]),
    filesz: Number(m[3]),
    memsz: Number(m[4]),
    flags: m[5]!.replace(/ /g, ''),
  }));
  const interp = /Requesting program interpreter: ([^\]]+)\]/.exec(out)?.[1] ?? null;
  return { entry, loads, interp };
}

function plan(src: ElfSource, base?: number): LoadPlan {
  const p = loadElf(src, base === undefined ? {} : { base });
  if (typeof p === 'number') throw new Error(`loadElf failed: ${p}`);
  return p;
}

/** Invariants every plan must satisfy, whatever file it came from. */
function checkInvariants(p: LoadPlan, size: number): void {
  expect(p.segments.length).toBeGreaterThan(0);
  let prevEnd = 0;
  for (const s of p.segments) {
    expect(s.start % PAGE).toBe(0);
    expect(s.end % PAGE).toBe(0);
    expect(s.fileOffset % PAGE).toBe(0);
    expect(s.start).toBeLessThan(s.end);
    expect(s.start).toBeGreaterThanOrEqual(Math.max(MIN_LOAD_ADDR, prevEnd - PAGE));
    expect(s.end).toBeLessThanOrEqual(USER_ADDR_END);
    expect(s.fileSize).toBeGreaterThanOrEqual(0);
    expect(s.start + s.fileSize).toBeLessThanOrEqual(s.end);
    expect(s.fileOffset + s.fileSize).toBeLessThanOrEqual(size);
    expect(s.prot & ~7).toBe(0);
    prevEnd = s.end;
  }
  expect(p.base).toBe(p.segments[0]!.start);
  expect(p.end).toBe(prevEnd);
  expect(p.brk).toBe(p.end);
  expect(p.entry).toBeGreaterThanOrEqual(p.base);
  expect(p.entry).toBeLessThan(p.end);
  expect(p.phent).toBe(56);
  if (p.type === 'exec') expect(p.bias).toBe(0);
}

/** Checks a plan against readelf's view of the same file. */
function matchesReadelf(p: LoadPlan, file: string): void {
  const r = readelf(file);
  expect(p.entry).toBe(r.entry + p.bias);
  expect(p.segments).toHaveLength(r.loads.length);
  r.loads.forEach((l, i) => {
    const s = p.segments[i]!;
    const pageOff = l.vaddr % PAGE;
    expect(s.start).toBe(l.vaddr - pageOff + p.bias);
    expect(s.end).toBe(Math.ceil((l.vaddr + l.memsz) / PAGE) * PAGE + p.bias);
    expect(s.fileOffset).toBe(l.offset - pageOff);
    expect(s.fileSize).toBe(l.filesz === 0 ? 0 : l.filesz + pageOff);
    expect(s.prot).toBe((l.flags.includes('R') ? 1 : 0) | (l.flags.includes('W') ? 2 : 0) | (l.flags.includes('E') ? 4 : 0));
  });
  checkInvariants(p, fs.statSync(file).size);
}

/** The program headers as readelf lists them, as the in-memory table the plan's phdr points at must read. */
function phdrTableOffset(file: string): number {
  return Number(/Start of program headers:\s+(\d+)/.exec(run('readelf', ['-hW', file]))![1]);
}

let staticExe = '';
let staticPie = '';
beforeAll(() => {
  staticExe = compile('hello.c', 'hello-static', ['-static']);
  staticPie = compile('hello.c', 'hello-static-pie', ['-static-pie']);
});

describe('loadElf on real binaries', () => {
  it('plans a static ET_EXEC exactly as its program headers say', () => {
    const p = plan(fileSource(staticExe));
    expect(p.type).toBe('exec');
    expect(p.interpreter).toBeNull();
    expect(p.execStack).toBe(false);
    expect(p.tls).not.toBeNull();
    expect(p.tls!.memSize).toBeGreaterThanOrEqual(4);
    matchesReadelf(p, staticExe);
    // No PT_PHDR in a static executable: found through the PT_LOAD that holds e_phoff.
    const first = readelf(staticExe).loads[0]!;
    expect(p.phdr).toBe(first.vaddr - first.offset + phdrTableOffset(staticExe));
    // The bss of hello.c (100000 bytes) lies beyond the file part of the writable segment.
    const rw = p.segments.find((s) => s.prot & 2)!;
    expect(rw.end - rw.start - rw.fileSize).toBeGreaterThan(100000);
  });

  it('relocates a static-PIE ET_DYN to the default base or a caller-given one', () => {
    const p = plan(fileSource(staticPie));
    expect(p.type).toBe('dyn');
    expect(p.base).toBe(DEFAULT_PIE_BASE);
    expect(p.interpreter).toBeNull();
    matchesReadelf(p, staticPie);
    const q = plan(fileSource(staticPie), 0x2000_0000_0000);
    expect(q.bias).toBe(0x2000_0000_0000);
    expect(q.entry - q.bias).toBe(p.entry - p.bias);
    expect(q.phdr - q.bias).toBe(p.phdr - p.bias);
    matchesReadelf(q, staticPie);
    // A base that is not page-aligned is rounded up, never down into someone else's pages.
    expect(plan(fileSource(staticPie), 0x2000_0000_0001).base).toBe(0x2000_0000_1000);
  });

  it.runIf(fs.existsSync('/bin/busybox'))('accepts /bin/busybox', () => {
    const p = plan(fileSource('/bin/busybox'));
    expect(p.interpreter).toBeNull();
    matchesReadelf(p, '/bin/busybox');
  });

  it('reports the interpreter of a dynamically linked executable', () => {
    const p = plan(fileSource('/bin/ls'));
    const r = readelf('/bin/ls');
    expect(new TextDecoder().decode(p.interpreter!)).toBe(r.interp);
    expect(p.type).toBe('dyn');
    // PT_PHDR gives the address directly.
    expect(p.phdr).toBe(p.bias + phdrTableOffset('/bin/ls'));
    matchesReadelf(p, '/bin/ls');
  });

  it('plans the interpreter itself at a second base', () => {
    const interp = new TextDecoder().decode(plan(fileSource('/bin/ls')).interpreter!);
    const ld = fs.realpathSync(interp);
    const p = plan(fileSource(ld), 0x7fff_f7fc_0000);
    expect(p.base).toBe(0x7fff_f7fc_0000);
    expect(p.interpreter).toBeNull();
    matchesReadelf(p, ld);
  });
});

// Field offsets in the ELF header and in program header 0 of the static executable.
const EH = { class: 4, data: 5, version: 6, type: 16, machine: 18, entry: 24, phoff: 32, phent: 54, phnum: 56 };
const PH = { type: 0, flags: 4, offset: 8, vaddr: 16, filesz: 32, memsz: 40, align: 48 };

describe('loadElf rejects malformed files with ENOEXEC', () => {
  let good: Uint8Array;
  let phoff = 0;
  let loadIdx: number[] = [];
  beforeAll(() => {
    good = fs.readFileSync(staticExe);
    const v = new DataView(good.buffer, good.byteOffset);
    phoff = Number(v.getBigUint64(EH.phoff, true));
    const phnum = v.getUint16(EH.phnum, true);
    loadIdx = [...Array(phnum).keys()].filter((i) => v.getUint32(phoff + i * 56, true) === 1);
  });

  /** Applies `edit` to a copy of the static executable and loads it. */
  function load(edit: (v: DataView, ph: (load: number, field: number) => number) => void, size?: number): LoadPlan | number {
    const b = new Uint8Array(good);
    edit(new DataView(b.buffer), (n, f) => phoff + loadIdx[n]! * 56 + f);
    return loadElf(bytesSource(size === undefined ? b : b.subarray(0, size)));
  }

  const cases: Array<[string, (v: DataView, ph: (load: number, field: number) => number) => void]> = [
    ['bad magic', (v) => v.setUint8(1, 0x46)],
    ['32-bit class', (v) => v.setUint8(EH.class, 1)],
    ['big-endian data', (v) => v.setUint8(EH.data, 2)],
    ['bad ident version', (v) => v.setUint8(EH.version, 0)],
    ['relocatable object', (v) => v.setUint16(EH.type, 1, true)],
    ['wrong machine', (v) => v.setUint16(EH.machine, 3, true)],
    ['wrong phentsize', (v) => v.setUint16(EH.phent, 32, true)],
    ['no program headers', (v) => v.setUint16(EH.phnum, 0, true)],
    ['extended phnum', (v) => v.setUint16(EH.phnum, 0xffff, true)],
    ['phdrs past end of file', (v) => v.setBigUint64(EH.phoff, 0xffff_ffff_ffff_fff0n, true)],
    ['entry outside every segment', (v) => v.setBigUint64(EH.entry, 0x1000n, true)],
    ['filesz > memsz', (v, ph) => v.setBigUint64(ph(0, PH.filesz), v.getBigUint64(ph(0, PH.memsz), true) + 1n, true)],
    [
      'vaddr + memsz wraps',
      (v, ph) => {
        v.setBigUint64(ph(1, PH.vaddr), 0xffff_ffff_ffff_f000n, true);
        v.setBigUint64(ph(1, PH.offset), 0n, true);
      },
    ],
    ['segment beyond the user range', (v, ph) => v.setBigUint64(ph(3, PH.memsz), 0x8000_0000_0000n, true)],
    [
      'segment at address 0',
      (v, ph) => {
        v.setBigUint64(ph(0, PH.vaddr), 0n, true);
        v.setBigUint64(ph(0, PH.offset), 0n, true);
      },
    ],
    ['offset incongruent with vaddr', (v, ph) => v.setBigUint64(ph(1, PH.offset), v.getBigUint64(ph(1, PH.offset), true) + 8n, true)],
    ['non-power-of-two p_align', (v, ph) => v.setBigUint64(ph(1, PH.align), 0x3000n, true)],
    ['overlapping segments', (v, ph) => v.setBigUint64(ph(1, PH.vaddr), v.getBigUint64(ph(0, PH.vaddr), true), true)],
    ['unordered segments', (v, ph) => v.setBigUint64(ph(2, PH.vaddr), v.getBigUint64(ph(2, PH.vaddr), true) - 0x100000n, true)],
    ['file data past the end of the file', (v, ph) => v.setBigUint64(ph(1, PH.filesz), 0x1000_0000n, true)],
    [
      'huge 64-bit offset',
      (v, ph) => v.setBigUint64(ph(1, PH.offset), 0xffff_ffff_ffff_f000n + (v.getBigUint64(ph(1, PH.vaddr), true) & 0xfffn), true),
    ],
  ];
  it.each(cases)('%s', (_name, edit) => {
    expect(load(edit)).toBe(-E.ENOEXEC);
  });

  it('accepts the unmodified file (the cases above each break one thing)', () => {
    expect(typeof load(() => {})).toBe('object');
  });

  it('rejects truncated files', () => {
    for (const size of [0, 10, 63, 64, phoff + 30]) expect(load(() => {}, size)).toBe(-E.ENOEXEC);
    const v = new DataView(good.buffer, good.byteOffset);
    const last = phoff + loadIdx[loadIdx.length - 1]! * 56;
    const fileEnd = Number(v.getBigUint64(last + PH.offset, true) + v.getBigUint64(last + PH.filesz, true));
    expect(typeof load(() => {}, fileEnd)).toBe('object');
    expect(load(() => {}, fileEnd - 1)).toBe(-E.ENOEXEC); // the last segment's file bytes are cut
  });

  it('passes a read error through', () => {
    expect(loadElf(bytesSource(good, 64, -E.EIO))).toBe(-E.EIO);
    expect(loadElf(bytesSource(good, 0, -E.EACCES))).toBe(-E.EACCES);
  });

  it('checks PT_INTERP: NUL-terminated, bounded', () => {
    const ls = fs.readFileSync('/bin/ls');
    const v = new DataView(ls.buffer, ls.byteOffset);
    const lsPhoff = Number(v.getBigUint64(EH.phoff, true));
    const phnum = v.getUint16(EH.phnum, true);
    const i = [...Array(phnum).keys()].find((k) => v.getUint32(lsPhoff + k * 56, true) === 3)!;
    const at = (f: number): number => lsPhoff + i * 56 + f;
    const edited = (edit: (w: DataView) => void): number | LoadPlan => {
      const b = new Uint8Array(ls);
      edit(new DataView(b.buffer));
      return loadElf(bytesSource(b));
    };
    const off = Number(v.getBigUint64(at(PH.offset), true));
    const len = Number(v.getBigUint64(at(PH.filesz), true));
    expect(edited((w) => w.setUint8(off + len - 1, 0x41))).toBe(-E.ENOEXEC); // no NUL
    expect(edited((w) => w.setUint8(off + 3, 0))).toBe(-E.ENOEXEC); // embedded NUL
    expect(edited((w) => w.setBigUint64(at(PH.filesz), 8192n, true))).toBe(-E.ENOEXEC); // > PATH_MAX
    expect(edited((w) => w.setBigUint64(at(PH.filesz), 1n, true))).toBe(-E.ENOEXEC);
  });
});

describe('loadElf under fuzzing', () => {
  /** xorshift32: the same sequence on every run, so a failure can be replayed. */
  function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x;
    };
  }
  const interesting = [0n, 1n, 0xfffn, 0x1000n, 0x7fff_ffff_f000n, 0x8000_0000_0000n, 0xffff_ffff_ffff_ffffn, 0x1_0000_0000n, 0x40_0000n];

  it.each([
    ['static', () => staticExe],
    ['static-pie', () => staticPie],
    ['dynamic', () => '/bin/ls'],
  ])('never throws on mutated %s headers; every plan keeps the invariants', (_n, file) => {
    const original = fs.readFileSync(file());
    const v0 = new DataView(original.buffer, original.byteOffset);
    const head = Number(v0.getBigUint64(EH.phoff, true)) + v0.getUint16(EH.phnum, true) * 56;
    const next = rng(head);
    let plans = 0;
    let rejected = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const mutated = new Uint8Array(original.subarray(0, head)); // a copy: Buffer#slice would alias
      const v = new DataView(mutated.buffer);
      const edits = next() % 4 === 0 ? 2 + (next() % 5) : 1; // mostly single edits, so some files stay loadable
      for (let e = 0; e < edits; e++) {
        const r = next();
        if (r % 3 === 0) mutated[next() % head] = next() & 0xff;
        else {
          // A whole aligned 8-byte field set to a boundary value, where the bugs live.
          const at = (next() % Math.floor(head / 8)) * 8;
          v.setBigUint64(at, interesting[next() % interesting.length]!, true);
        }
      }
      const size = next() % 10 === 0 ? next() % original.length : original.length;
      const src: ElfSource = {
        size,
        pread(buf, len, offset) {
          const n = Math.max(0, Math.min(len, size - offset));
          for (let k = 0; k < n; k++) buf[k] = offset + k < head ? mutated[offset + k]! : original[offset + k]!;
          return n;
        },
      };
      const p = loadElf(src);
      if (typeof p === 'number') {
        expect(p).toBe(-E.ENOEXEC);
        rejected++;
      } else {
        checkInvariants(p, size);
        plans++;
      }
    }
    // Both outcomes must occur, or the mutations are not reaching the checks.
    expect(plans).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(500);
  });
});
