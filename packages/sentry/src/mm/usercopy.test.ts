import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_NONE, PROT_READ, PROT_WRITE } from './constants.js';
import { newMm, pattern } from './test-helpers.js';
import { U64 } from './usercopy.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
const PAGE = 0x1000;
const A = 0x10_0000;

function setup() {
  const t = newMm({ tunables: { faultAroundBytes: PAGE, streamBytes: 0, eagerBytes: 0 } });
  t.mm.mmap(A, 4 * PAGE, RW, ANON);
  t.mm.mmap(A + 4 * PAGE, PAGE, PROT_READ, ANON);
  t.mm.mmap(A + 5 * PAGE, PAGE, PROT_NONE, ANON);
  return t;
}

describe('copyIn / copyOut', () => {
  it('copies across page boundaries, faulting pages in on the way', () => {
    const { mm, as } = setup();
    const data = pattern(2 * PAGE + 100, 9);
    expect(mm.copyOut(A + PAGE - 50, data)).toBe(0);
    expect(mm.stats.faults).toBe(4); // A+4046 .. A+12338: four pages
    expect(as.ptes.size).toBe(4);
    const back = new Uint8Array(data.length);
    expect(mm.copyIn(A + PAGE - 50, back)).toBe(0);
    expect(back).toEqual(data);
    const small = new Uint8Array(6);
    expect(mm.copyIn(A + 2 * PAGE - 3, small)).toBe(0); // small, straddling
    expect(small).toEqual(data.subarray(PAGE - 3 + 50, PAGE + 3 + 50));
  });

  it('is -EFAULT for every bad pointer and never throws', () => {
    const { mm } = setup();
    const b = new Uint8Array(16);
    expect(mm.copyIn(0x50_0000, b)).toBe(-E.EFAULT); // unmapped
    expect(mm.copyOut(A + 4 * PAGE, b)).toBe(-E.EFAULT); // read-only
    expect(mm.copyIn(A + 4 * PAGE, b)).toBe(0);
    expect(mm.copyIn(A + 5 * PAGE, b)).toBe(-E.EFAULT); // PROT_NONE
    expect(mm.copyIn(A + 5 * PAGE - 8, b)).toBe(-E.EFAULT); // runs into PROT_NONE
    expect(mm.copyOut(A + 4 * PAGE - 8, b)).toBe(-E.EFAULT); // runs into read-only
    expect(mm.copyIn(0xffff_8000_0000_0000, b)).toBe(-E.EFAULT); // kernel half
    expect(mm.copyIn(2 ** 47 - 8, b)).toBe(-E.EFAULT);
    expect(mm.copyIn(-16, b)).toBe(-E.EFAULT);
    expect(mm.copyIn(A, b, -1)).toBe(-E.EFAULT);
    expect(mm.copyIn(A, b, 17)).toBe(-E.EFAULT); // longer than the buffer
    expect(mm.copyIn(A, b, 2 ** 60)).toBe(-E.EFAULT);
    expect(mm.copyIn(A + 0.5, b)).toBe(-E.EFAULT);
    expect(mm.copyIn(Number.NaN, b)).toBe(-E.EFAULT);
    expect(mm.copyIn(0, b)).toBe(-E.EFAULT); // NULL
    expect(mm.copyIn(0x50_0000, b, 0)).toBe(0); // nothing to copy
    expect(mm.zeroOut(A + 4 * PAGE, 1)).toBe(-E.EFAULT);
  });
});

describe('scalars', () => {
  it('reads and writes u32 and u64, aligned and straddling', () => {
    const { mm } = setup();
    const v = new U64();
    for (const at of [A, A + PAGE - 2, A + PAGE - 4, A + 2 * PAGE - 5]) {
      expect(mm.writeU32(at, 0xfedc_ba98)).toBe(0);
      expect(mm.readU32(at)).toBe(0xfedc_ba98);
      expect(mm.writeU64(at, 0x1234_5678, 0x9abc_def0)).toBe(0);
      expect(mm.readU64(at, v)).toBe(0);
      expect([v.lo, v.hi]).toEqual([0x1234_5678, 0x9abc_def0]);
    }
    expect(mm.writeU32(A + 4 * PAGE - 2, 1)).toBe(-E.EFAULT);
    expect(mm.readU64(A + 5 * PAGE - 4, v)).toBe(-E.EFAULT);
    expect(mm.readU32(2 ** 47 - 2)).toBe(-E.EFAULT);
    v.lo = 5;
    v.hi = 1;
    expect(v.value).toBe(2 ** 32 + 5);
  });
});

describe('readCString', () => {
  it('reads strings, also across pages', () => {
    const { mm } = setup();
    const s = new TextEncoder().encode('/etc/passwd\0');
    mm.copyOut(A + PAGE - 5, s);
    expect(new TextDecoder().decode(mm.readCString(A + PAGE - 5, 4096) as Uint8Array)).toBe('/etc/passwd');
    expect(mm.readCString(A + PAGE - 5, 11)).toBe(-E.ENAMETOOLONG); // the NUL must fit in max
    expect((mm.readCString(A + PAGE - 5, 12) as Uint8Array).length).toBe(11);
    expect((mm.readCString(A + 3 * PAGE, 10) as Uint8Array).length).toBe(0); // fresh zero page: ""
  });

  it('is -EFAULT when the string runs into a guard page, -ENAMETOOLONG before it if max is reached', () => {
    const { mm } = setup();
    const tail = A + 5 * PAGE - 10; // last bytes of the read-only page, PROT_NONE after
    mm.mprotect(A + 4 * PAGE, PAGE, RW);
    mm.copyOut(tail, new Uint8Array(10).fill(0x41));
    mm.mprotect(A + 4 * PAGE, PAGE, PROT_READ);
    expect(mm.readCString(tail, 4096)).toBe(-E.EFAULT);
    expect(mm.readCString(tail, 10)).toBe(-E.ENAMETOOLONG);
    expect(mm.readCString(0xffff_ffff_ffff_f000, 10)).toBe(-E.EFAULT);
    expect(mm.readCString(2 ** 47 - 1, 10)).toBe(-E.EFAULT);
  });
});

describe('readIovecs', () => {
  it('decodes struct iovec arrays and checks them like Linux', () => {
    const { mm } = setup();
    const write = (i: number, base: number, lenLo: number, lenHi = 0) => {
      mm.writeU64(A + i * 16, base % 2 ** 32, Math.floor(base / 2 ** 32));
      mm.writeU64(A + i * 16 + 8, lenLo, lenHi);
    };
    write(0, A + 100, 10);
    write(1, 0, 0);
    write(2, A, 0x7fff_ffff);
    expect(mm.readIovecs(A, 3)).toEqual([
      { base: A + 100, len: 10 },
      { base: 0, len: 0 },
      { base: A, len: 0x7fff_f000 - 10 },
    ]);
    expect(mm.readIovecs(A, 0)).toEqual([]);
    expect(mm.readIovecs(A, 1025)).toBe(-E.EINVAL);
    expect(mm.readIovecs(A, -1)).toBe(-E.EINVAL);
    write(1, 0, 5, 0x8000_0000);
    expect(mm.readIovecs(A, 2)).toBe(-E.EINVAL); // negative length
    write(1, 2 ** 47 - 4, 8);
    expect(mm.readIovecs(A, 2)).toBe(-E.EFAULT); // buffer leaves user space
    expect(mm.readIovecs(A + 4 * PAGE - 16, 2)).toEqual([
      { base: 0, len: 0 },
      { base: 0, len: 0 },
    ]); // into the read-only page
    expect(mm.readIovecs(A + 5 * PAGE - 16, 2)).toBe(-E.EFAULT); // array runs into PROT_NONE
  });
});
