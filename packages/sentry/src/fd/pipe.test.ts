// Pipe memory: buffered bytes and the pipes themselves are charged to the
// sandbox's account, so no number of pipes outgrows --memory.
import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { MemoryAccount } from '../mm/account.js';
import { O_DIRECT, O_NONBLOCK } from '../vfs/index.js';
import { newPipe, PIPE_COST, type PipeEnd } from './pipe.js';

const MiB = 1 << 20;

function pipe(account: MemoryAccount, flags = O_NONBLOCK): [PipeEnd, PipeEnd] {
  const p = newPipe(flags, account);
  if (typeof p === 'number') throw new Error(`newPipe: ${p}`);
  return p;
}

describe('pipe memory', () => {
  it('many full 1 MiB pipes stay within the account: writes get ENOMEM, pipe2 ENFILE', () => {
    const account = new MemoryAccount(8 * MiB);
    const data = new Uint8Array(MiB).fill(0x70);
    const pipes: PipeEnd[] = [];
    let buffered = 0;
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const p = newPipe(O_NONBLOCK, account);
      if (typeof p === 'number') {
        expect(p).toBe(-E.ENFILE);
        break;
      }
      pipes.push(...p);
      expect(p[1].setCapacity(MiB)).toBe(MiB);
      const n = p[1].write(data);
      if (n < 0) {
        expect(n).toBe(-E.ENOMEM);
        refused++;
      } else {
        buffered += n;
      }
    }
    expect(account.used).toBeLessThanOrEqual(8 * MiB);
    expect(account.peak).toBeLessThanOrEqual(8 * MiB);
    expect(buffered).toBeGreaterThan(7 * MiB);
    expect(refused).toBeGreaterThan(0);
    expect(pipes.length).toBeLessThan(6000);
    for (const e of pipes) e.close();
    expect(account.used).toBe(0);
  });

  it('reading gives the pages back', () => {
    const account = new MemoryAccount();
    const [r, w] = pipe(account);
    expect(w.write(new Uint8Array(65536))).toBe(65536);
    expect(account.used).toBe(PIPE_COST + 65536);
    const buf = new Uint8Array(65536);
    expect(r.read(buf, 30000)).toBe(30000);
    expect(account.used).toBe(PIPE_COST + 65536); // the segment is partly unread
    expect(r.read(buf)).toBe(35536);
    expect(account.used).toBe(PIPE_COST);
    r.close();
    expect(account.used).toBe(PIPE_COST); // the write end still holds the pipe
    w.close();
    expect(account.used).toBe(0);
  });

  it('small writes share pages: one-byte writes cost about the capacity, not an object each', () => {
    const account = new MemoryAccount();
    const [r, w] = pipe(account);
    const one = new Uint8Array([1]);
    let n = 0;
    while (w.write(one) === 1) n++;
    expect(n).toBe(65536);
    expect(account.used).toBe(PIPE_COST + 65536);
    const buf = new Uint8Array(65536);
    expect(r.read(buf)).toBe(65536);
    expect(buf.every((b) => b === 1)).toBe(true);
    r.close();
    w.close();
  });

  it('packets take a page slot each: 16 one-byte packets fill a default pipe', () => {
    const account = new MemoryAccount();
    const [r, w] = pipe(account, O_NONBLOCK | O_DIRECT);
    let n = 0;
    while (w.write(new Uint8Array([n & 0xff])) === 1) n++;
    expect(n).toBe(16);
    expect(w.write(new Uint8Array(1))).toBe(-E.EAGAIN);
    expect(w.pollReadyWrite()).toBe(false);
    expect(w.setCapacity(4096)).toBe(-E.EBUSY); // 16 slots in use
    const buf = new Uint8Array(8);
    expect(r.read(buf)).toBe(1);
    expect(buf[0]).toBe(0);
    expect(w.pollReadyWrite()).toBe(true);
    r.close();
    w.close();
    expect(account.used).toBe(0);
  });

  it('a small write is all or nothing when memory runs out', () => {
    const account = new MemoryAccount(PIPE_COST + 4096);
    const [, w] = pipe(account);
    expect(w.write(new Uint8Array(4000))).toBe(4000);
    expect(w.write(new Uint8Array(200))).toBe(-E.ENOMEM); // 96 bytes would fit in the page, but not all 200
    expect(w.write(new Uint8Array(96))).toBe(96);
    expect(w.write(new Uint8Array(10000))).toBe(-E.ENOMEM);
  });
});
