// The "flags" line of /proc/cpuinfo, as Linux builds it: the CPUID feature
// bits a task can see (Platform.guestCpu), under Linux's names and in its
// order (the words of arch/x86/include/asm/cpufeatures.h), less what the
// XSAVE state in force does not let a task use. Linux's synthetic flags
// (constant_tsc, rep_good, ...) and bug flags describe the host kernel, not
// an instruction a task may run: they are left out.
import type { GuestCpu } from '@tsv/platform';

const EAX = 0;
const EBX = 1;
const ECX = 2;
const EDX = 3;

/** One CPUID register and its named bits ([bit, name]); a bit Linux hides has no entry. */
interface FlagWord {
  leaf: number;
  subleaf: number;
  reg: number;
  names: readonly (readonly [number, string])[];
}

/** Bit n of the string is named by the n-th space-separated word ('-' for none). */
function bits(names: string): [number, string][] {
  return names
    .split(/\s+/)
    .map((n, i) => [i, n] as [number, string])
    .filter(([, n]) => n !== '-');
}

const WORDS: readonly FlagWord[] = [
  // word 0: CPUID.1:EDX
  {
    leaf: 1,
    subleaf: 0,
    reg: EDX,
    names: bits(
      'fpu vme de pse tsc msr pae mce cx8 apic - sep mtrr pge mca cmov pat pse36 pn clflush - dts acpi mmx fxsr sse sse2 ss ht tm ia64 pbe',
    ),
  },
  // word 1: CPUID.80000001h:EDX (the bits that are not copies of word 0)
  {
    leaf: 0x8000_0001,
    subleaf: 0,
    reg: EDX,
    names: [
      [11, 'syscall'],
      [19, 'mp'],
      [20, 'nx'],
      [22, 'mmxext'],
      [25, 'fxsr_opt'],
      [26, 'pdpe1gb'],
      [27, 'rdtscp'],
      [29, 'lm'],
      [30, '3dnowext'],
      [31, '3dnow'],
    ],
  },
  // word 4: CPUID.1:ECX (osxsave, bit 27, is not shown by Linux)
  {
    leaf: 1,
    subleaf: 0,
    reg: ECX,
    names: bits(
      'pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 cid sdbg fma cx16 xtpr pdcm - pcid dca sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave - avx f16c rdrand hypervisor',
    ),
  },
  // word 6: CPUID.80000001h:ECX
  {
    leaf: 0x8000_0001,
    subleaf: 0,
    reg: ECX,
    names: bits(
      'lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs xop skinit wdt - lwp fma4 tce - nodeid_msr - tbm topoext perfctr_core perfctr_nb - bpext ptsc perfctr_llc mwaitx',
    ),
  },
  // word 9: CPUID.7.0:EBX
  {
    leaf: 7,
    subleaf: 0,
    reg: EBX,
    names: bits(
      'fsgsbase tsc_adjust sgx bmi1 hle avx2 - smep bmi2 erms invpcid rtm cqm - mpx rdt_a avx512f avx512dq rdseed adx smap avx512ifma - clflushopt clwb intel_pt avx512pf avx512er avx512cd sha_ni avx512bw avx512vl',
    ),
  },
  // word 10: CPUID.0Dh.1:EAX
  { leaf: 0xd, subleaf: 1, reg: EAX, names: bits('xsaveopt xsavec xgetbv1 xsaves xfd') },
  // word 12: CPUID.7.1:EAX
  {
    leaf: 7,
    subleaf: 1,
    reg: EAX,
    names: [
      [4, 'avx_vnni'],
      [5, 'avx512_bf16'],
      [7, 'cmpccxadd'],
      [10, 'fzrm'],
      [11, 'fsrs'],
      [12, 'fsrc'],
      [23, 'avx_ifma'],
    ],
  },
  // word 13: CPUID.80000008h:EBX
  {
    leaf: 0x8000_0008,
    subleaf: 0,
    reg: EBX,
    names: [
      [0, 'clzero'],
      [1, 'irperf'],
      [2, 'xsaveerptr'],
      [4, 'rdpru'],
      [9, 'wbnoinvd'],
    ],
  },
  // word 14: CPUID.6:EAX
  { leaf: 6, subleaf: 0, reg: EAX, names: bits('dtherm ida arat - pln - pts hwp hwp_notify hwp_act_window hwp_epp hwp_pkg_req') },
  // word 16: CPUID.7.0:ECX
  {
    leaf: 7,
    subleaf: 0,
    reg: ECX,
    names: bits(
      '- avx512vbmi umip pku ospke waitpkg avx512_vbmi2 - gfni vaes vpclmulqdq avx512_vnni avx512_bitalg tme avx512_vpopcntdq - la57 - - - - - rdpid - bus_lock_detect cldemote - movdiri movdir64b enqcmd sgx_lc',
    ),
  },
  // word 17: CPUID.80000007h:EBX
  { leaf: 0x8000_0007, subleaf: 0, reg: EBX, names: bits('overflow_recov succor - smca') },
  // word 18: CPUID.7.0:EDX
  {
    leaf: 7,
    subleaf: 0,
    reg: EDX,
    names: [
      [2, 'avx512_4vnniw'],
      [3, 'avx512_4fmaps'],
      [4, 'fsrm'],
      [8, 'avx512_vp2intersect'],
      [10, 'md_clear'],
      [14, 'serialize'],
      [16, 'tsxldtrk'],
      [22, 'amx_bf16'],
      [23, 'avx512_fp16'],
      [24, 'amx_tile'],
      [25, 'amx_int8'],
    ],
  },
];

/** The CPUID leaves the flags are read from ([leaf, subleaf]). */
export const FLAG_LEAVES: readonly (readonly [number, number])[] = [
  ...new Map(WORDS.map((w) => [`${w.leaf}.${w.subleaf}`, [w.leaf, w.subleaf] as const])).values(),
];

/** XCR0 state components: AVX's upper halves, AVX-512's three, AMX's two. */
const XFEATURE_YMM = 0x4;
const XFEATURES_AVX512 = 0xe0;
const XFEATURES_AMX = 0x6_0000;

/** Instructions that need the YMM state (Linux's cpuid_deps on X86_FEATURE_AVX). */
const NEEDS_YMM = /^(avx|fma|f16c|vaes|vpclmulqdq|xop)/;

/** Whether the XSAVE state XCR0 enables lets a task run the instructions `name` stands for (Linux clears the rest at boot). */
function usable(name: string, xcr0: number): boolean {
  if (xcr0 === 0 && name.startsWith('xsave')) return false;
  if (xcr0 === 0 && name === 'xgetbv1') return false;
  if (NEEDS_YMM.test(name) && (xcr0 & XFEATURE_YMM) === 0) return false;
  if (name.startsWith('avx512') && (xcr0 & XFEATURES_AVX512) !== XFEATURES_AVX512) return false;
  if (name.startsWith('amx') && (xcr0 & XFEATURES_AMX) !== XFEATURES_AMX) return false;
  return true;
}

/** The flags of /proc/cpuinfo for a task on `cpu`. */
export function cpuFlags(cpu: GuestCpu): string[] {
  const out: string[] = [];
  for (const w of WORDS) {
    const value = cpu.cpuid(w.leaf, w.subleaf)[w.reg]!;
    for (const [bit, name] of w.names) if ((value >>> bit) & 1 && usable(name, cpu.xcr0)) out.push(name);
  }
  return out;
}

/** AT_HWCAP2's bit for a ring 3 that may use RDFSBASE and the like. */
export const HWCAP2_FSGSBASE = 2;

/**
 * The CPU every x86-64 has, for a platform that cannot say more: CPUID.1:EDX
 * as Linux reports it in AT_HWCAP, and syscall, nx and lm.
 */
export const BASELINE_CPU: GuestCpu = {
  cpuid(leaf: number) {
    if (leaf === 1) return [0, 0, 0, 0x178b_fbff];
    if (leaf === 0x8000_0001) return [0, 0, 0, (1 << 11) | (1 << 20) | (1 << 29)];
    return [0, 0, 0, 0];
  },
  xcr0: 0,
  fsgsbase: false,
};
