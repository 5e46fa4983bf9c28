// Stops under a fast preemption tick: whatever instant the tick lands on,
// switch() reports ring 3 as Linux would show it. A system call the tick
// caught half-way into ring 0 is a system call at its return address, and a
// fault the tick caught before its delivery happens at its own instruction,
// never at another one the Sentry resumes the task at.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Stop } from '../platform.js';
import { Reg } from '../registers.js';
import { CODE_VA, newPlatform, newTask, run } from './test-support.js';

/** A tick far faster than the Sentry's, so that it lands inside many entries into ring 0. */
const TICK_NS = 50_000;
const STOPS = 20_000;

describe.skipIf(announceKvmSkip())('stops under the preemption tick', () => {
  it('an interrupted SYSCALL is a system call at its return address, never a stop at a kernel address', () => {
    const p = newPlatform();
    const t = newTask(p.platform, p.ctx, '1: mov $39, %eax\nsyscall\nret: jmp 1b');
    const ret = CODE_VA + 7;
    p.ctx.setPreemption(TICK_NS);
    let interrupts = 0;
    for (let i = 0; i < STOPS; i++) {
      const stop = run(p.ctx, t);
      const rip = t.regs.get(Reg.rip);
      if (stop === Stop.Interrupt) {
        interrupts++;
        expect(rip >= CODE_VA && rip < ret + 2, `interrupt at 0x${rip.toString(16)}`).toBe(true);
      } else {
        expect(stop, `stop ${stop} at 0x${rip.toString(16)}`).toBe(Stop.Syscall);
        expect(rip).toBe(ret);
        expect(t.regs.get(Reg.orig_rax)).toBe(39);
        t.regs.set(Reg.rax, 0);
      }
    }
    p.ctx.setPreemption(0);
    expect(interrupts).toBeGreaterThan(0);
  });

  it('a fault the tick caught before its delivery is never reported where the task is resumed instead', () => {
    const p = newPlatform();
    // `load` faults forever (nothing is mapped there); `elsewhere` makes a system call.
    const t = newTask(
      p.platform,
      p.ctx,
      `
      movabs $0x10000000, %rdi
    load:
      mov (%rdi), %rax
      jmp load
    elsewhere:
      mov $39, %eax
      syscall
      ud2`,
    );
    const load = CODE_VA + 10;
    const elsewhere = load + 5;
    p.ctx.setPreemption(TICK_NS);
    let redirected = 0;
    for (let i = 0; i < STOPS; i++) {
      const stop = run(p.ctx, t);
      const rip = t.regs.get(Reg.rip);
      if (stop === Stop.Interrupt && rip === load) {
        // As a signal handler's entry would: resume the task somewhere else.
        t.regs.set(Reg.rip, elsewhere);
        redirected++;
        expect(
          run(p.ctx, t) === Stop.Interrupt || t.regs.get(Reg.rip) === elsewhere + 7,
          `redirect ${redirected}: resumed at 0x${elsewhere.toString(16)}, stopped at 0x${t.regs.get(Reg.rip).toString(16)}`,
        ).toBe(true);
        t.regs.set(Reg.rip, load);
      } else if (stop === Stop.Fault) {
        expect([rip, p.ctx.fault.vector, p.ctx.fault.address]).toEqual([load, 14, 0x1000_0000]);
      }
    }
    p.ctx.setPreemption(0);
    expect(redirected).toBeGreaterThan(0);
  });
});
