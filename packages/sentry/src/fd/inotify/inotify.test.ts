// inotify's queue: identical consecutive events merge, the queue stops at
// MAX_QUEUED with one IN_Q_OVERFLOW, and everything is charged and given back.
import { describe, expect, it } from 'vitest';
import { MemoryAccount } from '../../mm/account.js';
import { FsEvents, IN_CREATE, IN_MODIFY, O_NONBLOCK } from '../../vfs/index.js';
import { inotifyHub } from './hub.js';
import { IN_Q_OVERFLOW, type Inotify, MAX_QUEUED, newInotify } from './inotify.js';

function instance(account: MemoryAccount): [Inotify, FsEvents] {
  const events = new FsEvents();
  const i = newInotify(O_NONBLOCK, inotifyHub(events), account);
  if (typeof i === 'number') throw new Error(`newInotify: ${i}`);
  return [i, events];
}

/** The (wd, mask) of every queued record. */
function drain(i: Inotify): [number, number][] {
  const out: [number, number][] = [];
  const buf = new Uint8Array(1 << 20);
  for (let n = i.read(buf); n > 0; n = i.read(buf)) {
    const v = new DataView(buf.buffer);
    for (let at = 0; at < n; at += 16 + v.getUint32(at + 12, true)) out.push([v.getInt32(at, true), v.getUint32(at + 4, true)]);
  }
  return out;
}

describe('inotify queue', () => {
  it('merges an event identical to the last one, not an older one', () => {
    const [i, events] = instance(new MemoryAccount(1 << 20));
    const wd = i.addWatch('1:5', IN_MODIFY | IN_CREATE);
    const ev = (mask: number, name: string) => events.listener?.event({ mask, target: null, dir: '1:5', name, cookie: 0 });
    ev(IN_MODIFY, 'a');
    ev(IN_MODIFY, 'a');
    ev(IN_MODIFY, 'b');
    ev(IN_MODIFY, 'a');
    expect(drain(i)).toEqual([
      [wd, IN_MODIFY],
      [wd, IN_MODIFY],
      [wd, IN_MODIFY],
    ]);
  });

  it('ends in one IN_Q_OVERFLOW past MAX_QUEUED, charged to the account and given back on close', () => {
    const account = new MemoryAccount(64 << 20);
    const [i, events] = instance(account);
    i.addWatch('1:5', IN_CREATE);
    for (let n = 0; n < MAX_QUEUED + 100; n++)
      events.listener?.event({ mask: IN_CREATE, target: null, dir: '1:5', name: `f${n}`, cookie: 0 });
    const got = drain(i);
    expect(got.length).toBe(MAX_QUEUED);
    expect(got[got.length - 1]).toEqual([-1, IN_Q_OVERFLOW]);
    expect(got.filter(([, m]) => m === IN_Q_OVERFLOW).length).toBe(1);
    expect(account.used).toBeGreaterThan(0);
    i.close();
    expect(account.used).toBe(0);
    expect(events.active).toBe(false);
  });
});
