import { Reg } from '@tsv/platform';
import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { call, type FakeTask, handlerOf, makeTask } from '../testing/fake-task.js';
import { SA_FLAGS_KNOWN, SIGNAL_SYSCALLS, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK } from './signal.js';

const sys = (t: FakeTask, name: string, ...args: (number | bigint)[]): number => {
  const r = call(t, handlerOf(SIGNAL_SYSCALLS, name), ...args);
  if (typeof r !== 'number') throw new Error(`${name} returned a promise`);
  return r;
};
const SIGUSR1 = 10;
const SIGTERM = 15;
const SIGCHLD = 17;

function sigaction(t: FakeTask, handler: bigint, flags: bigint, mask: bigint): number {
  const p = t.mm.alloc(32);
  const dv = t.mm.dv(p, 32);
  dv.setBigUint64(0, handler, true);
  dv.setBigUint64(8, flags, true);
  dv.setBigUint64(16, 0x401234n, true);
  dv.setBigUint64(24, mask, true);
  return p;
}
function sigset(t: FakeTask, v: bigint): number {
  const p = t.mm.alloc(8);
  t.mm.dv(p, 8).setBigUint64(0, v, true);
  return p;
}
const u64 = (t: FakeTask, p: number, off = 0): bigint => t.mm.dv(p + off, 8).getBigUint64(0, true);

describe('rt_sigaction', () => {
  it('records the action, masks flags and unblockable signals, returns the old one', () => {
    const t = makeTask();
    const act = sigaction(t, 0x401000n, 0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_ffffn);
    expect(sys(t, 'rt_sigaction', SIGUSR1, act, 0, 8)).toBe(0);
    const old = t.mm.alloc(32);
    expect(sys(t, 'rt_sigaction', SIGUSR1, 0, old, 8)).toBe(0);
    expect(u64(t, old)).toBe(0x401000n);
    expect(u64(t, old, 8)).toBe(BigInt(SA_FLAGS_KNOWN)); // 0xdc000807, as Linux 6.x reads it back
    expect(u64(t, old, 16)).toBe(0x401234n);
    expect(u64(t, old, 24)).toBe(0xffff_ffff_fffb_feffn); // SIGKILL and SIGSTOP cleared
  });

  it('round-trips a handler of all ones', () => {
    const t = makeTask();
    expect(sys(t, 'rt_sigaction', 12, sigaction(t, 0xffff_ffff_ffff_ffffn, 0n, 0n), 0, 8)).toBe(0);
    const old = t.mm.alloc(32);
    expect(sys(t, 'rt_sigaction', 12, 0, old, 8)).toBe(0);
    expect(u64(t, old)).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('checks sigsetsize, the signal and the pointers in Linux order', () => {
    const t = makeTask();
    const act = sigaction(t, 1n, 0n, 0n);
    const old = t.mm.alloc(32);
    expect(sys(t, 'rt_sigaction', 65, 0, old, 4)).toBe(-E.EINVAL);
    expect(sys(t, 'rt_sigaction', 65, 8, old, 8)).toBe(-E.EFAULT);
    for (const sig of [0, 65, -1]) expect(sys(t, 'rt_sigaction', sig, 0, old, 8)).toBe(-E.EINVAL);
    expect(sys(t, 'rt_sigaction', 9, 0, old, 8)).toBe(0); // reading SIGKILL's action is fine
    expect(sys(t, 'rt_sigaction', 9, act, 0, 8)).toBe(-E.EINVAL);
    expect(sys(t, 'rt_sigaction', 19, act, 0, 8)).toBe(-E.EINVAL);
    expect(sys(t, 'rt_sigaction', SIGUSR1, 0, 8, 8)).toBe(-E.EFAULT);
    expect(sys(t, 'rt_sigaction', SIGUSR1, act + 8, 0, 8)).toBe(-E.EFAULT);
    expect(sys(t, 'rt_sigaction', SIGUSR1, 0, t.mm.alloc(32, false), 8)).toBe(-E.EFAULT);
    expect(sys(t, 'rt_sigaction', 64, act, 0, 8)).toBe(0);
  });
});

describe('rt_sigprocmask', () => {
  it('blocks, unblocks and sets; SIGKILL/SIGSTOP never blocked', () => {
    const t = makeTask();
    const old = t.mm.alloc(8);
    expect(sys(t, 'rt_sigprocmask', 0, sigset(t, 0xffff_ffff_ffff_ffffn), old, 8)).toBe(0);
    expect(u64(t, old)).toBe(0n);
    expect(sys(t, 'rt_sigprocmask', 1, sigset(t, 1n << 9n), old, 8)).toBe(0);
    expect(u64(t, old)).toBe(0xffff_ffff_fffb_feffn);
    expect(sys(t, 'rt_sigprocmask', 2, sigset(t, 5n), 0, 8)).toBe(0);
    expect(sys(t, 'rt_sigprocmask', 0, 0, old, 8)).toBe(0);
    expect(u64(t, old)).toBe(5n);
  });

  it('EINVAL for a bad how (only with a set) or sigsetsize; EFAULT for pointers', () => {
    const t = makeTask();
    const s = sigset(t, 1n);
    expect(sys(t, 'rt_sigprocmask', 7, 0, t.mm.alloc(8), 8)).toBe(0);
    expect(sys(t, 'rt_sigprocmask', 7, s, 0, 8)).toBe(-E.EINVAL);
    expect(sys(t, 'rt_sigprocmask', 7, 8, 0, 8)).toBe(-E.EFAULT);
    expect(sys(t, 'rt_sigprocmask', 0, s, 0, 16)).toBe(-E.EINVAL);
    expect(sys(t, 'rt_sigprocmask', 0, 0, t.mm.unmapped, 8)).toBe(-E.EFAULT);
  });
});

describe('kill, tkill, tgkill', () => {
  it('signal 0 probes; other processes do not exist', () => {
    const t = makeTask();
    expect(sys(t, 'kill', t.pid, 0)).toBe(0);
    expect(sys(t, 'kill', 0, 0)).toBe(0);
    // The sandbox's first process is pid 1, so kill(-1) is the broadcast, which reaches nobody else.
    expect(t.pgid).toBe(1);
    expect(sys(t, 'kill', -1, 0)).toBe(-E.ESRCH);
    t.pgid = 5;
    expect(sys(t, 'kill', -5, 0)).toBe(0);
    expect(sys(t, 'kill', -6, 0)).toBe(-E.ESRCH);
    expect(sys(t, 'kill', 999, 100)).toBe(-E.ESRCH);
    expect(sys(t, 'kill', t.pid, 100)).toBe(-E.EINVAL);
    expect(sys(t, 'kill', t.pid, -1)).toBe(-E.EINVAL);
    expect(sys(t, 'kill', -(2 ** 31), 0)).toBe(-E.ESRCH);
    expect(sys(t, 'tgkill', 0, t.tid, 0)).toBe(-E.EINVAL);
    expect(sys(t, 'tgkill', t.pid, 0, 0)).toBe(-E.EINVAL);
    expect(sys(t, 'tgkill', t.pid + 1, t.tid, 0)).toBe(-E.ESRCH);
    expect(sys(t, 'tgkill', t.pid, t.tid, 100)).toBe(-E.EINVAL);
    expect(sys(t, 'tkill', 0, 1)).toBe(-E.EINVAL);
    expect(sys(t, 'tkill', 999, 100)).toBe(-E.ESRCH);
    expect(t.exited).toBe(false);
  });

  it('a fatal signal to itself ends the task with it', () => {
    const t = makeTask();
    expect(sys(t, 'kill', t.pid, SIGTERM)).toBe(0);
    expect(t.exitStatus).toEqual({ signal: SIGTERM, coreDumped: false });
    const u = makeTask();
    sys(u, 'tgkill', u.pid, u.tid, 6);
    expect(u.exitStatus).toEqual({ signal: 6, coreDumped: true });
  });

  it('ignored signals are discarded; blocked ones wait until unblocked', () => {
    const t = makeTask();
    expect(sys(t, 'kill', t.pid, SIGCHLD)).toBe(0);
    expect(sys(t, 'rt_sigaction', SIGTERM, sigaction(t, 1n, 0n, 0n), 0, 8)).toBe(0); // SIG_IGN
    expect(sys(t, 'tkill', t.tid, SIGTERM)).toBe(0);
    expect(t.exited).toBe(false);
    expect(sys(t, 'rt_sigprocmask', 0, sigset(t, 1n << BigInt(SIGUSR1 - 1)), 0, 8)).toBe(0);
    expect(sys(t, 'kill', 0, SIGUSR1)).toBe(0);
    expect(t.exited).toBe(false);
    const pend = t.mm.alloc(8);
    expect(sys(t, 'rt_sigpending', pend, 8)).toBe(0);
    expect(u64(t, pend)).toBe(1n << BigInt(SIGUSR1 - 1));
    expect(sys(t, 'rt_sigprocmask', 1, sigset(t, 1n << BigInt(SIGUSR1 - 1)), 0, 8)).toBe(0);
    expect(t.exited).toBe(false); // delivered on the way back to user space
    t.kernel.deliverPending(t);
    expect(t.exitStatus).toEqual({ signal: SIGUSR1, coreDumped: false });
  });

  it('SIGKILL cannot be blocked', () => {
    const t = makeTask();
    sys(t, 'rt_sigprocmask', 0, sigset(t, 0xffff_ffff_ffff_ffffn), 0, 8);
    sys(t, 'kill', t.pid, 9);
    expect(t.exitStatus?.signal).toBe(9);
  });

  it('stop signals are ignored with a warning (no job control)', () => {
    const warnings: string[] = [];
    const t = makeTask({ warnings });
    expect(sys(t, 'kill', t.pid, 19)).toBe(0);
    expect(t.exited).toBe(false);
    expect(warnings.length).toBe(1);
  });
});

describe('rt_sigpending', () => {
  it('writes up to sigsetsize bytes; larger sizes are EINVAL', () => {
    const t = makeTask();
    const p = t.mm.alloc(8);
    t.mm.write(p, new Uint8Array(8).fill(0xff));
    expect(sys(t, 'rt_sigpending', p, 4)).toBe(0);
    expect([...t.mm.read(p, 8)]).toEqual([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    expect(sys(t, 'rt_sigpending', p, 9)).toBe(-E.EINVAL);
    expect(sys(t, 'rt_sigpending', 0, 0)).toBe(0);
    expect(sys(t, 'rt_sigpending', p + 4, 8)).toBe(-E.EFAULT);
  });
});

describe('sigaltstack', () => {
  function stack(t: FakeTask, sp: bigint, flags: number, size: bigint): number {
    const p = t.mm.alloc(24);
    const dv = t.mm.dv(p, 24);
    dv.setBigUint64(0, sp, true);
    dv.setInt32(8, flags, true);
    dv.setBigUint64(16, size, true);
    return p;
  }
  const read = (t: FakeTask, p: number) => {
    const dv = t.mm.dv(p, 24);
    return { sp: dv.getBigUint64(0, true), flags: dv.getUint32(8, true), size: dv.getBigUint64(16, true) };
  };

  it('starts disabled, installs, reports on-stack use, and disables', () => {
    const t = makeTask();
    const o = t.mm.alloc(24);
    expect(sys(t, 'sigaltstack', 0, o)).toBe(0);
    expect(read(t, o)).toEqual({ sp: 0n, flags: SS_DISABLE, size: 0n });
    expect(sys(t, 'sigaltstack', stack(t, 0x10000n, 0, 8192n), o)).toBe(0);
    expect(read(t, o).flags).toBe(SS_DISABLE); // the old value
    expect(sys(t, 'sigaltstack', 0, o)).toBe(0);
    expect(read(t, o)).toEqual({ sp: 0x10000n, flags: 0, size: 8192n });
    t.regs.set(Reg.rsp, 0x11000);
    expect(sys(t, 'sigaltstack', 0, o)).toBe(0);
    expect(read(t, o).flags).toBe(SS_ONSTACK);
    expect(sys(t, 'sigaltstack', stack(t, 0n, SS_DISABLE, 0n), 0)).toBe(-E.EPERM);
    t.regs.set(Reg.rsp, 0x9000);
    expect(sys(t, 'sigaltstack', stack(t, 5n, SS_DISABLE | SS_AUTODISARM, 1n), 0)).toBe(0);
    expect(sys(t, 'sigaltstack', 0, o)).toBe(0);
    expect(read(t, o)).toEqual({ sp: 0n, flags: (SS_DISABLE | SS_AUTODISARM) >>> 0, size: 0n });
  });

  it('validates flags and size, faults on pointers', () => {
    const t = makeTask();
    expect(sys(t, 'sigaltstack', stack(t, 0x10000n, 5, 4096n), 0)).toBe(-E.EINVAL);
    expect(sys(t, 'sigaltstack', stack(t, 0x10000n, 2048, 4096n), 0)).toBe(-E.EINVAL);
    expect(sys(t, 'sigaltstack', stack(t, 0x10000n, 0, 2047n), 0)).toBe(-E.ENOMEM);
    expect(sys(t, 'sigaltstack', stack(t, 0x10000n, SS_ONSTACK, 2048n), 0)).toBe(0);
    expect(sys(t, 'sigaltstack', 8, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'sigaltstack', 0, t.mm.unmapped)).toBe(-E.EFAULT);
    expect(sys(t, 'sigaltstack', t.mm.alloc(16), 0)).toBe(-E.EFAULT);
  });
});

it('rt_sigreturn from an unreadable frame is SIGSEGV', () => {
  const t = makeTask();
  t.regs.set(Reg.rsp, t.mm.unmapped);
  sys(t, 'rt_sigreturn');
  t.kernel.deliverPending(t);
  expect(t.exitStatus).toEqual({ signal: 11, coreDumped: true });
});
