import { Reg } from '@tsv/platform';
import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { makeTask, type FakeTask } from '../testing/fake-task.js';
import { ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, isRestartCode, restartName, settleRestart } from './restart.js';
import { FRAME_UC, UC_MCONTEXT, UC_SIGMASK, SC_REGS } from './signal-frame.js';
import { SA_RESTART, SA_RESTORER, SI_KERNEL, SIG_IGN, sendSignal, type SigAction } from './signals.js';
import { formatResult } from './strace.js';

const SIGINT = 2;
const SIGUSR1 = 10;
const SIGCHLD = 17;
const NR_READ = 0;
const AFTER_SYSCALL = 0x40_1002;
const HANDLER = 0x40_5000;

const action = (flags: number): SigAction => ({ handler: HANDLER, flags: flags | SA_RESTORER, restorer: 0x40_6000, maskLo: 0, maskHi: 0 });

/** A task leaving `read` (orig_rax 0) at AFTER_SYSCALL with `result` in rax, with a stack for frames. */
function leaving(result: number): FakeTask {
  const t = makeTask();
  t.regs.set(Reg.rsp, t.mm.alloc(65536) + 65536 - 256);
  t.regs.set(Reg.orig_rax, NR_READ);
  t.regs.set(Reg.rip, AFTER_SYSCALL);
  t.regs.set(Reg.rax, result);
  return t;
}

/** A register as the frame at the handler's rsp saved it. */
function saved(t: FakeTask, reg: number): number {
  const at = t.regs.get(Reg.rsp) + FRAME_UC + UC_MCONTEXT + SC_REGS.indexOf(reg) * 8;
  return Number(t.mm.dv(at, 8).getBigInt64(0, true));
}

describe('settleRestart', () => {
  it('turns each code into EINTR or a restart the way a handler or its absence decides', () => {
    const cases: [code: number, handler: SigAction | undefined, restarts: boolean][] = [
      [ERESTARTSYS, action(SA_RESTART), true],
      [ERESTARTSYS, action(0), false],
      [ERESTARTSYS, undefined, true],
      [ERESTARTNOHAND, action(SA_RESTART), false],
      [ERESTARTNOHAND, undefined, true],
      [ERESTARTNOINTR, action(0), true],
    ];
    for (const [code, handler, restarts] of cases) {
      const t = leaving(-code);
      settleRestart(t.regs, handler);
      expect([t.regs.getSigned(Reg.rax), t.regs.get(Reg.rip)]).toEqual(restarts ? [NR_READ, AFTER_SYSCALL - 2] : [-E.EINTR, AFTER_SYSCALL]);
    }
  });

  it('knows only the three codes, and strace names them', () => {
    expect([511, 512, 513, 514, 515, 516].map((c) => isRestartCode(-c))).toEqual([false, true, true, true, false, false]);
    expect(isRestartCode(512)).toBe(false);
    expect(formatResult(-ERESTARTSYS, 'int')).toBe('= ? ERESTARTSYS (To be restarted if SA_RESTART is set)');
    expect(restartName(-E.EINTR)).toBeUndefined();
  });
});

describe('deliverPending with a restart code', () => {
  it('under SA_RESTART, the frame resumes at the SYSCALL instruction with rax = the call number', () => {
    const t = leaving(-ERESTARTSYS);
    t.signals.actions[SIGUSR1] = action(SA_RESTART);
    sendSignal(t, { signo: SIGUSR1, code: SI_KERNEL });
    t.kernel.deliverPending(t, true);
    expect(t.regs.get(Reg.rip)).toBe(HANDLER);
    expect(saved(t, Reg.rip)).toBe(AFTER_SYSCALL - 2);
    expect(saved(t, Reg.rax)).toBe(NR_READ);
  });

  it('without SA_RESTART the frame returns EINTR after the call', () => {
    const t = leaving(-ERESTARTSYS);
    t.signals.actions[SIGUSR1] = action(0);
    sendSignal(t, { signo: SIGUSR1, code: SI_KERNEL });
    t.kernel.deliverPending(t, true);
    expect(saved(t, Reg.rip)).toBe(AFTER_SYSCALL);
    expect(saved(t, Reg.rax)).toBe(-E.EINTR);
  });

  it('a pending signal that runs no handler restarts the call, after restoring a temporary mask', () => {
    const t = leaving(-ERESTARTNOHAND);
    t.signals.setMask(1 << (SIGCHLD - 1), 0);
    sendSignal(t, { signo: SIGCHLD, code: SI_KERNEL }); // blocked: queued though ignored by default
    t.signals.setTemporaryMask(0, 0);
    t.kernel.deliverPending(t, true);
    expect(t.signals.isPending(SIGCHLD)).toBe(false);
    expect([t.regs.getSigned(Reg.rax), t.regs.get(Reg.rip)]).toEqual([NR_READ, AFTER_SYSCALL - 2]);
    expect(t.signals.maskLo).toBe(1 << (SIGCHLD - 1));
    expect(t.signals.savedMask).toBeUndefined();
  });

  it('an ignored signal taken first does not settle the code; the handler after it does, its frame saving the mask from before the temporary one', () => {
    const t = leaving(-ERESTARTNOHAND);
    t.signals.actions[SIGUSR1] = action(SA_RESTART);
    t.signals.actions[SIGINT] = { ...action(0), handler: SIG_IGN };
    t.signals.setMask(0xf000, 0);
    t.signals.enqueue({ signo: SIGINT, code: SI_KERNEL });
    t.signals.enqueue({ signo: SIGUSR1, code: SI_KERNEL });
    t.signals.setTemporaryMask(0, 0);
    t.kernel.deliverPending(t, true);
    expect(t.regs.get(Reg.rip)).toBe(HANDLER);
    expect(saved(t, Reg.rax)).toBe(-E.EINTR);
    const mask = t.mm.dv(t.regs.get(Reg.rsp) + FRAME_UC + UC_SIGMASK, 4).getUint32(0, true);
    expect(mask).toBe(0xf000);
    // The handler runs on the temporary mask's terms plus its own signal.
    expect(t.signals.maskLo).toBe(1 << (SIGUSR1 - 1));
  });

  it('leaves other results alone', () => {
    const t = leaving(-E.EAGAIN);
    t.kernel.deliverPending(t, false);
    expect([t.regs.getSigned(Reg.rax), t.regs.get(Reg.rip)]).toEqual([-E.EAGAIN, AFTER_SYSCALL]);
  });
});
