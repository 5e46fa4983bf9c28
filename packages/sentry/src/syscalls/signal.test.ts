import { Reg } from '@tsv/platform';
import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { ERESTARTNOHAND } from '../kernel/restart.js';
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

  it('a stop signal stops the whole process until SIGCONT', () => {
    const t = makeTask();
    expect(sys(t, 'kill', t.pid, 19)).toBe(0);
    expect([t.exited, t.group.stopped, t.group.stopSignal]).toEqual([false, true, 19]);
    expect(sys(t, 'kill', t.pid, 18)).toBe(0);
    expect([t.exited, t.group.stopped]).toEqual([false, false]);
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

const wait = (t: FakeTask, name: string, ...args: (number | bigint)[]): number | Promise<number> =>
  call(t, handlerOf(SIGNAL_SYSCALLS, name), ...args);
const SI_QUEUE = -1;
const SI_TKILL = -6;

/** A siginfo of 128 bytes: code and errno, si_int-style value at 24, optionally junk past the kernel's 48 bytes. */
function siginfo(t: FakeTask, code: number, value: number, tail = 0): number {
  const p = t.mm.alloc(128);
  const dv = t.mm.dv(p, 128);
  dv.setInt32(0, 99, true); // si_signo: replaced by the call's signal
  dv.setInt32(4, 7, true);
  dv.setInt32(8, code, true);
  dv.setInt32(16, 4242, true);
  dv.setInt32(24, value, true);
  dv.setUint8(100, tail);
  return p;
}

describe('rt_sigqueueinfo and rt_tgsigqueueinfo', () => {
  it("queue real-time signals with their siginfo; rt_sigtimedwait takes them in Linux's order", async () => {
    const t = makeTask();
    const RT = 40;
    sys(t, 'rt_sigprocmask', 0, sigset(t, 3n << BigInt(RT - 1)), 0, 8);
    expect(sys(t, 'rt_sigqueueinfo', t.pid, RT + 1, siginfo(t, SI_QUEUE, 1))).toBe(0);
    for (const v of [2, 3]) expect(sys(t, 'rt_sigqueueinfo', t.pid, RT, siginfo(t, SI_QUEUE, v))).toBe(0);
    expect(sys(t, 'rt_tgsigqueueinfo', t.pid, t.tid, RT, siginfo(t, SI_QUEUE, 4))).toBe(0);
    const info = t.mm.alloc(128);
    const got: number[][] = [];
    for (let i = 0; i < 4; i++) {
      t.mm.write(info, new Uint8Array(128).fill(0xee));
      expect(await wait(t, 'rt_sigtimedwait', sigset(t, 3n << BigInt(RT - 1)), info, 0, 8)).toBeGreaterThan(0);
      const dv = t.mm.dv(info, 128);
      got.push([dv.getInt32(0, true), dv.getInt32(4, true), dv.getInt32(8, true), dv.getInt32(16, true), dv.getInt32(24, true)]);
      expect(t.mm.read(info + 48, 80).every((b) => b === 0)).toBe(true);
    }
    // The one sent to the thread first, then the process's, lowest signal first.
    expect(got).toEqual([
      [RT, 7, SI_QUEUE, 4242, 4],
      [RT, 7, SI_QUEUE, 4242, 2],
      [RT, 7, SI_QUEUE, 4242, 3],
      [RT + 1, 7, SI_QUEUE, 4242, 1],
    ]);
  });

  it('check the siginfo, then the right to pose as the kernel or kill(), then the target and the signal', () => {
    const t = makeTask();
    const ok = siginfo(t, SI_QUEUE, 0);
    expect(sys(t, 'rt_sigqueueinfo', t.pid, 40, t.mm.unmapped)).toBe(-E.EFAULT);
    expect(sys(t, 'rt_sigqueueinfo', t.pid, 40, t.mm.alloc(47))).toBe(-E.EFAULT);
    // Only a layout the kernel does not know must have a zero tail.
    expect(sys(t, 'rt_sigqueueinfo', t.pid, 40, siginfo(t, -30, 0, 1))).toBe(-E.E2BIG);
    expect(sys(t, 'rt_sigqueueinfo', t.pid, 0, siginfo(t, -30, 0, 0))).toBe(0);
    expect(sys(t, 'rt_sigqueueinfo', t.pid, 0, siginfo(t, SI_QUEUE, 0, 1))).toBe(0);
    for (const code of [0, 1, 0x80, SI_TKILL]) expect(sys(t, 'rt_sigqueueinfo', t.pid + 1, 40, siginfo(t, code, 0))).toBe(-E.EPERM);
    expect(sys(t, 'rt_sigqueueinfo', t.pid + 1, 40, ok)).toBe(-E.ESRCH);
    expect(sys(t, 'rt_sigqueueinfo', 0, 40, ok)).toBe(-E.ESRCH);
    for (const sig of [-1, 65]) expect(sys(t, 'rt_sigqueueinfo', t.pid, sig, ok)).toBe(-E.EINVAL);
    expect(sys(t, 'rt_sigqueueinfo', t.pid, 0, siginfo(t, 0, 0))).toBe(0);
    expect(sys(t, 'rt_tgsigqueueinfo', 0, t.tid, 40, ok)).toBe(-E.EINVAL);
    expect(sys(t, 'rt_tgsigqueueinfo', t.pid, -1, 40, ok)).toBe(-E.EINVAL);
    expect(sys(t, 'rt_tgsigqueueinfo', t.pid, t.tid, 40, t.mm.unmapped)).toBe(-E.EFAULT);
    expect(sys(t, 'rt_tgsigqueueinfo', t.pid, t.tid + 1, 40, siginfo(t, SI_TKILL, 0))).toBe(-E.EPERM);
    expect(sys(t, 'rt_tgsigqueueinfo', t.pid + 1, t.tid, 40, ok)).toBe(-E.ESRCH);
    expect(sys(t, 'rt_tgsigqueueinfo', t.pid, t.tid, 65, ok)).toBe(-E.EINVAL);
    expect(t.exited).toBe(false);
  });

  it('EAGAIN once RLIMIT_SIGPENDING signals are queued', () => {
    const t = makeTask();
    sys(t, 'rt_sigprocmask', 0, sigset(t, 1n << 39n), 0, 8);
    t.rlimits.set(11, { cur: 2, max: 2 });
    const info = siginfo(t, SI_QUEUE, 0);
    expect(sys(t, 'rt_sigqueueinfo', t.pid, 40, info)).toBe(0);
    expect(sys(t, 'rt_sigqueueinfo', t.pid, 40, info)).toBe(0);
    expect(sys(t, 'rt_sigqueueinfo', t.pid, 40, info)).toBe(-E.EAGAIN);
    // kill() still sends it, without a siginfo.
    expect(sys(t, 'kill', t.pid, 40)).toBe(0);
  });
});

describe('waiting for signals', () => {
  it('rt_sigsuspend ends with ERESTARTNOHAND (EINTR under a handler) with the old mask saved', async () => {
    const t = makeTask();
    sys(t, 'rt_sigprocmask', 2, sigset(t, 1n << BigInt(SIGUSR1 - 1)), 0, 8);
    const r = wait(t, 'rt_sigsuspend', sigset(t, 0n), 8);
    expect(t.signals.maskLo).toBe(0);
    expect(t.signals.savedMask).toEqual({ lo: 1 << (SIGUSR1 - 1), hi: 0 });
    sys(t, 'rt_sigaction', SIGUSR1, sigaction(t, 0x401000n, 0x0400_0000n, 0n), 0, 8);
    sys(t, 'kill', t.pid, SIGUSR1);
    expect(await r).toBe(-ERESTARTNOHAND);
  });

  it('pause waits for a signal the task acts on, then ERESTARTNOHAND', async () => {
    const t = makeTask();
    sys(t, 'rt_sigaction', SIGUSR1, sigaction(t, 0x401000n, 0x0400_0000n, 0n), 0, 8);
    const r = wait(t, 'pause');
    expect(r).toBeInstanceOf(Promise);
    sys(t, 'kill', t.pid, SIGCHLD);
    sys(t, 'kill', t.pid, SIGUSR1);
    expect(await r).toBe(-ERESTARTNOHAND);
  });

  it('rt_sigtimedwait wakes for a blocked signal of its set, not for other blocked ones', async () => {
    const t = makeTask();
    sys(t, 'rt_sigprocmask', 2, sigset(t, 3n << BigInt(SIGUSR1 - 1)), 0, 8);
    const r = wait(t, 'rt_sigtimedwait', sigset(t, 1n << BigInt(SIGUSR1 - 1)), 0, 0, 8);
    expect(r).toBeInstanceOf(Promise);
    sys(t, 'kill', t.pid, SIGUSR1 + 1);
    expect(t.signals.waking).toBeDefined();
    sys(t, 'kill', t.pid, SIGUSR1);
    expect(await r).toBe(SIGUSR1);
    expect(t.signals.waking).toBeUndefined();
    expect(t.signals.isPending(SIGUSR1 + 1)).toBe(true);
  });
});
