// FPU/SSE/AVX state belongs to the task: it survives many exits, and two
// tasks alternating on one vCPU never see each other's vector registers.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Stop } from '../platform.js';
import { Reg } from '../registers.js';
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

describe.skipIf(announceKvmSkip())('FPU, SSE and AVX state', () => {
  it('survives many exits and never leaks between two tasks on one vCPU', () => {
    const p = newPlatform();
    const a = newTask(p.platform, p.ctx, VECTORS);
    const b = newTask(p.platform, p.ctx, VECTORS);
    a.regs.set(Reg.rdi, 0x0101_0101);
    b.regs.set(Reg.rdi, 0x7070_7070);
    for (let i = 0; i < 40; i++) {
      for (const [name, t] of [
        ['a', a],
        ['b', b],
      ] as const) {
        const stop = run(p.ctx, t);
        expect(
          stop,
          `task ${name} round ${i}: ${stop === Stop.Fault ? `fault ${p.ctx.fault.vector} at 0x${t.regs.get(Reg.rip).toString(16)}` : ''}`,
        ).toBe(Stop.Syscall);
      }
    }
    // The check is real: clobbering a task's saved FPU image makes it trap.
    expect(run(p.ctx, a)).toBe(Stop.Syscall); // saves b's state into b.fpu
    b.fpu.bytes.fill(0, 160, 160 + 256); // XMM0-15 in the XSAVE legacy area
    expect(run(p.ctx, b)).toBe(Stop.Fault);
    expect(p.ctx.fault.vector).toBe(6);
  });
});
