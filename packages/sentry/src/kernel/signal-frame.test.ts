import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reg } from '@tsv/platform';
import { describe, expect, it } from 'vitest';
import { handlerOf, makeTask, type FakeTask } from '../testing/fake-task.js';
import { SIGNAL_SYSCALLS } from '../syscalls/signal.js';
import {
  FRAME_INFO,
  FRAME_SIZE,
  FRAME_UC,
  SC_CR2,
  SC_CS,
  SC_ERR,
  SC_FPSTATE,
  SC_OLDMASK,
  SC_REGS,
  SC_TRAPNO,
  SIGINFO_SIZE,
  UC_FLAGS,
  UC_LINK,
  UC_MCONTEXT,
  UC_SIGMASK,
  UC_STACK,
} from './signal-frame.js';
import {
  SA_NODEFER,
  SA_ONSTACK,
  SA_RESETHAND,
  SA_RESTORER,
  SA_SIGINFO,
  SI_TKILL,
  SIG_DFL,
  sendSignal,
  SS_AUTODISARM,
  SS_DISABLE,
} from './signals.js';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const SIGUSR1 = 10;
const SIGUSR2 = 12;
const HANDLER = 0x40_1000;
const RESTORER = 0x40_2000;

describe('frame layout', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsv-frame-'));
  const exe = path.join(dir, 'frame-layout');
  execFileSync('gcc', ['-o', exe, path.join(TESTDATA, 'frame-layout.c')]);
  const off = new Map(
    execFileSync(exe, { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => {
        const [k, v] = l.split(' ');
        return [k!, Number(v)] as const;
      }),
  );

  it('ucontext and sigcontext match glibc', () => {
    expect(off.get('uc_flags')).toBe(UC_FLAGS);
    expect(off.get('uc_link')).toBe(UC_LINK);
    expect(off.get('uc_stack')).toBe(UC_STACK);
    expect(off.get('uc_mcontext')).toBe(UC_MCONTEXT);
    expect(off.get('uc_sigmask')).toBe(UC_SIGMASK);
    expect(off.get('fpregs')).toBe(SC_FPSTATE);
    const names = [
      'r8',
      'r9',
      'r10',
      'r11',
      'r12',
      'r13',
      'r14',
      'r15',
      'rdi',
      'rsi',
      'rbp',
      'rbx',
      'rdx',
      'rax',
      'rcx',
      'rsp',
      'rip',
      'eflags',
    ] as const;
    names.forEach((n, i) => {
      expect(off.get(n)).toBe(i * 8);
      expect(SC_REGS[i]).toBe(Reg[n]);
    });
    expect(off.get('csgsfs')).toBe(SC_CS);
    expect(off.get('err')).toBe(SC_ERR);
    expect(off.get('trapno')).toBe(SC_TRAPNO);
    expect(off.get('oldmask')).toBe(SC_OLDMASK);
    expect(off.get('cr2')).toBe(SC_CR2);
  });

  it('siginfo and stack_t match glibc; the frame is pretcode, ucontext, siginfo', () => {
    expect([
      off.get('si_signo'),
      off.get('si_errno'),
      off.get('si_code'),
      off.get('si_pid'),
      off.get('si_uid'),
      off.get('si_addr'),
    ]).toEqual([0, 4, 8, 16, 20, 16]);
    expect(off.get('siginfo')).toBe(SIGINFO_SIZE);
    expect([off.get('ss_flags'), off.get('ss_size')]).toEqual([8, 16]);
    expect(FRAME_UC).toBe(8);
    expect(FRAME_INFO).toBe(FRAME_UC + UC_SIGMASK + 8); // the kernel's sigset_t is 8 bytes
    expect(FRAME_SIZE).toBe(FRAME_INFO + SIGINFO_SIZE);
  });
});

const sigreturn = handlerOf(SIGNAL_SYSCALLS, 'rt_sigreturn');

/** A task with a 64 KiB stack, distinctive 64-bit register values and a handler for `sig`. */
function setup(flags = SA_SIGINFO | SA_RESTORER, maskLo = 0): { t: FakeTask; top: number; before: bigint[] } {
  const t = makeTask();
  const top = t.mm.alloc(65536) + 65536;
  for (let r = 0; r < 27; r++) t.regs.setBig(r, 0x1111_0000_0000_0000n * BigInt((r % 15) + 1) + BigInt(r));
  t.regs.set(Reg.rsp, top - 256);
  t.regs.set(Reg.rip, 0x40_5000);
  t.regs.set(Reg.eflags, 0x246);
  t.signals.actions[SIGUSR1] = { handler: HANDLER, flags, restorer: RESTORER, maskLo, maskHi: 0 };
  const before = Array.from({ length: 27 }, (_, r) => t.regs.getBig(r));
  return { t, top, before };
}

function deliver(t: FakeTask, sig = SIGUSR1): void {
  sendSignal(t, { signo: sig, code: SI_TKILL, pid: t.pid, uid: 0 });
  t.kernel.deliverPending(t);
}

/** What the handler's `ret` does, then rt_sigreturn as the restorer calls it. */
function returnFromHandler(t: FakeTask): void {
  t.regs.set(Reg.rsp, t.regs.get(Reg.rsp) + 8);
  sigreturn(t, undefined as never);
}

describe('delivery and rt_sigreturn', () => {
  it('enters the handler with the frame Linux builds', () => {
    const { t, top, before } = setup();
    t.signals.setMask(1 << (SIGUSR2 - 1), 0x10);
    deliver(t);
    const r = t.regs;
    const sp = r.get(Reg.rsp);
    expect(r.get(Reg.rip)).toBe(HANDLER);
    expect(r.get(Reg.rdi)).toBe(SIGUSR1);
    expect(r.get(Reg.rsi)).toBe(sp + FRAME_INFO);
    expect(r.get(Reg.rdx)).toBe(sp + FRAME_UC);
    expect(r.get(Reg.rax)).toBe(0);
    expect((sp + 8) % 16).toBe(0);
    expect(sp + FRAME_SIZE).toBeLessThanOrEqual(top - 256 - 128); // below the red zone
    const f = t.mm.dv(sp, FRAME_SIZE);
    expect(f.getBigUint64(0, true)).toBe(BigInt(RESTORER));
    expect(f.getBigUint64(FRAME_UC + UC_FLAGS, true)).toBe(6n); // SIGCONTEXT_SS | STRICT_RESTORE_SS; no XSAVE image here
    const sc = FRAME_UC + UC_MCONTEXT;
    SC_REGS.forEach((reg, i) => {
      if (reg !== Reg.eflags) expect(f.getBigUint64(sc + i * 8, true)).toBe(before[reg]);
    });
    expect(f.getUint16(sc + SC_CS, true)).toBe(0x33);
    expect(f.getBigUint64(FRAME_UC + UC_SIGMASK, true)).toBe((0x10n << 32n) | BigInt(1 << (SIGUSR2 - 1)));
    expect(f.getBigUint64(sc + SC_OLDMASK, true)).toBe((0x10n << 32n) | BigInt(1 << (SIGUSR2 - 1)));
    const fp = Number(f.getBigUint64(sc + SC_FPSTATE, true));
    expect(fp % 64).toBe(0);
    expect(fp).toBeGreaterThanOrEqual(sp + FRAME_SIZE);
    expect([f.getInt32(FRAME_INFO, true), f.getInt32(FRAME_INFO + 8, true), f.getInt32(FRAME_INFO + 16, true)]).toEqual([
      SIGUSR1,
      SI_TKILL,
      t.pid,
    ]);
    // The handler runs with the signal blocked on top of the old mask.
    expect(t.signals.maskLo).toBe((1 << (SIGUSR2 - 1)) | (1 << (SIGUSR1 - 1)));
  });

  it('sigreturn restores every register, the mask and the old FPU image', () => {
    const { t, before } = setup();
    t.fpu.bytes.fill(0x5a, 0, 160); // x87 state; MXCSR (24..27) stays valid below
    t.fpu.bytes.fill(0, 24, 32);
    const fpuBefore = t.fpu.bytes.slice(0, 464);
    deliver(t);
    expect(t.fpu.bytes.subarray(0, 160).every((b) => b === 0)).toBe(true); // the handler starts clean
    for (let r = 0; r < 16; r++) if (r !== Reg.orig_rax) t.regs.set(r, 0);
    returnFromHandler(t);
    for (const r of SC_REGS) if (r !== Reg.eflags) expect(t.regs.getBig(r)).toBe(before[r]);
    expect(t.regs.get(Reg.eflags) & 0xfff).toBe(0x246);
    expect(t.signals.maskLo).toBe(0);
    expect(t.signals.sigreturned).toBe(true);
    expect(t.fpu.bytes.slice(0, 464)).toEqual(fpuBefore);
  });

  it("the handler's changes to the frame take effect; eflags only in user bits", () => {
    const { t } = setup();
    deliver(t);
    const sp = t.regs.get(Reg.rsp);
    const sc = sp + FRAME_UC + UC_MCONTEXT;
    const at = (reg: number) => sc + SC_REGS.indexOf(reg) * 8;
    t.mm.dv(at(Reg.rip), 8).setBigUint64(0, 0x40_5002n, true);
    t.mm.dv(at(Reg.rax), 8).setBigUint64(0, 0xdead_beef_cafe_f00dn, true);
    t.mm.dv(at(Reg.eflags), 8).setBigUint64(0, 0xffff_ffffn, true);
    t.mm.dv(sp + FRAME_UC + UC_SIGMASK, 8).setBigUint64(0, 0xffff_ffff_ffff_ffffn, true);
    returnFromHandler(t);
    expect(t.regs.get(Reg.rip)).toBe(0x40_5002);
    expect(t.regs.getBig(Reg.rax)).toBe(0xdead_beef_cafe_f00dn);
    expect(t.regs.get(Reg.eflags)).toBe(0x246 | 0x5_0dd5);
    expect(t.signals.maskLo).toBe(0xfffb_feff); // never SIGKILL or SIGSTOP
  });

  it('SA_NODEFER leaves the signal unblocked; sa_mask is added; SA_RESETHAND resets the action', () => {
    const a = setup(SA_RESTORER | SA_NODEFER, 1 << (SIGUSR2 - 1));
    deliver(a.t);
    expect(a.t.signals.maskLo).toBe(1 << (SIGUSR2 - 1));
    const b = setup(SA_RESTORER | SA_RESETHAND);
    deliver(b.t);
    expect(b.t.regs.get(Reg.rip)).toBe(HANDLER);
    expect(b.t.signals.actions[SIGUSR1]!.handler).toBe(SIG_DFL);
  });

  it('SA_ONSTACK uses the alternate stack, saves it in uc_stack, and honours SS_AUTODISARM', () => {
    const { t } = setup(SA_RESTORER | SA_ONSTACK);
    const alt = t.mm.alloc(16384);
    t.signals.setAltStack(alt, SS_AUTODISARM, 16384, t.regs.get(Reg.rsp));
    deliver(t);
    const sp = t.regs.get(Reg.rsp);
    expect(sp > alt && sp < alt + 16384).toBe(true);
    const f = t.mm.dv(sp + FRAME_UC + UC_STACK, 24);
    expect([Number(f.getBigUint64(0, true)), f.getUint32(8, true), Number(f.getBigUint64(16, true))]).toEqual([alt, SS_AUTODISARM, 16384]);
    expect(t.signals.altFlags).toBe(SS_DISABLE); // disarmed while the handler runs
    returnFromHandler(t);
    expect([t.signals.altSp, t.signals.altSize, t.signals.altFlags]).toEqual([alt, 16384, SS_AUTODISARM]);
  });

  it('SA_ONSTACK runs the handler on the alternate stack whatever RSP was: kernel half, non-canonical', () => {
    for (const bad of [0xffff_ff80_0000_1000n, 0x0000_9000_0000_0000n, 0xffff_ffff_ffff_fff8n]) {
      const { t } = setup(SA_RESTORER | SA_ONSTACK);
      const alt = t.mm.alloc(16384);
      t.signals.setAltStack(alt, 0, 16384, t.regs.get(Reg.rsp));
      t.regs.setBig(Reg.rsp, bad);
      deliver(t);
      const sp = t.regs.get(Reg.rsp);
      expect(t.regs.get(Reg.rip)).toBe(HANDLER);
      expect(sp > alt && sp < alt + 16384).toBe(true);
      // The interrupted RSP is saved exactly, and comes back at sigreturn.
      const sc = FRAME_UC + UC_MCONTEXT + SC_REGS.indexOf(Reg.rsp) * 8;
      expect(t.mm.dv(sp + sc, 8).getBigUint64(0, true)).toBe(bad);
      returnFromHandler(t);
      expect(t.regs.getBig(Reg.rsp)).toBe(bad);
    }
    // Without SA_ONSTACK the frame would go below that RSP: SIGSEGV.
    const { t } = setup();
    t.regs.setBig(Reg.rsp, 0xffff_ff80_0000_1000n);
    deliver(t);
    expect(t.exitStatus).toEqual({ signal: 11, coreDumped: true });
  });

  it('a blocked signal stays pending until the mask lets it through', () => {
    const { t } = setup();
    t.signals.setMask(1 << (SIGUSR1 - 1), 0);
    deliver(t);
    expect(t.regs.get(Reg.rip)).toBe(0x40_5000);
    expect(t.signals.isPending(SIGUSR1)).toBe(true);
    t.signals.setMask(0, 0);
    t.kernel.deliverPending(t);
    expect(t.regs.get(Reg.rip)).toBe(HANDLER);
    expect(t.signals.isPending(SIGUSR1)).toBe(false);
  });

  it('a frame that cannot be written, or no SA_RESTORER, is SIGSEGV', () => {
    const a = setup();
    a.t.regs.set(Reg.rsp, a.t.mm.unmapped);
    deliver(a.t);
    expect(a.t.exitStatus).toEqual({ signal: 11, coreDumped: true });
    const b = setup(SA_SIGINFO);
    deliver(b.t);
    expect(b.t.exitStatus).toEqual({ signal: 11, coreDumped: true });
  });

  it('a fault while its signal is blocked or ignored forces the default action', () => {
    const { t } = setup();
    t.signals.actions[11] = { handler: HANDLER, flags: SA_RESTORER, restorer: RESTORER, maskLo: 0, maskHi: 0 };
    t.signals.setMask(1 << 10, 0);
    t.kernel.forceSignal(t, { signo: 11, code: 1, addr: 0x10 });
    t.kernel.deliverPending(t);
    expect(t.exitStatus).toEqual({ signal: 11, coreDumped: true });
  });
});
