// FPU/SSE/AVX state belongs to the task: it survives many exits, and two
// tasks taking turns on a context never see each other's vector registers,
// whether each keeps its state in a vCPU of its own or they share one.
import { announceKvmSkip } from '@tsv/testing';
import { VirtualCpu } from '@tsv/vcpu';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { Stop } from '../platform.js';
import { Reg } from '../registers.js';
import { FPU_HOMES } from './fpu-homes.js';
import { newPlatform, newTask, run } from './test-support.js';

// rdi = the task's seed. Fills ymm0-15 and x87 st0 from it, then loops on a
// syscall and checks every register against a recomputation (ud2 if not).
const VECTORS = `
  mov %rdi, %r12
  vmovq %rdi, %xmm15
  vpbroadcastq %xmm15, %ymm15
  vmovdqa %ymm15, %ymm0
  vpaddq %ymm15, %ymm0, %ymm1
  vpaddq %ymm15, %ymm1, %ymm2
  vpaddq %ymm15, %ymm2, %ymm3
  vpaddq %ymm15, %ymm3, %ymm4
  vpaddq %ymm15, %ymm4, %ymm5
  vpaddq %ymm15, %ymm5, %ymm6
  vpaddq %ymm15, %ymm6, %ymm7
  vpaddq %ymm15, %ymm7, %ymm8
  vpaddq %ymm15, %ymm8, %ymm9
  vpaddq %ymm15, %ymm9, %ymm10
  vpaddq %ymm15, %ymm10, %ymm11
  vpaddq %ymm15, %ymm11, %ymm12
  vpaddq %ymm15, %ymm12, %ymm13
  vpaddq %ymm15, %ymm13, %ymm14
  push %rdi
  fildq (%rsp)
  pop %rax
loop:
  mov $39, %eax
  syscall
  vmovq %r12, %xmm15
  vpbroadcastq %xmm15, %ymm15
  vmovdqa %ymm15, %ymm13           /* ymm13 = running expected value */
  .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12
  vpcmpeqq %ymm13, %ymm\\r, %ymm14
  vpmovmskb %ymm14, %eax
  cmp $-1, %eax
  jne bad
  vpaddq %ymm15, %ymm13, %ymm13
  .endr
  /* restore ymm13 and ymm14 (used as scratch) */
  vmovdqa %ymm13, %ymm14
  vpsubq %ymm15, %ymm14, %ymm13
  vpaddq %ymm15, %ymm13, %ymm14
  vpsubq %ymm15, %ymm14, %ymm14
  vpaddq %ymm15, %ymm14, %ymm14
  push %rax
  fistpq (%rsp)
  pop %rax
  cmp %rax, %r12
  jne bad
  push %r12
  fildq (%rsp)
  pop %rax
  jmp loop
bad:
  ud2
`;

/** Counts the FPU ioctls of every vCPU (KVM_SET_XSAVE, KVM_GET_XSAVE) until the test ends. */
function spyFpuIoctls() {
  const loads = vi.spyOn(VirtualCpu.prototype, 'restoreFpu');
  const saves = vi.spyOn(VirtualCpu.prototype, 'saveFpu');
  onTestFinished(() => {
    vi.restoreAllMocks();
  });
  return { loads, saves };
}

/** A platform and one task per seed, each run to its first system call. */
function tasksWithSeeds(...seeds: number[]) {
  const p = newPlatform();
  const tasks = seeds.map((seed) => {
    const t = newTask(p.platform, p.ctx, VECTORS);
    t.regs.set(Reg.rdi, seed);
    return t;
  });
  for (const [i, t] of tasks.entries()) {
    const stop = run(p.ctx, t);
    expect(stop, `task ${i}: ${stop === Stop.Fault ? `fault ${p.ctx.fault.vector} at 0x${t.regs.get(Reg.rip).toString(16)}` : ''}`).toBe(
      Stop.Syscall,
    );
  }
  return { p, tasks };
}

describe.skipIf(announceKvmSkip())('FPU, SSE and AVX state', () => {
  // Two tasks live in vCPUs of their own; one more than FPU_HOMES evict each other (save and restore at every switch).
  it.each([2, FPU_HOMES + 1])('survives many exits and never leaks between %i tasks taking turns', (n) => {
    const { p, tasks } = tasksWithSeeds(...Array.from({ length: n }, (_, i) => 0x0101_0101 * (i + 1)));
    const { loads, saves } = spyFpuIoctls();
    const rounds = 40;
    for (let round = 0; round < rounds; round++) {
      tasks.forEach((t, i) => {
        const stop = run(p.ctx, t);
        expect(
          stop,
          `task ${i} round ${round}: ${stop === Stop.Fault ? `fault ${p.ctx.fault.vector} at 0x${t.regs.get(Reg.rip).toString(16)}` : ''}`,
        ).toBe(Stop.Syscall);
      });
    }
    expect(p.ctx.vcpus.length).toBe(Math.min(n, FPU_HOMES));
    // A task switch costs no FPU ioctl while every state has a vCPU of its own; else two (save and load).
    const evictions = n <= FPU_HOMES ? 0 : n * rounds;
    expect(loads).toHaveBeenCalledTimes(evictions);
    expect(saves).toHaveBeenCalledTimes(evictions);
    // The check is real: a task given a clobbered FPU image (a new state, as the Sentry gives one) traps.
    const b = tasks[1]!;
    p.ctx.saveFpu(b.fpu);
    const clobbered = b.fpu.bytes.slice();
    clobbered.fill(0, 160, 160 + 256); // XMM0-15 in the XSAVE legacy area
    b.fpu = { bytes: clobbered };
    expect(run(p.ctx, b)).toBe(Stop.Fault);
    expect(p.ctx.fault.vector).toBe(6);
  });

  it('a dropped state gives its vCPU to the next new one, unsaved', () => {
    const {
      p,
      tasks: [a, b],
    } = tasksWithSeeds(0x3333_3333, 0x4444_4444);
    const { saves } = spyFpuIoctls();
    // As the Sentry does at a signal handler's entry: b's state is saved, then replaced.
    p.ctx.saveFpu(b!.fpu);
    const next = { bytes: b!.fpu.bytes.slice() };
    p.ctx.dropFpu(b!.fpu);
    b!.fpu = next;
    for (let i = 0; i < 5; i++) for (const t of [a!, b!]) expect(run(p.ctx, t)).toBe(Stop.Syscall);
    expect(saves).toHaveBeenCalledTimes(1); // the explicit saveFpu only
    expect(p.ctx.vcpus.length).toBe(2);
  });

  it('saveFpu brings the bytes of a state held in any vCPU up to date', () => {
    const seeds = [0x1111_1111, 0x2222_2222];
    const { p, tasks } = tasksWithSeeds(...seeds);
    for (const [i, t] of tasks.entries()) {
      p.ctx.saveFpu(t.fpu);
      const xmm0 = new DataView(t.fpu.bytes.buffer, t.fpu.bytes.byteOffset + 160, 16);
      expect(xmm0.getUint32(0, true)).toBe(seeds[i]);
      expect(xmm0.getUint32(8, true)).toBe(seeds[i]);
    }
  });
});
