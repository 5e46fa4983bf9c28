// System calls from ring 3 answered on the host: registers survive, the
// result comes back in rax, and the guest sees exactly the Linux ABI.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Stop } from '../platform.js';
import { Reg } from '../registers.js';
import { newPlatform, newTask, run, STACK_TOP, type Task } from './test-support.js';

// Fills every register with a distinct pattern, then loops: syscall 39 with
// those arguments, check that everything but rax/rcx/r11 survived and that
// rax is what the host returned (the iteration count), else ud2.
const LOOP = `
  movabs $0x1111111111111111, %rbx
  movabs $0x2222222222222222, %rbp
  movabs $0x3333333333333333, %r12
  movabs $0x4444444444444444, %r13
  movabs $0x5555555555555555, %r14
  movabs $0x6666666666666666, %r15
  movabs $0x7777777777777777, %rdi
  movabs $0x0888888888888888, %rsi
  movabs $0x0999999999999999, %rdx
  movabs $0x0aaaaaaaaaaaaaaa, %r10
  movabs $0x0bbbbbbbbbbbbbbb, %r8
  movabs $0x0ccccccccccccccc, %r9
  xor %ecx, %ecx
  push %rcx                      /* the iteration count lives on the stack */
  std                            /* a flag the host must preserve */
next:
  mov $39, %eax
  syscall
  cld
  cmp (%rsp), %rax
  jne bad
  incq (%rsp)
  movabs $0x1111111111111111, %rcx
  cmp %rcx, %rbx
  jne bad
  movabs $0x2222222222222222, %rcx
  cmp %rcx, %rbp
  jne bad
  movabs $0x3333333333333333, %rcx
  cmp %rcx, %r12
  jne bad
  movabs $0x4444444444444444, %rcx
  cmp %rcx, %r13
  jne bad
  movabs $0x5555555555555555, %rcx
  cmp %rcx, %r14
  jne bad
  movabs $0x6666666666666666, %rcx
  cmp %rcx, %r15
  jne bad
  movabs $0x7777777777777777, %rcx
  cmp %rcx, %rdi
  jne bad
  movabs $0x0888888888888888, %rcx
  cmp %rcx, %rsi
  jne bad
  movabs $0x0999999999999999, %rcx
  cmp %rcx, %rdx
  jne bad
  movabs $0x0aaaaaaaaaaaaaaa, %rcx
  cmp %rcx, %r10
  jne bad
  movabs $0x0bbbbbbbbbbbbbbb, %rcx
  cmp %rcx, %r8
  jne bad
  movabs $0x0ccccccccccccccc, %rcx
  cmp %rcx, %r9
  jne bad
  std
  jmp next
bad:
  ud2
`;

describe.skipIf(announceKvmSkip())('system calls through the KVM platform', () => {
  it('preserves every register the ABI preserves and returns rax', () => {
    const p = newPlatform();
    const t: Task = newTask(p.platform, p.ctx, LOOP);
    for (let i = 0; i < 50; i++) {
      const stop = run(p.ctx, t);
      expect(stop, `iteration ${i}: ${stop === Stop.Fault ? `fault vector ${p.ctx.fault.vector}` : ''}`).toBe(Stop.Syscall);
      expect(t.regs.get(Reg.orig_rax)).toBe(39);
      expect(t.regs.getBig(Reg.rdi)).toBe(0x7777777777777777n);
      expect(t.regs.getBig(Reg.rsi)).toBe(0x0888888888888888n);
      expect(t.regs.getBig(Reg.rdx)).toBe(0x0999999999999999n);
      expect(t.regs.getBig(Reg.r10)).toBe(0x0aaaaaaaaaaaaaaan);
      expect(t.regs.getBig(Reg.r8)).toBe(0x0bbbbbbbbbbbbbbbn);
      expect(t.regs.getBig(Reg.r9)).toBe(0x0cccccccccccccccn);
      expect(t.regs.get(Reg.rsp)).toBe(STACK_TOP - 8);
      expect(t.regs.get(Reg.eflags) & 0x400).toBe(0x400); // DF as the program set it
      t.regs.set(Reg.rax, i); // the result
    }
    // A wrong result makes the program trap: the check above is real.
    t.regs.set(Reg.rax, 12345);
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault.vector).toBe(6);
    const st = p.platform.stats;
    expect(st.exits.syscall).toBe(50);
    expect(st.exits.fault).toBe(1);
  });

  it("delivers negative results as two's complement", () => {
    const p = newPlatform();
    const t = newTask(p.platform, p.ctx, 'mov $2, %eax\nsyscall\nmov %rax, %rdi\nmov $60, %eax\nsyscall\nud2');
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    t.regs.set(Reg.rax, -2); // -ENOENT
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    expect(t.regs.get(Reg.orig_rax)).toBe(60);
    expect(t.regs.getSigned(Reg.rdi)).toBe(-2);
    expect(t.regs.getBig(Reg.rdi)).toBe(0xfffffffffffffffen);
  });
});
