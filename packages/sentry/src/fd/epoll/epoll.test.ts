// Epoll sets on their own (no guest): level- and edge-triggered reports,
// EPOLLONESHOT, ready-list order, nesting, the last close of a file, and
// what the sandbox's memory account is charged.
import { describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { hold, release } from '../../kernel/fdtable.js';
import { MemoryAccount } from '../../mm/account.js';
import { O_NONBLOCK } from '../../vfs/index.js';
import { newEventFd } from '../eventfd.js';
import { newPipe, type PipeEnd } from '../pipe.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT } from '../readiness.js';
import { EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, epollCtl } from './ctl.js';
import { EPITEM_COST, EPOLL_COST, EPOLLET, EPOLLONESHOT, type EpollFile, newEpoll } from './epoll.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function epoll(account?: MemoryAccount): EpollFile {
  const ep = newEpoll(account);
  if (typeof ep === 'number') throw new Error(`newEpoll: ${ep}`);
  hold(ep);
  return ep;
}

function pipe(): [PipeEnd, PipeEnd] {
  const [r, w] = newPipe(O_NONBLOCK);
  hold(r);
  hold(w);
  return [r, w];
}

/** Every event a harvest reports now: [events, data] pairs. */
function wait(ep: EpollFile, max = 64): [number, number][] {
  const out: [number, number][] = [];
  ep.harvest(max, (events, data) => out.push([events, Number(data)]) > 0);
  return out;
}

function add(ep: EpollFile, f: Parameters<typeof epollCtl>[2], fd: number, events: number): number {
  return epollCtl(ep, EPOLL_CTL_ADD, f, fd, { events, data: BigInt(fd) });
}

describe('level-triggered', () => {
  it('reports while the condition lasts, with ERR and HUP whether asked or not', () => {
    const ep = epoll();
    const [r, w] = pipe();
    expect(add(ep, r, 3, POLLIN)).toBe(0);
    expect(add(ep, w, 4, POLLOUT)).toBe(0);
    expect(wait(ep)).toEqual([[POLLOUT, 4]]);
    w.write(bytes('x'));
    expect(wait(ep)).toEqual([
      [POLLOUT, 4],
      [POLLIN, 3],
    ]);
    expect(wait(ep)).toEqual([
      [POLLOUT, 4],
      [POLLIN, 3],
    ]);
    r.read(new Uint8Array(1));
    expect(wait(ep)).toEqual([[POLLOUT, 4]]);
    release(w);
    expect(wait(ep)).toEqual([[POLLHUP, 3]]);
  });

  it('hands out at most maxevents, the rest first in line next time', () => {
    const ep = epoll();
    for (let i = 0; i < 3; i++) {
      const f = newEventFd(1, false, 0);
      if (typeof f === 'number') throw new Error('eventfd');
      add(ep, f, 10 + i, POLLIN);
    }
    expect(wait(ep, 2)).toEqual([
      [POLLIN, 10],
      [POLLIN, 11],
    ]);
    expect(wait(ep, 2)).toEqual([
      [POLLIN, 12],
      [POLLIN, 10],
    ]);
  });

  it('an event that cannot be delivered stays first in line', () => {
    const ep = epoll();
    const [r, w] = pipe();
    add(ep, r, 3, POLLIN);
    w.write(bytes('x'));
    expect(ep.harvest(4, () => false)).toBe(-E.EFAULT);
    expect(wait(ep)).toEqual([[POLLIN, 3]]);
  });
});

describe('edge-triggered and one-shot', () => {
  it('EPOLLET reports a change once, and again at the next change', () => {
    const ep = epoll();
    const [r, w] = pipe();
    add(ep, r, 3, POLLIN | EPOLLET);
    w.write(bytes('a'));
    expect(wait(ep)).toEqual([[POLLIN, 3]]);
    expect(wait(ep)).toEqual([]);
    w.write(bytes('b'));
    expect(wait(ep)).toEqual([[POLLIN, 3]]);
    expect(wait(ep)).toEqual([]);
  });

  it('EPOLLET drops a change that is gone by the time of the harvest', () => {
    const ep = epoll();
    const [r, w] = pipe();
    add(ep, r, 3, POLLIN | EPOLLET);
    w.write(bytes('a'));
    r.read(new Uint8Array(1));
    expect(wait(ep)).toEqual([]);
  });

  it('EPOLLONESHOT reports once, then nothing until EPOLL_CTL_MOD arms it again', () => {
    const ep = epoll();
    const [r, w] = pipe();
    add(ep, r, 3, POLLIN | EPOLLONESHOT);
    w.write(bytes('a'));
    expect(wait(ep)).toEqual([[POLLIN, 3]]);
    w.write(bytes('b'));
    release(w); // not even HUP
    expect(wait(ep)).toEqual([]);
    expect(epollCtl(ep, EPOLL_CTL_MOD, r, 3, { events: POLLIN | EPOLLONESHOT, data: 7n })).toBe(0);
    expect(wait(ep)).toEqual([[POLLIN | POLLHUP, 7]]);
    expect(wait(ep)).toEqual([]);
  });
});

describe('the interest list', () => {
  it('holds (file, descriptor) pairs: a dup is another item; DEL removes one', () => {
    const ep = epoll();
    const [r, w] = pipe();
    expect(add(ep, r, 3, POLLIN)).toBe(0);
    expect(add(ep, r, 5, POLLIN)).toBe(0);
    expect(add(ep, r, 3, POLLIN)).toBe(-E.EEXIST);
    w.write(bytes('x'));
    expect(wait(ep)).toEqual([
      [POLLIN, 3],
      [POLLIN, 5],
    ]);
    expect(epollCtl(ep, EPOLL_CTL_DEL, r, 3, null)).toBe(0);
    expect(epollCtl(ep, EPOLL_CTL_DEL, r, 3, null)).toBe(-E.ENOENT);
    expect(wait(ep)).toEqual([[POLLIN, 5]]);
  });

  it('the last close of a file removes it from every set; an earlier one does not', () => {
    const a = epoll();
    const b = epoll();
    const [r, w] = pipe();
    add(a, r, 3, POLLIN);
    add(b, r, 3, POLLIN);
    hold(r); // a dup
    w.write(bytes('x'));
    release(r);
    expect(wait(a)).toEqual([[POLLIN, 3]]);
    release(r);
    expect(wait(a)).toEqual([]);
    expect(wait(b)).toEqual([]);
    expect(a.find(r, 3)).toBeUndefined();
    expect(b.find(r, 3)).toBeUndefined();
  });

  it('charges the instance and each item to the account, and gives them back', () => {
    const account = new MemoryAccount(EPOLL_COST + 2 * EPITEM_COST);
    const ep = epoll(account);
    const [r, w] = pipe();
    expect(add(ep, r, 3, POLLIN)).toBe(0);
    expect(add(ep, w, 4, POLLOUT)).toBe(0);
    expect(add(ep, r, 5, POLLIN)).toBe(-E.ENOMEM);
    expect(newEpoll(account)).toBe(-E.ENOMEM);
    release(r);
    expect(account.used).toBe(EPOLL_COST + EPITEM_COST);
    release(ep);
    expect(account.used).toBe(0);
    expect(w.readiness() & POLLERR).toBe(POLLERR);
  });
});

describe('nested sets', () => {
  it('an inner set is readable while it has a ready item, and wakes the outer one', () => {
    const outer = epoll();
    const inner = epoll();
    const [r, w] = pipe();
    add(inner, r, 3, POLLIN);
    expect(add(outer, inner, 4, POLLIN)).toBe(0);
    expect(wait(outer)).toEqual([]);
    let woken = 0;
    outer.watch(() => woken++);
    w.write(bytes('x'));
    expect(woken).toBe(1);
    expect(wait(outer)).toEqual([[POLLIN, 4]]);
    r.read(new Uint8Array(1));
    expect(wait(outer)).toEqual([]);
  });

  it('an edge-triggered outer item reports each new event of the inner set', () => {
    const outer = epoll();
    const inner = epoll();
    const [r1, w1] = pipe();
    const [r2, w2] = pipe();
    add(inner, r1, 3, POLLIN);
    add(inner, r2, 5, POLLIN);
    add(outer, inner, 4, POLLIN | EPOLLET);
    w1.write(bytes('x'));
    expect(wait(outer)).toEqual([[POLLIN, 4]]);
    expect(wait(outer)).toEqual([]);
    w2.write(bytes('y'));
    expect(wait(outer)).toEqual([[POLLIN, 4]]);
  });

  it('refuses itself (EINVAL), cycles and chains of more than 5 sets (ELOOP)', () => {
    const eps = Array.from({ length: 6 }, () => epoll());
    expect(add(eps[0]!, eps[0]!, 3, POLLIN)).toBe(-E.EINVAL);
    for (let i = 0; i < 4; i++) expect(add(eps[i]!, eps[i + 1]!, 3, POLLIN)).toBe(0);
    expect(add(eps[4]!, eps[5]!, 3, POLLIN)).toBe(-E.ELOOP);
    expect(add(eps[5]!, eps[0]!, 3, POLLIN)).toBe(-E.ELOOP);
    expect(add(eps[3]!, eps[1]!, 3, POLLIN)).toBe(-E.ELOOP);
    expect(add(eps[0]!, eps[4]!, 4, POLLIN)).toBe(0); // a shortcut, no longer chain
    expect(add(eps[1]!, eps[1]!, 3, POLLIN)).toBe(-E.EINVAL);
  });

  it('a file in many nested sets wakes each set once per look, not once per path', () => {
    const top = Array.from({ length: 30 }, () => epoll());
    const mid = Array.from({ length: 30 }, () => epoll());
    const [r, w] = pipe();
    let wakes = 0;
    mid.forEach((m, i) => {
      add(m, r, 3, POLLIN);
      top.forEach((t) => add(t, m, i, POLLIN));
    });
    for (const t of top) {
      wait(t);
      const count = (): void => {
        wakes++;
        t.watch(count); // every wake-up, not only the first
      };
      t.watch(count);
    }
    w.write(bytes('x'));
    expect(wakes).toBe(top.length);
  });
});
