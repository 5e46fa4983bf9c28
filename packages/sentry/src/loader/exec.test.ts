// End to end on the host: a static glibc program started from this package's
// LoadPlan, initial stack, vvar page and vDSO by a small user-space exec
// (testdata/runner.c). It proves glibc accepts the stack and auxv (TLS via
// AT_PHDR, AT_RANDOM, AT_EXECFN) and reads its clocks from our vDSO.
import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadElf, type LoadPlan } from './elf.js';
import { AT, buildInitialStack } from './stack.js';
import { loadVdso, VVAR_SIZE, writeVvar } from './vdso.js';
import { buildVdso, compile, enc, fileSource, run, scratch } from './test-helpers.js';

const STACK_TOP = 0x3000_0000_0000;
const STACK_SIZE = 1 << 20;
const VDSO_BASE = 0x3000_0010_0000;
const DAY_NS = 86_400_000_000_000n;

let runner = '';
let staticExe = '';
let staticPie = '';
let tscKhz = 0;
let sample: bigint[] = [];
beforeAll(() => {
  buildVdso();
  runner = compile('runner.c', 'runner', ['-fPIE', '-pie']);
  staticExe = compile('hello.c', 'exec-static', ['-static']);
  staticPie = compile('hello.c', 'exec-static-pie', ['-static-pie']);
  const check = compile('vdsocheck.c', 'exec-vdsocheck');
  const [a, b] = run(check, ['sample'])
    .trim()
    .split('\n')
    .map((l) => l.split(' ').slice(1).map(BigInt)) as [bigint[], bigint[]];
  tscKhz = Math.round(Number(b[0]! - a[0]!) / (Number(b[2]! - a[2]!) / 1e6));
  sample = b;
});

/** This process's own auxv, so the guest gets the real CPU's HWCAP bits. */
function hostAuxv(): Map<number, number> {
  const raw = fs.readFileSync('/proc/self/auxv');
  const m = new Map<number, number>();
  for (let i = 0; i + 16 <= raw.length; i += 16) m.set(Number(raw.readBigUInt64LE(i)), Number(raw.readBigUInt64LE(i + 8)));
  return m;
}

interface Started {
  out: string;
  random: Uint8Array;
  plan: LoadPlan;
}

/** Plans `exe`, builds its process image, and runs it through the runner. */
function start(exe: string, opts: { base?: number; vdso: boolean }): Started {
  const plan = loadElf(fileSource(exe), opts.base === undefined ? {} : { base: opts.base });
  if (typeof plan === 'number') throw new Error(`loadElf: ${plan}`);
  const random = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff);
  const aux = hostAuxv();
  const stack = buildInitialStack({
    top: STACK_TOP,
    argv: [enc('prog'), enc('first arg'), enc('')],
    envp: [enc('GLIBC_TUNABLES=glibc.pthread.rseq=0'), enc('TSV=1')],
    execfn: enc('/guest/bin/prog'),
    random,
    image: plan,
    vdso: opts.vdso ? VDSO_BASE : undefined,
    hwcap: aux.get(AT.HWCAP),
    hwcap2: aux.get(AT.HWCAP2),
    minSigStkSz: aux.get(AT.MINSIGSTKSZ),
  });
  if (typeof stack === 'number') throw new Error(`buildInitialStack: ${stack}`);

  const tag = `${opts.base ?? 0}-${opts.vdso}-${Date.now()}`;
  const stackFile = scratch(`stack-${tag}`);
  const region = new Uint8Array(STACK_SIZE);
  region.set(stack.bytes, STACK_SIZE - stack.bytes.length);
  fs.writeFileSync(stackFile, region);
  const lines = plan.segments.map(
    (s) => `map ${s.start.toString(16)} ${(s.end - s.start).toString(16)} ${s.prot} ${exe} ${s.fileOffset} ${s.fileSize}`,
  );
  lines.push(`map ${(STACK_TOP - STACK_SIZE).toString(16)} ${STACK_SIZE.toString(16)} 3 ${stackFile} 0 ${STACK_SIZE}`);
  if (opts.vdso) {
    const img = loadVdso();
    const vdsoFile = scratch(`vdso-${tag}`);
    fs.writeFileSync(vdsoFile, img.bytes);
    const vvar = new DataView(new ArrayBuffer(VVAR_SIZE));
    writeVvar(vvar, 0, { tscKhz, tsc: sample[0]!, realtimeNs: sample[1]! + DAY_NS, monotonicNs: sample[2]!, boottimeNs: sample[3]! });
    const vvarFile = scratch(`vvar-${tag}`);
    fs.writeFileSync(vvarFile, new Uint8Array(vvar.buffer));
    lines.push(`map ${(VDSO_BASE + img.vvarOffset).toString(16)} ${VVAR_SIZE.toString(16)} 1 ${vvarFile} 0 ${VVAR_SIZE}`);
    lines.push(`map ${VDSO_BASE.toString(16)} ${img.bytes.length.toString(16)} 5 ${vdsoFile} 0 ${img.bytes.length}`);
  }
  lines.push(`start ${plan.entry.toString(16)} ${stack.sp.toString(16)}`);
  const manifest = scratch(`manifest-${tag}`);
  fs.writeFileSync(manifest, `${lines.join('\n')}\n`);
  const out = run(runner, [manifest], { ...process.env, GLIBC_TUNABLES: 'glibc.pthread.rseq=0' });
  return { out, random, plan };
}

function field(out: string, name: string): string {
  const m = new RegExp(`^${name}=(.*)$`, 'm').exec(out);
  if (!m) throw new Error(`no ${name} in:\n${out}`);
  return m[1]!;
}

function expectStartedCorrectly({ out, random }: Started): void {
  expect(field(out, 'argc')).toBe('3');
  expect([...out.matchAll(/^argv=(.*)$/gm)].map((m) => m[1])).toEqual(['prog', 'first arg', '']);
  expect([...out.matchAll(/^env=(.*)$/gm)].map((m) => m[1])).toEqual(['GLIBC_TUNABLES=glibc.pthread.rseq=0', 'TSV=1']);
  expect(field(out, 'execfn')).toBe('/guest/bin/prog');
  expect(field(out, 'platform')).toBe('x86_64');
  expect(field(out, 'random')).toBe(Buffer.from(random).toString('hex'));
  expect(out).toMatch(/^tls=42 bss=0 heap=1$/m);
}

describe('a static glibc program started from the loader plan', () => {
  it('runs as ET_EXEC and reads its clocks from the vDSO', () => {
    const s = start(staticExe, { vdso: true });
    expectStartedCorrectly(s);
    expect(field(s.out, 'vdso')).toBe(VDSO_BASE.toString(16));
    // Realtime is the vvar's (a day ahead of the host): proof glibc called our vDSO.
    const realtime = Number(field(s.out, 'realtime'));
    expect(Math.abs(realtime - Date.now() / 1000 - 86_400)).toBeLessThan(5);
    expect(Math.abs(Number(field(s.out, 'gettimeofday')) - Date.now() / 1000 - 86_400)).toBeLessThan(5);
    expect(Math.abs(Number(field(s.out, 'time')) - Date.now() / 1000 - 86_400)).toBeLessThan(5);
    const monotonic = Number(field(s.out, 'monotonic'));
    expect(Math.abs(monotonic - Number(process.hrtime.bigint()) / 1e9)).toBeLessThan(5);
    expect(field(s.out, 'cpu')).toBe('0');
  });

  it('runs as a static-PIE ET_DYN at a caller-given base', () => {
    const s = start(staticPie, { base: 0x2000_0000_0000, vdso: true });
    expect(s.plan.bias).toBe(0x2000_0000_0000);
    expectStartedCorrectly(s);
    expect(Math.abs(Number(field(s.out, 'realtime')) - Date.now() / 1000 - 86_400)).toBeLessThan(5);
  });

  it('falls back to system calls when no vDSO is mapped', () => {
    const s = start(staticExe, { vdso: false });
    expectStartedCorrectly(s);
    expect(field(s.out, 'vdso')).toBe('0');
    expect(Math.abs(Number(field(s.out, 'realtime')) - Date.now() / 1000)).toBeLessThan(5);
  });
});
