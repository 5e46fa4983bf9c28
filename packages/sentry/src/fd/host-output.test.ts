import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { type HostOutput, HostOutputs } from './host-output.js';

// A host pipe made as a FIFO: this test holds both ends, and reads when it chooses.
let dir: string;
let reader: number;
let writer: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsv-host-output-'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  reader = openSync(join(dir, 'fifo'), constants.O_RDONLY | constants.O_NONBLOCK);
  writer = openSync(join(dir, 'fifo'), constants.O_WRONLY);
});
afterEach(() => {
  if (reader >= 0) closeSync(reader);
  if (writer >= 0) closeSync(writer);
  rmSync(dir, { recursive: true, force: true });
});

/** Everything in the pipe now. */
function readAll(): string {
  const buf = Buffer.alloc(1 << 16);
  let s = '';
  for (;;) {
    let n = 0;
    try {
      n = readSync(reader, buf);
    } catch {
      return s; // EAGAIN: empty
    }
    if (n === 0) return s;
    s += buf.toString('latin1', 0, n);
  }
}

/** What the pipe has now ('' when empty), or null at its end (every writer gone). */
function readSome(): string | null {
  const buf = Buffer.alloc(1 << 16);
  try {
    const n = readSync(reader, buf);
    return n === 0 ? null : buf.toString('latin1', 0, n);
  } catch {
    return ''; // EAGAIN
  }
}

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** A group with one output to the pipe, given more than the pipe holds: the group is busy. */
function busyGroup(): { g: HostOutputs; out: HostOutput } {
  const g = new HostOutputs();
  const out = g.open(writer);
  const big = 'y'.repeat(1 << 20);
  expect(out.write(bytes(big), big.length)).toBe(big.length);
  expect(g.ready).toBe(false);
  return { g, out };
}

describe('HostOutputs', () => {
  it('takes what the pipe has room for at once; the rest waits in the host while the group answers EAGAIN, in order', async () => {
    const g = new HostOutputs();
    const out = g.open(writer);
    const err = g.open(writer); // stdout and stderr on one pipe, as with 2>&1
    expect(out.write(bytes('first '), 6)).toBe(6);
    expect(g.ready).toBe(true);
    const big = 'x'.repeat(1 << 20); // more than the pipe holds
    expect(out.write(bytes(big), big.length)).toBe(big.length);
    expect(g.ready).toBe(false);
    expect(err.write(bytes('last'), 4)).toBe(-E.EAGAIN);
    let woken = false;
    out.watch(() => (woken = true));
    let got = '';
    const drained = g.drain().then(() => (got += readAll()));
    // The reader drains the pipe bit by bit, on the event loop, as a slow reader would.
    while (!g.ready) {
      got += readAll();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await drained;
    expect(woken).toBe(true);
    expect(err.write(bytes('last'), 4)).toBe(4);
    got += readAll();
    expect(got).toBe(`first ${big}last`);
    g.end();
  });

  it('a reader that has gone is EPIPE, also for bytes already waiting (reported by the next write)', async () => {
    const { g, out } = busyGroup();
    closeSync(reader);
    reader = -1;
    await g.drain();
    expect(out.write(bytes('z'), 1)).toBe(-E.EPIPE);
    expect(out.ready).toBe(true);
    g.end();
  });

  it('end() does not wait for what waits, nor drop it: the reader gets it after; later writes are EIO', async () => {
    const { g, out } = busyGroup();
    const drained = g.drain();
    g.end();
    await drained; // at once: the reader has not read
    expect(out.write(bytes('v'), 1)).toBe(-E.EIO);
    let got = '';
    // Everything written before end() arrives; then our descriptor is closed and the reader sees the end of the pipe.
    closeSync(writer);
    writer = -1;
    for (;;) {
      const n = readSome();
      if (n === null) break;
      got += n;
      if (n === '') await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(got).toBe('y'.repeat(1 << 20));
  });

  it('a descriptor that is not open is EBADF', () => {
    const g = new HostOutputs();
    expect(g.open(1 << 20).write(bytes('q'), 1)).toBe(-E.EBADF);
    g.end();
  });
});
