import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { ARG_MAX, AT, buildInitialStack, type InitialStack, MAX_ARG_STRLEN, type StackOptions } from './stack.js';
import { enc } from './test-helpers.js';

const TOP = 0x7fff_ffff_f000;
const RANDOM = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const IMAGE = { phdr: 0x400040, phent: 56, phnum: 10, entry: 0x401530 };

function opts(over: Partial<StackOptions> = {}): StackOptions {
  return {
    top: TOP,
    argv: [enc('/bin/prog'), enc('-x'), enc('hello world')],
    envp: [enc('PATH=/bin'), enc('HOME=/root')],
    execfn: enc('/bin/prog'),
    random: RANDOM,
    image: IMAGE,
    ...over,
  };
}

function build(o: StackOptions): InitialStack {
  const s = buildInitialStack(o);
  if (typeof s === 'number') throw new Error(`buildInitialStack: ${s}`);
  return s;
}

/** Reads the stack as the guest would: a u64 or a C string at a guest address. */
function reader(s: InitialStack) {
  const view = new DataView(s.bytes.buffer);
  const word = (addr: number): number => Number(view.getBigUint64(addr - s.sp, true));
  const cstr = (addr: number): string => {
    const i = addr - s.sp;
    const end = s.bytes.indexOf(0, i);
    return new TextDecoder().decode(s.bytes.subarray(i, end));
  };
  return { word, cstr };
}

describe('buildInitialStack', () => {
  it('lays out argc, argv, envp and auxv as Linux does', () => {
    const o = opts({
      vdso: 0x7fff_f7fc_1000,
      interpBase: 0x7fff_f7fd_0000,
      cred: { uid: 1, euid: 2, gid: 3, egid: 4 },
      hwcap: 0x178bfbff,
      hwcap2: 2,
      minSigStkSz: 3632,
    });
    const s = build(o);
    const { word, cstr } = reader(s);
    expect(s.sp % 16).toBe(0);
    expect(s.bytes.length).toBe(TOP - s.sp);

    let p = s.sp;
    expect(word(p)).toBe(3);
    const args = [1, 2, 3].map((i) => cstr(word(p + 8 * i)));
    expect(args).toEqual(['/bin/prog', '-x', 'hello world']);
    expect(word(p + 32)).toBe(0);
    p += 40;
    expect([cstr(word(p)), cstr(word(p + 8))]).toEqual(['PATH=/bin', 'HOME=/root']);
    expect(word(p + 16)).toBe(0);
    p += 24;

    const auxv: Array<[number, number]> = [];
    for (; ; p += 16) {
      const k = word(p);
      if (k === AT.NULL) break;
      auxv.push([k, word(p + 8)]);
    }
    expect(word(p + 8)).toBe(0);
    expect(auxv).toEqual(s.auxv);
    // Linux's order: ARCH_DLINFO first, then create_elf_tables' list.
    expect(auxv.map(([k]) => k)).toEqual([
      AT.SYSINFO_EHDR,
      AT.MINSIGSTKSZ,
      AT.HWCAP,
      AT.PAGESZ,
      AT.CLKTCK,
      AT.PHDR,
      AT.PHENT,
      AT.PHNUM,
      AT.BASE,
      AT.FLAGS,
      AT.ENTRY,
      AT.UID,
      AT.EUID,
      AT.GID,
      AT.EGID,
      AT.SECURE,
      AT.RANDOM,
      AT.HWCAP2,
      AT.EXECFN,
      AT.PLATFORM,
    ]);
    const a = new Map(auxv);
    expect(a.get(AT.SYSINFO_EHDR)).toBe(0x7fff_f7fc_1000);
    expect(a.get(AT.MINSIGSTKSZ)).toBe(3632);
    expect(a.get(AT.HWCAP)).toBe(0x178bfbff);
    expect(a.get(AT.HWCAP2)).toBe(2);
    expect(a.get(AT.PAGESZ)).toBe(4096);
    expect(a.get(AT.CLKTCK)).toBe(100);
    expect([a.get(AT.PHDR), a.get(AT.PHENT), a.get(AT.PHNUM), a.get(AT.ENTRY)]).toEqual([0x400040, 56, 10, 0x401530]);
    expect(a.get(AT.BASE)).toBe(0x7fff_f7fd_0000);
    expect(a.get(AT.FLAGS)).toBe(0);
    expect([a.get(AT.UID), a.get(AT.EUID), a.get(AT.GID), a.get(AT.EGID)]).toEqual([1, 2, 3, 4]);
    expect(a.get(AT.SECURE)).toBe(0);
    expect(cstr(a.get(AT.EXECFN)!)).toBe('/bin/prog');
    expect(cstr(a.get(AT.PLATFORM)!)).toBe('x86_64');
    const rnd = a.get(AT.RANDOM)! - s.sp;
    expect([...s.bytes.subarray(rnd, rnd + 16)]).toEqual([...RANDOM]);
  });

  it('places the strings at the top exactly as Linux does', () => {
    const s = build(opts());
    const { word } = reader(s);
    const a = new Map(s.auxv);
    // From the top: a NULL word, execfn, the environment, the arguments, each NUL-terminated and packed.
    expect(word(TOP - 8)).toBe(0);
    const text = (from: number, to: number): string => new TextDecoder().decode(s.bytes.subarray(from - s.sp, to - s.sp));
    expect(text(s.argStart, TOP)).toBe('/bin/prog\0-x\0hello world\0PATH=/bin\0HOME=/root\0/bin/prog\0\0\0\0\0\0\0\0\0');
    expect(s.argEnd).toBe(s.envStart);
    expect(text(s.envStart, s.envEnd)).toBe('PATH=/bin\0HOME=/root\0');
    expect(a.get(AT.EXECFN)).toBe(s.envEnd);
    expect(word(s.sp + 8)).toBe(s.argStart);
    // Below the strings: the 16-byte boundary, "x86_64\0", then the random bytes, then padding to a 16-byte sp.
    const boundary = s.argStart - (s.argStart % 16);
    expect(a.get(AT.PLATFORM)).toBe(boundary - 7);
    expect(a.get(AT.RANDOM)).toBe(boundary - 7 - 16);
    const auxvEnd = s.sp + 8 * (1 + 3 + 1 + 2 + 1) + 16 * (s.auxv.length + 1);
    expect(a.get(AT.RANDOM)! - auxvEnd).toBeLessThan(16);
    expect(a.get(AT.RANDOM)! - auxvEnd).toBeGreaterThanOrEqual(0);
    expect(s.bytes.subarray(auxvEnd - s.sp, a.get(AT.RANDOM)! - s.sp).every((b) => b === 0)).toBe(true);
    expect(a.has(AT.SYSINFO_EHDR)).toBe(false);
  });

  it('keeps sp 16-byte aligned for every argument and environment count', () => {
    for (let argc = 0; argc < 6; argc++) {
      for (let envc = 0; envc < 4; envc++) {
        const s = build(
          opts({ argv: Array.from({ length: argc }, (_, i) => enc('a'.repeat(i))), envp: Array.from({ length: envc }, () => enc('E=1')) }),
        );
        expect(s.sp % 16).toBe(0);
        expect(reader(s).word(s.sp)).toBe(Math.max(argc, 1));
      }
    }
  });

  it('gives an empty argv an argv[0] of "" (Linux >= 5.18)', () => {
    const s = build(opts({ argv: [] }));
    const { word, cstr } = reader(s);
    expect(word(s.sp)).toBe(1);
    expect(cstr(word(s.sp + 8))).toBe('');
    expect(word(s.sp + 16)).toBe(0);
  });

  it('enforces MAX_ARG_STRLEN per string', () => {
    const max = new Uint8Array(MAX_ARG_STRLEN - 1).fill(0x61);
    expect(typeof buildInitialStack(opts({ argv: [max] }))).toBe('object');
    expect(buildInitialStack(opts({ argv: [new Uint8Array(MAX_ARG_STRLEN).fill(0x61)] }))).toBe(-E.E2BIG);
    expect(buildInitialStack(opts({ envp: [new Uint8Array(MAX_ARG_STRLEN).fill(0x61)] }))).toBe(-E.E2BIG);
  });

  it('enforces the total limit on strings and pointers, to the byte', () => {
    const argv = [enc('abc'), enc('de')];
    const envp = [enc('X=1')];
    const execfn = enc('/p');
    // 3 pointers + strings 4 + 3 + 4 + 3 = 24 + 14 = 38 bytes.
    expect(typeof buildInitialStack(opts({ argv, envp, execfn, argLimit: 38 }))).toBe('object');
    expect(buildInitialStack(opts({ argv, envp, execfn, argLimit: 37 }))).toBe(-E.E2BIG);
    // The default limit is ARG_MAX: 2 MiB of environment does not fit.
    const big = Array.from({ length: 17 }, () => new Uint8Array(MAX_ARG_STRLEN - 1).fill(0x62));
    expect(17 * MAX_ARG_STRLEN).toBeGreaterThan(ARG_MAX);
    expect(buildInitialStack(opts({ envp: big }))).toBe(-E.E2BIG);
    expect(typeof buildInitialStack(opts({ envp: big.slice(0, 15) }))).toBe('object');
    // Pointers alone can exceed it.
    expect(buildInitialStack(opts({ envp: Array.from({ length: ARG_MAX / 8 }, () => new Uint8Array(0)) }))).toBe(-E.E2BIG);
  });

  it('rejects a misaligned top or a wrong-sized random seed', () => {
    expect(buildInitialStack(opts({ top: TOP - 8 }))).toBe(-E.EINVAL);
    expect(buildInitialStack(opts({ random: new Uint8Array(8) }))).toBe(-E.EINVAL);
    expect(buildInitialStack(opts({ top: 64 }))).toBe(-E.EINVAL);
  });
});
