// A task that computes without system calls is preempted by the tick, and
// two address spaces alternate on one vCPU without seeing each other.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { PROT_READ, PROT_WRITE, Stop } from '../platform.js';
import { Reg } from '../registers.js';
import { CODE_VA, DATA_VA, mapBytes, newPlatform, newTask, run } from './test-support.js';

/** Keeps this thread busy (not asleep) for `ns`, so a tick falls due while the host runs. */
function busyWaitNs(ns: number): void {
  const until = process.hrtime.bigint() + BigInt(ns);
  while (process.hrtime.bigint() < until);
}

describe.skipIf(announceKvmSkip())('preemption and address spaces', () => {
  it('the tick interrupts a spinning task, which resumes where it was', () => {
    const p = newPlatform();
    const t = newTask(p.platform, p.ctx, 'xor %ebx, %ebx\n1: inc %rbx\njmp 1b');
    p.ctx.setPreemption(5e6);
    // Only the tick ends an entry of this loop, so every entry returning is the tick firing.
    expect(run(p.ctx, t)).toBe(Stop.Interrupt);
    // How much the task does in one slice is not guaranteed: a tick that fell due
    // while the host was busy ends the next entry at once, even before the first
    // instruction (so the task may still be at the xor after a few entries). This
    // host stalls past a period before some entries on purpose, as a loaded
    // machine does, and asks only for what holds: once past the xor the task
    // stays in the loop (a restart would bring it back), its count never goes
    // back, and entering again makes progress (the bound on entries fails a task
    // that never runs).
    let inLoop = t.regs.get(Reg.rip) > CODE_VA;
    let last = t.regs.get(Reg.rbx);
    let advanced = 0;
    for (let entry = 0; advanced < 3; entry++) {
      expect(entry, 'the task made no progress').toBeLessThan(1000);
      if (entry % 2 === 0) busyWaitNs(6e6);
      expect(run(p.ctx, t)).toBe(Stop.Interrupt);
      const rip = t.regs.get(Reg.rip);
      if (inLoop) expect(rip, 'back at the start: the task was restarted').toBeGreaterThan(CODE_VA);
      else expect(rip).toBeGreaterThanOrEqual(CODE_VA);
      const n = t.regs.get(Reg.rbx);
      if (inLoop) {
        expect(n).toBeGreaterThanOrEqual(last);
        if (n > last) advanced++;
      }
      inLoop = rip > CODE_VA;
      last = n;
    }
    p.ctx.setPreemption(0);
  });

  it('interrupt() from the host stops a task before it enters', () => {
    const p = newPlatform();
    const t = newTask(p.platform, p.ctx, '1: jmp 1b');
    p.ctx.interrupt();
    expect(run(p.ctx, t)).toBe(Stop.Interrupt);
  });

  it('two address spaces map the same address to different memory', () => {
    const p = newPlatform();
    const prog = `movabs $${DATA_VA}, %rbx\n1: mov (%rbx), %rdi\nincq (%rbx)\nmov $1, %eax\nsyscall\njmp 1b`;
    const a = newTask(p.platform, p.ctx, prog);
    const b = newTask(p.platform, p.ctx, prog);
    // Replace each data page with one holding a distinct starting value.
    const page = (v: number) => {
      const x = new Uint8Array(4096);
      new DataView(x.buffer).setUint32(0, v, true);
      return x;
    };
    mapBytes(p.platform, a.as, DATA_VA, page(1000), PROT_READ | PROT_WRITE);
    mapBytes(p.platform, b.as, DATA_VA, page(5000), PROT_READ | PROT_WRITE);
    for (let i = 0; i < 10; i++) {
      expect(run(p.ctx, a)).toBe(Stop.Syscall);
      expect(a.regs.get(Reg.rdi)).toBe(1000 + i);
      expect(run(p.ctx, b)).toBe(Stop.Syscall);
      expect(b.regs.get(Reg.rdi)).toBe(5000 + i);
    }
  });
});
