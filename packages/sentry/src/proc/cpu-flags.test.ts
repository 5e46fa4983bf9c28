// /proc/cpuinfo's flags: Linux's names for the CPUID bits a task sees, in
// Linux's order, less what the XSAVE state in force does not let it use.
import type { GuestCpu } from '@tsv/platform';
import { PROBED_LEAVES } from '@tsv/platform/kvm';
import { describe, expect, it } from 'vitest';
import { BASELINE_CPU, cpuFlags, FLAG_LEAVES } from './cpu-flags.js';

/** A CPU with the given registers set ('leaf.subleaf' -> [eax, ebx, ecx, edx]) and XCR0. */
function cpu(leaves: Record<string, [number, number, number, number]>, xcr0: number): GuestCpu {
  return { cpuid: (leaf, sub = 0) => leaves[`${leaf}.${sub}`] ?? [0, 0, 0, 0], xcr0, fsgsbase: false };
}

// An AVX-512 machine: 1:ECX sse3 ssse3 fma sse4_2 xsave osxsave avx; 7.0:EBX avx2 bmi2 avx512f avx512bw; 7.0:EDX fsrm.
const AVX512 = {
  '1.0': [0, 0, (1 << 0) | (1 << 9) | (1 << 12) | (1 << 20) | (1 << 26) | (1 << 27) | (1 << 28), 1 << 25] as [
    number,
    number,
    number,
    number,
  ],
  '7.0': [0, (1 << 5) | (1 << 8) | (1 << 16) | (1 << 30), 0, 1 << 4] as [number, number, number, number],
  '13.1': [1, 0, 0, 0] as [number, number, number, number],
};

describe('cpuFlags', () => {
  it('names the bits as Linux does, in its order, without osxsave', () => {
    expect(cpuFlags(cpu(AVX512, 0xe7))).toEqual([
      'sse',
      'pni',
      'ssse3',
      'fma',
      'sse4_2',
      'xsave',
      'avx',
      'avx2',
      'bmi2',
      'avx512f',
      'avx512bw',
      'xsaveopt',
      'fsrm',
    ]);
  });

  it('leaves out what XCR0 does not enable, as Linux clears it', () => {
    expect(cpuFlags(cpu(AVX512, 0x7))).toEqual([
      'sse',
      'pni',
      'ssse3',
      'fma',
      'sse4_2',
      'xsave',
      'avx',
      'avx2',
      'bmi2',
      'xsaveopt',
      'fsrm',
    ]);
    expect(cpuFlags(cpu(AVX512, 0x3))).toEqual(['sse', 'pni', 'ssse3', 'sse4_2', 'xsave', 'bmi2', 'xsaveopt', 'fsrm']);
    expect(cpuFlags(cpu(AVX512, 0))).toEqual(['sse', 'pni', 'ssse3', 'sse4_2', 'bmi2', 'fsrm']);
  });

  it('gives the x86-64 baseline where the platform cannot say more', () => {
    const flags = cpuFlags(BASELINE_CPU);
    expect(flags.slice(0, 3)).toEqual(['fpu', 'vme', 'de']);
    expect(flags).toEqual(expect.arrayContaining(['sse', 'sse2', 'syscall', 'nx', 'lm']));
    expect(flags).not.toContain('avx');
  });

  it('reads only leaves the KVM platform probes', () => {
    const probed = new Set(PROBED_LEAVES.map(([l, s]) => `${l}.${s}`));
    for (const [leaf, sub] of FLAG_LEAVES) expect(probed.has(`${leaf}.${sub}`), `leaf ${leaf.toString(16)}.${sub}`).toBe(true);
  });
});
