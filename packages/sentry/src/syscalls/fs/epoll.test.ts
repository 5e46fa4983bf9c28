// The epoll system calls on a fake task: Linux's errno for each bad
// argument, in its order; the packed struct epoll_event; waits that park
// and wake, time out or end with EINTR under their sigmask; sets shared by
// a forked table.
import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { interruptTask } from '../../kernel/park.js';
import { SA_RESTORER, SI_KERNEL, sendSignal } from '../../kernel/signals.js';
import { AT_FDCWD, type Env, O, pipe, setup } from './test-helpers.js';

const EPOLLIN = 0x1;
const EPOLLOUT = 0x4;
const EPOLLERR = 0x8;
const EPOLLHUP = 0x10;
const EPOLLRDHUP = 0x2000;
const EPOLLEXCLUSIVE = 1 << 28;
const EPOLLWAKEUP = 1 << 29;
const EPOLLONESHOT = 1 << 30;
const EPOLLET = 2 ** 31;
const ADD = 1;
const DEL = 2;
const MOD = 3;
const EPOLL_CLOEXEC = O.CLOEXEC;
const SIGUSR1 = 10;
const BIT = 1 << (SIGUSR1 - 1);
/** EP_MAX_EVENTS = INT_MAX / 12. */
const MAX_EVENTS = 178956970;

let env: Env;
afterEach(() => env.cleanup());

/** A struct epoll_event in memory. */
function event(e: Env, events: number, data: bigint): number {
  const p = e.buf(12);
  const v = e.t.mm.dv(p, 12);
  v.setUint32(0, events >>> 0, true);
  v.setBigUint64(4, data, true);
  return p;
}

/** The `n` events at `p`, as [events, data]. */
function events(e: Env, p: number, n: number): [number, bigint][] {
  const v = e.t.mm.dv(p, n * 12);
  return Array.from({ length: n }, (_, i) => [v.getUint32(i * 12, true), v.getBigUint64(i * 12 + 4, true)]);
}

function ctl(e: Env, ep: number, op: number, fd: number, ev: number, data = BigInt(fd)): number {
  return e.now('epoll_ctl', ep, op, fd, event(e, ev, data));
}

/** A new set holding the read end of a new pipe (EPOLLIN, data = its number), and room for one event. */
function pipeInSet(e: Env): { ep: number; r: number; w: number; out: number } {
  const ep = e.now('epoll_create1', 0);
  const [r, w] = pipe(e);
  ctl(e, ep, ADD, r, EPOLLIN);
  return { ep, r, w, out: e.buf(12) };
}

function sigset(e: Env, lo: number): number {
  const p = e.buf(8);
  e.t.mm.dv(p, 8).setUint32(0, lo, true);
  return p;
}

describe('epoll_create and epoll_create1', () => {
  it('size must be positive; the only flag is EPOLL_CLOEXEC', () => {
    env = setup();
    expect(env.now('epoll_create', 0)).toBe(-E.EINVAL);
    expect(env.now('epoll_create', -1)).toBe(-E.EINVAL);
    const a = env.now('epoll_create', 1);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(env.now('fcntl', a, 1, 0)).toBe(0);
    expect(env.now('epoll_create1', 1)).toBe(-E.EINVAL);
    expect(env.now('epoll_create1', O.NONBLOCK)).toBe(-E.EINVAL);
    const b = env.now('epoll_create1', EPOLL_CLOEXEC);
    expect(env.now('fcntl', b, 1, 0)).toBe(1);
    expect(env.now('fcntl', b, 3, 0)).toBe(O.RDWR);
  });

  it('reads and writes are EINVAL, lseek stays at 0, fstat is an anonymous inode (mode 0600)', () => {
    env = setup();
    const ep = env.now('epoll_create1', 0);
    const b = env.buf(144);
    expect(env.now('read', ep, b, 8)).toBe(-E.EINVAL);
    expect(env.now('write', ep, b, 8)).toBe(-E.EINVAL);
    expect(env.now('lseek', ep, 5, 0)).toBe(0);
    expect(env.now('fstat', ep, b)).toBe(0);
    expect(env.t.mm.dv(b, 144).getUint32(24, true)).toBe(0o600);
  });
});

describe('epoll_ctl', () => {
  it('checks the event, the descriptors, then the set, in Linux order', () => {
    env = setup({ f: 'x', 'd/': '' });
    const ep = env.now('epoll_create1', 0);
    const [r] = pipe(env);
    const file = env.now('openat', AT_FDCWD, env.str('/f'), O.RDONLY, 0);
    const dir = env.now('openat', AT_FDCWD, env.str('/d'), O.RDONLY, 0);
    const path = env.now('openat', AT_FDCWD, env.str('/f'), O.PATH, 0);
    const bad = env.t.mm.unmapped;
    expect(env.now('epoll_ctl', ep, ADD, r, bad)).toBe(-E.EFAULT);
    expect(env.now('epoll_ctl', 99, ADD, r, bad)).toBe(-E.EFAULT); // the event first
    expect(env.now('epoll_ctl', ep, 99, r, 0)).toBe(-E.EFAULT); // an unknown op reads it too
    expect(env.now('epoll_ctl', ep, DEL, r, 0)).toBe(-E.ENOENT); // DEL does not
    expect(ctl(env, 99, ADD, r, EPOLLIN)).toBe(-E.EBADF);
    expect(ctl(env, ep, ADD, 99, EPOLLIN)).toBe(-E.EBADF);
    expect(ctl(env, ep, ADD, path, EPOLLIN)).toBe(-E.EBADF);
    expect(ctl(env, ep, ADD, file, EPOLLIN)).toBe(-E.EPERM);
    expect(ctl(env, ep, ADD, dir, EPOLLIN)).toBe(-E.EPERM);
    expect(ctl(env, file, ADD, dir, EPOLLIN)).toBe(-E.EPERM); // the target before the set
    expect(ctl(env, r, ADD, r, EPOLLIN)).toBe(-E.EINVAL);
    expect(ctl(env, ep, ADD, ep, EPOLLIN)).toBe(-E.EINVAL);
    expect(ctl(env, ep, 99, r, EPOLLIN)).toBe(-E.EINVAL);
    expect(ctl(env, ep, MOD, r, EPOLLIN)).toBe(-E.ENOENT);
    expect(ctl(env, ep, ADD, r, EPOLLIN | EPOLLWAKEUP)).toBe(0);
    expect(ctl(env, ep, ADD, r, EPOLLIN)).toBe(-E.EEXIST);
    expect(ctl(env, ep, MOD, r, EPOLLIN | EPOLLRDHUP)).toBe(0);
    expect(env.now('epoll_ctl', ep, DEL, r, 0)).toBe(0);
  });

  it('EPOLLEXCLUSIVE: ADD only, never for a set, only with IN/OUT/ERR/HUP/WAKEUP/ET', () => {
    env = setup();
    const ep = env.now('epoll_create1', 0);
    const inner = env.now('epoll_create1', 0);
    const [r, w] = pipe(env);
    expect(ctl(env, ep, ADD, inner, EPOLLIN | EPOLLEXCLUSIVE)).toBe(-E.EINVAL);
    expect(ctl(env, ep, ADD, r, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT)).toBe(-E.EINVAL);
    expect(ctl(env, ep, ADD, r, EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP)).toBe(-E.EINVAL);
    expect(ctl(env, ep, ADD, r, EPOLLIN | EPOLLEXCLUSIVE | EPOLLET | EPOLLWAKEUP)).toBe(0);
    expect(ctl(env, ep, MOD, r, EPOLLIN | EPOLLEXCLUSIVE)).toBe(-E.EINVAL);
    expect(ctl(env, ep, MOD, r, EPOLLIN)).toBe(-E.EINVAL); // an exclusive item cannot be modified
    expect(ctl(env, ep, MOD, w, EPOLLIN | EPOLLEXCLUSIVE)).toBe(-E.EINVAL); // before ENOENT
    expect(ctl(env, ep, ADD, w, EPOLLOUT | EPOLLEXCLUSIVE)).toBe(0);
  });
});

describe('epoll_wait', () => {
  it('checks maxevents, the array, then the descriptor', () => {
    env = setup();
    const ep = env.now('epoll_create1', 0);
    const [r] = pipe(env);
    const out = env.buf(12);
    for (const max of [0, -1, MAX_EVENTS + 1]) expect(env.now('epoll_wait', 99, out, max, 0)).toBe(-E.EINVAL);
    expect(env.now('epoll_wait', 99, 2 ** 47 - 4096 - 12, 2, 0)).toBe(-E.EFAULT);
    expect(env.now('epoll_wait', 99, -1n, 1, 0)).toBe(-E.EFAULT);
    expect(env.now('epoll_wait', 99, out, 1, 0)).toBe(-E.EBADF);
    expect(env.now('epoll_wait', r, out, 1, 0)).toBe(-E.EINVAL);
    expect(env.now('epoll_wait', ep, out, MAX_EVENTS, 0)).toBe(0);
    expect(env.now('epoll_wait', ep, 0, 1, 0)).toBe(0); // nothing to copy: no fault
  });

  it('writes packed 12-byte events with the data as given, at most maxevents, in ready-list order', () => {
    env = setup();
    const ep = env.now('epoll_create1', 0);
    const [r, w] = pipe(env);
    ctl(env, ep, ADD, r, EPOLLIN, 0x1122_3344_5566_7788n);
    ctl(env, ep, ADD, w, EPOLLOUT, 0xffff_ffff_ffff_fffen);
    env.now('write', w, env.buf(1, 'x'), 1);
    const out = env.buf(36);
    expect(env.now('epoll_wait', ep, out, 1, 0)).toBe(1);
    expect(events(env, out, 1)).toEqual([[EPOLLOUT, 0xffff_ffff_ffff_fffen]]);
    // The one left over comes first, then the level-triggered one reported last time.
    expect(env.now('epoll_wait', ep, out, 3, -1)).toBe(2);
    expect(events(env, out, 2)).toEqual([
      [EPOLLIN, 0x1122_3344_5566_7788n],
      [EPOLLOUT, 0xffff_ffff_ffff_fffen],
    ]);
  });

  it('a fault after the first event returns what was written; a fault at the first is EFAULT', () => {
    env = setup();
    const { ep, w } = pipeInSet(env);
    ctl(env, ep, ADD, w, EPOLLOUT);
    const one = env.buf(12); // a guard page follows
    expect(env.now('epoll_wait', ep, one, 2, 0)).toBe(1);
    expect(events(env, one, 1)).toEqual([[EPOLLOUT, BigInt(w)]]);
    expect(env.now('epoll_wait', ep, env.t.mm.unmapped, 2, 0)).toBe(-E.EFAULT);
    expect(env.now('epoll_wait', ep, one, 2, 0)).toBe(1);
  });

  it('parks until a watched file changes, and times out with 0', async () => {
    env = setup();
    const { ep, r, w, out } = pipeInSet(env);
    const pending = env.sys('epoll_wait', ep, out, 1, -1);
    expect(pending).toBeInstanceOf(Promise);
    setTimeout(() => env.now('write', w, env.buf(1, 'x'), 1), 5);
    expect(await pending).toBe(1);
    env.now('read', r, env.buf(1), 1);
    const t0 = performance.now();
    expect(await env.sys('epoll_wait', ep, out, 1, 30)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('a closed write end wakes the waiter with EPOLLHUP', async () => {
    env = setup();
    const { ep, w, out } = pipeInSet(env);
    const pending = env.sys('epoll_wait', ep, out, 1, -1);
    env.now('close', w);
    expect(await pending).toBe(1);
    expect(events(env, out, 1)[0]![0]).toBe(EPOLLHUP);
  });

  it('the set stays whole while a task waits in it, even if its last descriptor is closed', async () => {
    env = setup();
    const { ep, w, out } = pipeInSet(env);
    const pending = env.sys('epoll_wait', ep, out, 1, 2000);
    env.now('close', ep);
    env.now('write', w, env.buf(1, 'x'), 1);
    expect(await pending).toBe(1);
  });

  it('a signal ends a wait with EINTR, never a restart; an event already there wins', async () => {
    env = setup();
    const { ep, w, out } = pipeInSet(env);
    const pending = env.sys('epoll_wait', ep, out, 1, -1);
    interruptTask(env.t);
    expect(await pending).toBe(-E.EINTR);
    const ready = env.sys('epoll_wait', ep, out, 1, -1);
    env.now('write', w, env.buf(1, 'x'), 1);
    interruptTask(env.t);
    expect(await ready).toBe(1);
  });
});

describe('epoll_pwait and epoll_pwait2', () => {
  /** A SIGUSR1 handler, the signal blocked and pending. */
  function blockedSignal(e: Env): void {
    e.t.signals.actions[SIGUSR1] = { handler: 0x40_1000, flags: SA_RESTORER, restorer: 0x40_2000, maskLo: 0, maskHi: 0 };
    e.t.signals.setMask(BIT, 0);
    sendSignal(e.t, { signo: SIGUSR1, code: SI_KERNEL });
  }

  it('wait under their mask: a signal it unblocks ends the wait with EINTR and the mask stays for the handler', async () => {
    env = setup();
    const ep = env.now('epoll_create1', 0);
    const out = env.buf(12);
    blockedSignal(env);
    const pending = env.sys('epoll_pwait', ep, out, 1, -1, sigset(env, 0), 8);
    expect(await pending).toBe(-E.EINTR);
    expect(env.t.signals.savedMask).toEqual({ lo: BIT, hi: 0 });
    env.t.kernel.deliverPending(env.t);
    expect(env.t.signals.savedMask).toBeUndefined();
  });

  it('put the mask back at once when they time out or find an event', async () => {
    env = setup();
    const { ep, w, out } = pipeInSet(env);
    env.t.signals.setMask(BIT, 0);
    expect(await env.sys('epoll_pwait', ep, out, 1, 1, sigset(env, 0x4000), 8)).toBe(0);
    expect([env.t.signals.maskLo, env.t.signals.savedMask]).toEqual([BIT, undefined]);
    env.now('write', w, env.buf(1, 'x'), 1);
    blockedSignal(env);
    expect(env.now('epoll_pwait', ep, out, 1, -1, sigset(env, 0), 8)).toBe(1);
    expect([env.t.signals.maskLo, env.t.signals.savedMask]).toEqual([BIT, undefined]);
  });

  it('check the mask before the wait arguments, and epoll_pwait2 its timespec first', () => {
    env = setup();
    const ep = env.now('epoll_create1', 0);
    const out = env.buf(12);
    expect(env.now('epoll_pwait', ep, out, 0, 0, sigset(env, 0), 4)).toBe(-E.EINVAL);
    expect(env.now('epoll_pwait', ep, out, 0, 0, env.t.mm.unmapped, 8)).toBe(-E.EFAULT);
    expect(env.now('epoll_pwait', ep, out, 1, 0, 0, 4)).toBe(0); // no mask: its size is not looked at
    const ts = (sec: bigint, nsec: bigint): number => {
      const p = env.buf(16);
      env.t.mm.dv(p, 16).setBigInt64(0, sec, true);
      env.t.mm.dv(p, 16).setBigInt64(8, nsec, true);
      return p;
    };
    expect(env.now('epoll_pwait2', ep, out, 0, env.t.mm.unmapped, env.t.mm.unmapped, 8)).toBe(-E.EFAULT);
    expect(env.now('epoll_pwait2', ep, out, 0, ts(-1n, 0n), 0, 8)).toBe(-E.EINVAL);
    expect(env.now('epoll_pwait2', ep, out, 1, ts(0n, 1_000_000_000n), 0, 8)).toBe(-E.EINVAL);
    expect(env.now('epoll_pwait2', ep, out, 1, ts(0n, 0n), 0, 8)).toBe(0);
    expect(env.now('epoll_pwait2', ep, out, 1, ts(0n, 0n), sigset(env, 0), 8)).toBe(0);
    expect([env.t.signals.maskLo, env.t.signals.savedMask]).toEqual([0, undefined]);
  });

  it('epoll_pwait2 with a NULL timeout waits until an event', async () => {
    env = setup();
    const { ep, w } = pipeInSet(env);
    const pending = env.sys('epoll_pwait2', ep, env.buf(12), 1, 0, 0, 8);
    expect(pending).toBeInstanceOf(Promise);
    env.now('write', w, env.buf(1, 'x'), 1);
    expect(await pending).toBe(1);
  });
});

describe('descriptors and sets', () => {
  it('closing the last descriptor of a file removes it; a dup keeps it; DEL by a closed number is EBADF', () => {
    env = setup();
    const ep = env.now('epoll_create1', 0);
    const [r, w] = pipe(env);
    const r2 = env.now('dup', r);
    ctl(env, ep, ADD, r, EPOLLIN);
    env.now('close', r);
    env.now('write', w, env.buf(1, 'x'), 1);
    const out = env.buf(12);
    expect(env.now('epoll_wait', ep, out, 1, 0)).toBe(1);
    expect(events(env, out, 1)).toEqual([[EPOLLIN, BigInt(r)]]); // still reported under the old number
    expect(env.now('epoll_ctl', ep, DEL, r, 0)).toBe(-E.EBADF);
    env.now('close', r2);
    expect(env.now('epoll_wait', ep, out, 1, 0)).toBe(0);
    // The same number now names another file: a new item, not EEXIST.
    expect(env.now('dup2', w, r)).toBe(r);
    expect(ctl(env, ep, ADD, r, EPOLLOUT)).toBe(0);
  });

  it('a forked table shares the set: the parent closing its descriptors leaves the child a working set', () => {
    env = setup();
    const ep = env.now('epoll_create1', 0);
    const [r, w] = pipe(env);
    ctl(env, ep, ADD, r, EPOLLIN | EPOLLERR);
    const child = env.t.fds.fork();
    expect(child.get(ep)).toBe(env.t.fds.get(ep));
    env.now('close', ep);
    env.now('close', r);
    env.now('write', w, env.buf(1, 'x'), 1);
    const out = env.buf(12);
    env.t.fds.put(ep, child.get(ep)!);
    expect(env.now('epoll_wait', ep, out, 1, 0)).toBe(1);
    child.closeAll();
  });

  it('poll and select see a set as readable while it has an event; a nested set wakes its waiter', async () => {
    env = setup();
    const outer = env.now('epoll_create1', 0);
    const inner = env.now('epoll_create1', 0);
    const [r, w] = pipe(env);
    ctl(env, inner, ADD, r, EPOLLIN);
    ctl(env, outer, ADD, inner, EPOLLIN);
    const fds = env.buf(8);
    env.t.mm.dv(fds, 8).setInt32(0, inner, true);
    env.t.mm.dv(fds, 8).setInt16(4, EPOLLIN, true);
    expect(env.now('poll', fds, 1, 0)).toBe(0);
    const out = env.buf(12);
    const pending = env.sys('epoll_wait', outer, out, 1, -1);
    env.now('write', w, env.buf(1, 'x'), 1);
    expect(await pending).toBe(1);
    expect(events(env, out, 1)).toEqual([[EPOLLIN, BigInt(inner)]]);
    expect(env.now('poll', fds, 1, 0)).toBe(1);
  });
});
