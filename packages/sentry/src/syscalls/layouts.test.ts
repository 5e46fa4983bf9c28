// Struct layouts the handlers write, checked against this machine's C
// compiler: each handler's output is decoded at the offsets gcc reports.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, handlerOf, makeTask } from '../testing/fake-task.js';
import { PROCESS_SYSCALLS } from './process.js';
import { SIGNAL_SYSCALLS } from './signal.js';
import { TIME_SYSCALLS } from './time.js';

const SRC = fileURLToPath(new URL('./testdata/layouts.c', import.meta.url));
const layout = new Map<string, { off: number; size: number }>();
const sizes = new Map<string, number>();

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-layouts-'));
  try {
    const exe = path.join(dir, 'layouts');
    execFileSync('gcc', ['-o', exe, SRC], { stdio: 'pipe' });
    for (const line of execFileSync(exe, { encoding: 'utf8' }).trim().split('\n')) {
      const tokens = line.split(' ');
      const firstNumber = tokens.findIndex((x) => /^\d+$/.test(x));
      const name = tokens.slice(0, firstNumber).join(' ');
      const nums = tokens.slice(firstNumber).map(Number);
      if (nums.length === 2) layout.set(name, { off: nums[0]!, size: nums[1]! });
      else sizes.set(name, nums[0]!);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function field(name: string): { off: number; size: number } {
  const f = layout.get(name);
  if (f === undefined) throw new Error(`layouts.c printed no ${name}`);
  return f;
}

function sizeOf(name: string): number {
  const n = sizes.get(name);
  if (n === undefined) throw new Error(`layouts.c printed no size for ${name}`);
  return n;
}

const proc = (n: string) => handlerOf(PROCESS_SYSCALLS, n);

describe('struct layouts against gcc', () => {
  it('parses the program output', () => {
    expect(layout.size).toBe(30);
    expect(sizes.size).toBe(9);
  });

  it('utsname: six 65-byte fields', () => {
    const t = makeTask();
    expect(sizeOf('struct utsname')).toBe(390);
    const buf = t.mm.alloc(390);
    expect(call(t, proc('uname'), buf)).toBe(0);
    const str = (name: string): string => {
      const f = field(`struct utsname.${name}`);
      const b = t.mm.read(buf + f.off, f.size);
      return new TextDecoder().decode(b.subarray(0, b.indexOf(0)));
    };
    expect(str('sysname')).toBe('Linux');
    expect(str('nodename')).toBe('tsv');
    expect(str('release')).toBe('6.1.0-tsv');
    expect(str('version')).toBe('#1 SMP tsv');
    expect(str('machine')).toBe('x86_64');
    expect(str('domainname')).toBe('(none)');
    const dn = field('struct utsname.domainname');
    expect(dn.off + dn.size).toBe(390);
  });

  it('rlimit: cur then max, u64 each', () => {
    const t = makeTask();
    expect(sizeOf('struct rlimit')).toBe(16);
    const buf = t.mm.alloc(16);
    expect(call(t, proc('getrlimit'), 7, buf)).toBe(0);
    const dv = t.mm.dv(buf, 16);
    expect(dv.getBigUint64(field('struct rlimit.rlim_cur').off, true)).toBe(1024n);
    expect(dv.getBigUint64(field('struct rlimit.rlim_max').off, true)).toBe(4096n);
    expect(field('struct rlimit.rlim_max').size).toBe(8);
  });

  it('sysinfo: totalram, procs, mem_unit', () => {
    const t = makeTask();
    expect(sizeOf('struct sysinfo')).toBe(112);
    const buf = t.mm.alloc(112);
    expect(call(t, proc('sysinfo'), buf)).toBe(0);
    const dv = t.mm.dv(buf, 112);
    expect(dv.getBigUint64(field('struct sysinfo.totalram').off, true)).toBe(BigInt(t.kernel.platform.memory.capacity));
    expect(field('struct sysinfo.procs').size).toBe(2);
    expect(dv.getUint16(field('struct sysinfo.procs').off, true)).toBe(1);
    expect(field('struct sysinfo.mem_unit').size).toBe(4);
    expect(dv.getUint32(field('struct sysinfo.mem_unit').off, true)).toBe(1);
    const mu = field('struct sysinfo.mem_unit');
    // The structure is 112 bytes: mem_unit is followed only by padding (_f).
    expect(mu.off + mu.size).toBeLessThanOrEqual(112);
  });

  it('rusage: timevals first, then ru_maxrss and ru_minflt; 144 bytes', () => {
    const t = makeTask();
    expect(sizeOf('struct rusage')).toBe(144);
    const buf = t.mm.alloc(144);
    t.mm.write(buf, new Uint8Array(144).fill(0xee));
    expect(call(t, proc('getrusage'), 0, buf)).toBe(0);
    const dv = t.mm.dv(buf, 144);
    const ut = field('struct rusage.ru_utime');
    expect(ut.size).toBe(16);
    expect(dv.getBigInt64(ut.off + field('struct timeval.tv_usec').off, true)).toBeLessThan(1_000_000n);
    expect(dv.getBigInt64(field('struct rusage.ru_maxrss').off, true)).toBeGreaterThanOrEqual(0n);
    // Every byte was written (no 0xee left), including the fields after ru_minflt.
    expect(t.mm.read(buf, 144).includes(0xee)).toBe(false);
  });

  it('stack_t: ss_sp, int ss_flags, ss_size', () => {
    const t = makeTask();
    expect(sizeOf('stack_t')).toBe(24);
    const ss = t.mm.alloc(24);
    const dv = t.mm.dv(ss, 24);
    dv.setBigUint64(field('stack_t.ss_sp').off, 0x7000_0000n, true);
    dv.setInt32(field('stack_t.ss_flags').off, 0, true);
    dv.setBigUint64(field('stack_t.ss_size').off, 8192n, true);
    expect(field('stack_t.ss_flags').size).toBe(4);
    expect(call(t, handlerOf(SIGNAL_SYSCALLS, 'sigaltstack'), ss, 0)).toBe(0);
    expect(t.signals.altSp).toBe(0x7000_0000);
    expect(t.signals.altSize).toBe(8192);
  });

  it('k_sigaction: handler, flags, restorer, mask', () => {
    const t = makeTask();
    expect(sizeOf('struct kernel_sigaction')).toBe(32);
    const sa = t.mm.alloc(32);
    const dv = t.mm.dv(sa, 32);
    dv.setBigUint64(field('struct kernel_sigaction.handler').off, 0x401000n, true);
    dv.setBigUint64(field('struct kernel_sigaction.flags').off, 0x04000000n, true);
    dv.setBigUint64(field('struct kernel_sigaction.restorer').off, 0x402000n, true);
    dv.setBigUint64(field('struct kernel_sigaction.mask').off, 1n << 33n, true);
    expect(call(t, handlerOf(SIGNAL_SYSCALLS, 'rt_sigaction'), 10, sa, 0, 8)).toBe(0);
    expect(t.signals.actions[10]).toEqual({ handler: 0x401000, flags: 0x04000000, restorer: 0x402000, maskLo: 0, maskHi: 2 });
  });

  it('timespec and timeval: two 8-byte fields', () => {
    expect(field('struct timespec.tv_nsec')).toEqual({ off: 8, size: 8 });
    expect(field('struct timeval.tv_usec')).toEqual({ off: 8, size: 8 });
    const t = makeTask();
    const ts = t.mm.alloc(16);
    expect(call(t, handlerOf(TIME_SYSCALLS, 'clock_gettime'), 0, ts)).toBe(0);
    const dv = t.mm.dv(ts, 16);
    const sec = Number(dv.getBigInt64(field('struct timespec.tv_sec').off, true));
    expect(Math.abs(sec - Date.now() / 1000)).toBeLessThan(2);
  });

  it('tms: utime and stime in clock ticks', () => {
    expect(sizeOf('struct tms')).toBe(32);
    expect(field('struct tms.tms_stime')).toEqual({ off: 8, size: 8 });
    const t = makeTask();
    const buf = t.mm.alloc(32);
    t.mm.write(buf, new Uint8Array(32).fill(0xee));
    expect(call(t, handlerOf(TIME_SYSCALLS, 'times'), buf)).toBeGreaterThan(0);
    expect(t.mm.read(buf, 32).includes(0xee)).toBe(false);
  });
});
