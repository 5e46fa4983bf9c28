// The CPU as a task sees it, asked of the CPU itself: a few instructions run
// in ring 3 once per platform. What KVM_SET_CPUID2 and KVM_SET_XCRS say is
// not enough: on VMX/SVM the guest's CPUID reaches KVM and answers from that
// table, but on this PVM host ring 3 runs on the host CPU, and CPUID and
// XGETBV there answer the host's values (README of @tsv/vcpu).
import type { AddressSpace, Context, GuestCpu, PhysicalMemory } from '../platform.js';
import { PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, Stop } from '../platform.js';
import { Reg, Registers } from '../registers.js';

/**
 * The leaves asked ([leaf, subleaf]): the maximum leaves, and every leaf
 * Linux names /proc/cpuinfo flags from that a task can see.
 */
export const PROBED_LEAVES: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 0],
  [6, 0],
  [7, 0],
  [7, 1],
  [0xd, 0],
  [0xd, 1],
  [0x8000_0000, 0],
  [0x8000_0001, 0],
  [0x8000_0007, 0],
  [0x8000_0008, 0],
];

/** The probe (AT&T); PROBE_CODE is its machine code (cpu-probe.test.ts assembles this and compares). */
export const PROBE_SOURCE = `
1: mov (%rsi), %eax          /* rsi: the [leaf, subleaf] pairs */
   mov 4(%rsi), %ecx
   cpuid
   mov %eax, (%rdi)          /* rdi: 16 bytes of results per pair */
   mov %ebx, 4(%rdi)
   mov %ecx, 8(%rdi)
   mov %edx, 12(%rdi)
   add $8, %rsi
   add $16, %rdi
   dec %r8                   /* r8: pairs left */
   jnz 1b
   btl $27, (%r9)            /* r9: CPUID.1:ECX's result; XGETBV needs OSXSAVE */
   jnc 2f
   xor %ecx, %ecx
   xgetbv
   mov %eax, (%rdi)
   mov %edx, 4(%rdi)
2: syscall                   /* stop 1: the results are written */
   rdfsbase %rax             /* #UD unless ring 3 may use FSGSBASE */
   syscall                   /* stop 2 */
`;

export const PROBE_CODE = new Uint8Array(
  Buffer.from('8b068b4e040fa28907895f04894f0889570c4883c6084883c71049ffc875e1410fba211b730a31c90f01d089078957040f05f3480faec00f05', 'hex'),
);

const CODE_VA = 0x40_0000;
const DATA_VA = CODE_VA + PAGE_SIZE;
/** Where the results start in the data page (after the leaf pairs). */
const OUT = 256;
/** Interrupt stops (a kick meant for someone else) tolerated before the probe gives up. */
const MAX_RETRIES = 16;

/** A CPU that answers nothing: what a task sees if the probe could not run. */
const NOTHING: GuestCpu = { cpuid: () => [0, 0, 0, 0], xcr0: 0, fsgsbase: false };

/**
 * Runs the probe on `ctx` in a fresh address space of its own, and returns
 * what it saw; frames and tables are given back. A probe that stops any
 * other way than expected (a host that faults CPUID in ring 3) reports a
 * CPU with nothing: a task could not use what it cannot see.
 */
export function probeGuestCpu(memory: PhysicalMemory, as: AddressSpace, ctx: Context): GuestCpu {
  const frame = memory.allocate(2);
  if (frame < 0) return NOTHING;
  // Dropped after: it must not keep a vCPU of the context as its home.
  const fpu = ctx.newFpuState();
  try {
    memory.bytes.set(PROBE_CODE, frame);
    const data = frame + PAGE_SIZE;
    PROBED_LEAVES.forEach(([leaf, sub], i) => {
      memory.view.setUint32(data + i * 8, leaf, true);
      memory.view.setUint32(data + i * 8 + 4, sub, true);
    });
    as.map(CODE_VA, PAGE_SIZE, frame, PROT_READ | PROT_EXEC);
    as.map(DATA_VA, PAGE_SIZE, data, PROT_READ | PROT_WRITE);
    const regs = new Registers();
    regs.set(Reg.rip, CODE_VA);
    regs.set(Reg.eflags, 0x202);
    regs.set(Reg.rsi, DATA_VA);
    regs.set(Reg.rdi, DATA_VA + OUT);
    regs.set(Reg.r8, PROBED_LEAVES.length);
    regs.set(Reg.r9, DATA_VA + OUT + 16 * leafIndex(1, 0) + 8);
    const step = (): number => {
      for (let i = 0; i < MAX_RETRIES; i++) {
        const stop = ctx.switch(as, regs, fpu);
        if (stop !== Stop.Interrupt) return stop;
      }
      return Stop.Interrupt;
    };
    if (step() !== Stop.Syscall) return NOTHING;
    const out = new Uint32Array(memory.bytes.slice(data + OUT, data + OUT + 16 * PROBED_LEAVES.length + 8).buffer);
    const fsgsbase = step() === Stop.Syscall;
    return answers(out, fsgsbase);
  } finally {
    // The context may wait long before its first task (a prepared VM in a
    // pool): that wait is not host time per exit.
    ctx.pause();
    ctx.dropFpu(fpu);
    as.release();
    memory.free(frame, 2);
  }
}

function leafIndex(leaf: number, sub: number): number {
  return PROBED_LEAVES.findIndex(([l, s]) => l === leaf && s === sub);
}

/** The probe's results as a GuestCpu; leaves past CPUID.0:EAX or CPUID.80000000h:EAX read as zeros, as Linux treats them. */
function answers(out: Uint32Array, fsgsbase: boolean): GuestCpu {
  const maxBasic = out[leafIndex(0, 0) * 4]!;
  const maxExtended = out[leafIndex(0x8000_0000, 0) * 4]!;
  const xcr0 = out[PROBED_LEAVES.length * 4]!;
  return {
    cpuid(leaf: number, subleaf = 0) {
      const i = leafIndex(leaf, subleaf);
      const max = leaf >= 0x8000_0000 ? maxExtended : maxBasic;
      if (i < 0 || leaf > max) return [0, 0, 0, 0];
      return [out[i * 4]!, out[i * 4 + 1]!, out[i * 4 + 2]!, out[i * 4 + 3]!];
    },
    xcr0,
    fsgsbase,
  };
}
