import { describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { V4_LOOPBACK } from './address.js';
import type { InetSocket } from './inet-socket.js';
import { type Binding, EPHEMERAL_HIGH, EPHEMERAL_LOW, PortTable } from './ports.js';
import { MAX_TIME_WAIT, TimeWaits } from './time-wait.js';

const owner = {} as InetSocket;
const request = (port: number, reuseAddr = false) => ({ ip: V4_LOOPBACK, port, v6only: false, reuseAddr, reusePort: false, uid: 0, owner });

/** A connection from 127.0.0.1:`port` whose socket is gone, entered in TIME_WAIT. */
function closed(table: PortTable<InetSocket>, tw: TimeWaits, port: number, reuseAddr = false): void {
  const b = table.bind(request(port, reuseAddr)) as Binding<InetSocket>;
  tw.enter({ binding: b, local: { ip: V4_LOOPBACK, port }, remote: { ip: V4_LOOPBACK, port: 80 }, v6: false });
  table.unbind(b);
}

describe('TIME_WAIT', () => {
  it('holds the port: a bind is EADDRINUSE unless the closed socket and the new one both set SO_REUSEADDR', () => {
    const table = new PortTable<InetSocket>(true);
    const tw = new TimeWaits(table);
    closed(table, tw, 40000);
    closed(table, tw, 40001, true);
    expect(table.bind(request(40000))).toBe(-E.EADDRINUSE);
    expect(table.bind(request(40000, true))).toBe(-E.EADDRINUSE);
    expect(table.bind(request(40001))).toBe(-E.EADDRINUSE);
    expect(typeof table.bind(request(40001, true))).toBe('object');
    expect([...tw.entries].map((e) => e.local.port)).toEqual([40000, 40001]);
    tw.shutdown();
    expect([...tw.entries]).toEqual([]);
    expect(typeof table.bind(request(40000))).toBe('object');
  });

  it('an ephemeral port search passes over it', () => {
    const table = new PortTable<InetSocket>(true);
    const tw = new TimeWaits(table);
    for (let port = EPHEMERAL_LOW; port <= EPHEMERAL_HIGH; port++) closed(table, tw, port);
    const b = table.bind(request(0));
    expect(typeof b).toBe('object');
    tw.shutdown();
  });

  it(`keeps at most ${MAX_TIME_WAIT} entries; the sandbox's end clears them`, () => {
    const table = new PortTable<InetSocket>(true);
    const tw = new TimeWaits(table);
    for (let i = 0; i <= MAX_TIME_WAIT; i++) closed(table, tw, 1024 + i);
    expect([...tw.entries].length).toBe(MAX_TIME_WAIT);
    expect(typeof table.bind(request(1024 + MAX_TIME_WAIT))).toBe('object');
    tw.shutdown();
    closed(table, tw, 5);
    expect([...tw.entries]).toEqual([]);
  });
});
