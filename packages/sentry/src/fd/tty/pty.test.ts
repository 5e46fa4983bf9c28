import { describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Credentials, Task } from '../../kernel/task.js';
import { ThreadGroup } from '../../kernel/thread-group.js';
import { O_NOCTTY, O_NONBLOCK, O_RDWR, type Stat } from '../../vfs/index.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, readinessOf } from '../readiness.js';
import { SCREEN_BUFFER } from './pty.js';
import { PTY_MAX, Terminals } from './terminals.js';

const noStat = () => ({}) as Stat;
const enc = (s: string) => Buffer.from(s, 'latin1');

function pair() {
  const terms = new Terminals();
  const m = terms.openMaster(O_RDWR, noStat, 1000);
  if (typeof m === 'number') throw new Error(`ptmx: ${m}`);
  return { terms, m, pty: m.pty };
}

function readAll(f: { read(b: Uint8Array, n?: number): number }): string | number {
  const b = new Uint8Array(SCREEN_BUFFER * 2);
  const n = f.read(b);
  return n < 0 ? n : Buffer.from(b.subarray(0, n)).toString('latin1');
}

describe('pty', () => {
  it('starts locked; the slave opens once unlocked; bytes flow both ways through the line discipline', () => {
    const { terms, m, pty } = pair();
    expect(pty.openSlave(O_RDWR | O_NOCTTY, noStat)).toBe(-E.EIO);
    pty.locked = false;
    const s = terms.openPts(pty, O_RDWR | O_NOCTTY, noStat);
    if (typeof s === 'number') throw new Error(`pts: ${s}`);
    expect([...terms.ptys()].map((p) => p.index)).toEqual([0]);
    expect(m.write(enc('hi\n'))).toBe(3);
    expect(readAll(s)).toBe('hi\n');
    expect(readAll(m)).toBe('hi\r\n');
    expect(readAll(m)).toBe(-E.EAGAIN);
    expect(s.write(enc('out\n'))).toBe(4);
    expect(m.readiness() & POLLIN).toBe(POLLIN);
    expect(readAll(m)).toBe('out\r\n');
  });

  it('a program writing to a screen nobody reads waits once SCREEN_BUFFER bytes are held', () => {
    const { terms, m, pty } = pair();
    pty.locked = false;
    const s = terms.openPts(pty, O_RDWR | O_NOCTTY | O_NONBLOCK, noStat);
    if (typeof s === 'number') throw new Error();
    const big = new Uint8Array(SCREEN_BUFFER + 100).fill(0x61);
    expect(s.write(big)).toBe(SCREEN_BUFFER);
    expect(readinessOf(s) & POLLOUT).toBe(0);
    expect(s.write(big)).toBe(-E.EAGAIN);
    expect(typeof readAll(m)).toBe('string');
    expect(readinessOf(s) & POLLOUT).toBe(POLLOUT);
  });

  it('the last slave closing makes master reads EIO and poll HUP; the master closing hangs the slave up and frees N', () => {
    const { terms, m, pty } = pair();
    pty.locked = false;
    const s = terms.openPts(pty, O_RDWR | O_NOCTTY, noStat);
    if (typeof s === 'number') throw new Error();
    s.close();
    expect(m.readiness() & POLLHUP).toBe(POLLHUP);
    expect(readAll(m)).toBe(-E.EIO);
    const again = terms.openPts(pty, O_RDWR | O_NOCTTY, noStat);
    if (typeof again === 'number') throw new Error();
    m.close();
    const all = POLLIN | POLLOUT | POLLERR | POLLHUP;
    expect(readinessOf(again) & all).toBe(all);
    expect(readAll(again)).toBe('');
    expect(again.write(enc('x'))).toBe(-E.EIO);
    expect(terms.pty(0)).toBeUndefined();
    expect(pty.openSlave(O_RDWR, noStat)).toBe(-E.EIO);
    const next = terms.openMaster(O_RDWR, noStat, 0);
    expect(typeof next !== 'number' && next.pty.index).toBe(0);
  });

  it('at most PTY_MAX at once (ENOSPC)', () => {
    const terms = new Terminals();
    for (let i = 0; i < PTY_MAX; i++) expect(typeof terms.openMaster(O_RDWR, noStat, 0)).not.toBe('number');
    expect(terms.openMaster(O_RDWR, noStat, 0)).toBe(-E.ENOSPC);
  });
});

describe('controlling terminals', () => {
  it('a session leader taking and giving up its terminal over and over leaves one watch on it, not one per time', () => {
    const leader = new ThreadGroup({ pid: 1, parent: null, pgid: 1, sid: 1, creds: {} as Credentials, exitSignal: 17, exePath: '/x' });
    const t = { group: leader, pid: 1, sid: 1, pgid: 1, creds: { euid: 0 } } as unknown as Task;
    const terms = new Terminals();
    terms.attach({ current: t, pids: { processGroup: () => [], group: () => undefined } } as unknown as Kernel);
    const m = terms.openMaster(O_RDWR, noStat, 0);
    if (typeof m === 'number') throw new Error();
    for (let i = 0; i < 1000; i++) {
      expect(terms.makeControlling(t, m.pty, false)).toBe(0);
      expect(terms.controlling(t)).toBe(m.pty);
      expect(terms.giveUp(t, m.pty)).toBe(0);
    }
    expect(terms.makeControlling(t, m.pty, false)).toBe(0);
    expect(leader.exitWatchers.size).toBe(1);
    m.close();
    expect(leader.exitWatchers.size).toBe(0);
    expect(terms.controlling(t)).toBeUndefined();
  });
});
