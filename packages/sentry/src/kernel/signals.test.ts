import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { Park } from './park.js';
import { makeTask } from '../testing/fake-task.js';
import { SA_RESTORER, SI_KERNEL, SI_QUEUE, SI_TKILL, SI_USER, sendSignal, SignalState } from './signals.js';

const SIGUSR1 = 10;
const SIGALRM = 14;
const SIGCHLD = 17;
const RT = 40;
const RLIMIT_SIGPENDING = 11;
const handled = { handler: 0x40_1000, flags: SA_RESTORER, restorer: 0x40_2000, maskLo: 0, maskHi: 0 };

describe('pending signals', () => {
  it('real-time signals queue every instance, oldest first; standard ones coalesce to the first', () => {
    const s = new SignalState();
    for (let i = 1; i <= 3; i++) {
      expect(s.enqueue({ signo: RT, code: SI_QUEUE, pid: i })).toBe(0);
      expect(s.enqueue({ signo: SIGUSR1, code: SI_USER, pid: i })).toBe(0);
    }
    const order: [number, number | undefined][] = [];
    for (let info = s.dequeue(); info !== undefined; info = s.dequeue()) order.push([info.signo, info.pid]);
    expect(order).toEqual([
      [SIGUSR1, 1],
      [RT, 1],
      [RT, 2],
      [RT, 3],
    ]);
    expect(s.pendingLo | s.pendingHi).toBe(0);
  });

  it('a real-time signal stays pending while instances remain, and the lowest number goes first', () => {
    const s = new SignalState();
    s.enqueue({ signo: 50, code: SI_QUEUE });
    s.enqueue({ signo: 34, code: SI_QUEUE, pid: 1 });
    s.enqueue({ signo: 34, code: SI_QUEUE, pid: 2 });
    expect(s.dequeue()).toMatchObject({ signo: 34, pid: 1 });
    expect(s.isPending(34)).toBe(true);
    expect(s.dequeue()).toMatchObject({ signo: 34, pid: 2 });
    expect(s.isPending(34)).toBe(false);
    expect(s.dequeue()?.signo).toBe(50);
  });

  it('RLIMIT_SIGPENDING: sigqueue-style senders get EAGAIN, kill() keeps the signal without its siginfo', () => {
    const s = new SignalState();
    expect(s.enqueue({ signo: RT, code: SI_QUEUE, pid: 1 }, 2)).toBe(0);
    expect(s.enqueue({ signo: RT, code: SI_QUEUE, pid: 2 }, 2)).toBe(0);
    expect(s.enqueue({ signo: RT, code: SI_QUEUE, pid: 3 }, 2)).toBe(-E.EAGAIN);
    expect(s.enqueue({ signo: RT, code: SI_TKILL, pid: 4 }, 2)).toBe(-E.EAGAIN);
    expect(s.enqueue({ signo: RT + 1, code: SI_USER, pid: 5 }, 2)).toBe(0);
    // A standard signal from kill() or the kernel is never refused its siginfo; one from tkill is.
    expect(s.enqueue({ signo: SIGUSR1, code: SI_USER, pid: 6 }, 2)).toBe(0);
    expect(s.enqueue({ signo: SIGALRM, code: SI_TKILL, pid: 7 }, 2)).toBe(0);
    expect(s.dequeue()).toMatchObject({ signo: SIGUSR1, pid: 6 });
    expect(s.dequeue()).toEqual({ signo: SIGALRM, code: SI_USER });
    expect(s.dequeue()).toMatchObject({ pid: 1 });
    expect(s.dequeue()).toMatchObject({ pid: 2 });
    expect(s.dequeue()).toEqual({ signo: RT + 1, code: SI_USER });
    expect(s.dequeue()).toBeUndefined();
    // Taking them freed the room.
    expect(s.enqueue({ signo: RT, code: SI_QUEUE }, 2)).toBe(0);
  });

  it("the thread's own signals go before its process's; a standard signal may be pending in both", () => {
    const s = new SignalState();
    s.enqueue({ signo: SIGUSR1, code: SI_USER, pid: 1 }, Infinity, 'process');
    s.enqueue({ signo: RT, code: SI_QUEUE, pid: 2 }, Infinity, 'process');
    s.enqueue({ signo: RT + 1, code: SI_QUEUE, pid: 3 }, Infinity, 'thread');
    s.enqueue({ signo: SIGUSR1, code: SI_TKILL, pid: 4 }, Infinity, 'thread');
    s.enqueue({ signo: SIGUSR1, code: SI_TKILL, pid: 5 }, Infinity, 'thread');
    const pids: (number | undefined)[] = [];
    for (let info = s.dequeue(); info !== undefined; info = s.dequeue()) pids.push(info.pid);
    expect(pids).toEqual([4, 3, 1, 2]);
    // The limit counts both sets.
    s.enqueue({ signo: RT, code: SI_QUEUE }, 2, 'thread');
    s.enqueue({ signo: RT, code: SI_QUEUE }, 2, 'process');
    expect(s.enqueue({ signo: RT, code: SI_QUEUE }, 2, 'process')).toBe(-E.EAGAIN);
    s.discard(RT);
    expect(s.isPending(RT)).toBe(false);
    expect(s.enqueue({ signo: RT, code: SI_QUEUE }, 2, 'process')).toBe(0);
  });

  it('discard drops every instance and gives their room back', () => {
    const s = new SignalState();
    s.enqueue({ signo: RT, code: SI_QUEUE }, 2);
    s.enqueue({ signo: RT, code: SI_QUEUE }, 2);
    s.discard(RT);
    expect(s.isPending(RT)).toBe(false);
    expect(s.enqueue({ signo: RT + 1, code: SI_QUEUE }, 2)).toBe(0);
    expect(s.enqueue({ signo: RT + 1, code: SI_QUEUE }, 2)).toBe(0);
  });
});

describe('sendSignal', () => {
  it('ends a wait for a signal the task will act on, not for an ignored or a blocked one', async () => {
    const t = makeTask();
    t.signals.actions[SIGUSR1] = handled;
    const park = new Park(t);
    sendSignal(t, { signo: SIGCHLD, code: SI_KERNEL }); // default: ignore
    t.signals.setMask(1 << (SIGUSR1 - 1), 0);
    sendSignal(t, { signo: SIGUSR1, code: SI_KERNEL });
    expect(park.settled).toBe(false);
    // Blocked, but in the set a wait asked for (rt_sigtimedwait).
    t.signals.waking = { lo: 1 << (SIGUSR1 - 1), hi: 0 };
    sendSignal(t, { signo: SIGUSR1, code: SI_KERNEL });
    expect(await park.promise).toBe('interrupted');
  });

  it('a fatal signal ends the task and its wait', async () => {
    const t = makeTask();
    const park = new Park(t);
    sendSignal(t, { signo: SIGALRM, code: SI_KERNEL });
    expect(t.exitStatus).toEqual({ signal: SIGALRM, coreDumped: false });
    expect(await park.promise).toBe('interrupted');
  });

  it('a wait begun with a deliverable signal pending ends at once', async () => {
    const t = makeTask();
    t.signals.actions[SIGUSR1] = handled;
    t.signals.setMask(1 << (SIGUSR1 - 1), 0);
    sendSignal(t, { signo: SIGUSR1, code: SI_KERNEL });
    expect(new Park(t).settled).toBe(false);
    t.signals.setTemporaryMask(0, 0);
    expect(new Park(t).settled).toBe(true);
  });

  it('takes its queue limit from RLIMIT_SIGPENDING', () => {
    const t = makeTask();
    t.signals.actions[RT] = handled;
    t.signals.setMask(0, 0xff);
    t.rlimits.set(RLIMIT_SIGPENDING, { cur: 1, max: 1 });
    expect(sendSignal(t, { signo: RT, code: SI_QUEUE })).toBe(0);
    expect(sendSignal(t, { signo: RT, code: SI_QUEUE })).toBe(-E.EAGAIN);
  });
});
