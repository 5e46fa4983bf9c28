import { afterEach, describe, expect, it } from 'vitest';
import { newPipe } from '../../fd/pipe.js';
import { E } from '../../errno.js';
import { SIG_IGN } from '../../kernel/signals.js';
import { type Env, O, setup } from './test-helpers.js';

let env: Env;
afterEach(() => env.cleanup());

function pipe(e: Env, flags = 0): [number, number] {
  const p = e.buf(8);
  expect(e.now('pipe2', p, flags)).toBe(0);
  const v = new DataView(e.bytes(p, 8).buffer);
  return [v.getInt32(0, true), v.getInt32(4, true)];
}

describe('pipe', () => {
  it('round-trips bytes and reads EOF after the writer closes', () => {
    env = setup();
    const [r, w] = pipe(env);
    expect(env.now('write', w, env.buf(5, 'hello'), 5)).toBe(5);
    const b = env.buf(16);
    expect(env.now('read', r, b, 3)).toBe(3);
    expect(env.text(b, 3)).toBe('hel');
    expect(env.now('read', r, b, 16)).toBe(2);
    expect(env.now('close', w)).toBe(0);
    expect(env.now('read', r, b, 16)).toBe(0);
  });

  it('writev into a pipe and readv out of it', () => {
    env = setup();
    const [r, w] = pipe(env);
    const a = env.buf(3, 'abc');
    const b = env.buf(2, 'de');
    const iov = env.buf(32);
    const dv = env.t.mm.dv(iov, 32);
    dv.setBigUint64(0, BigInt(a), true);
    dv.setBigUint64(8, 3n, true);
    dv.setBigUint64(16, BigInt(b), true);
    dv.setBigUint64(24, 2n, true);
    expect(env.now('writev', w, iov, 2)).toBe(5);
    env.t.mm.write(a, '...');
    env.t.mm.write(b, '..');
    expect(env.now('readv', r, iov, 2)).toBe(5);
    expect(env.text(a, 3) + env.text(b, 2)).toBe('abcde');
  });

  it('a blocking read waits for a writer; a non-blocking one is EAGAIN', async () => {
    env = setup();
    const [r, w] = pipe(env);
    const b = env.buf(8);
    const pending = env.sys('read', r, b, 8);
    expect(pending).toBeInstanceOf(Promise);
    expect(env.now('write', w, env.buf(2, 'hi'), 2)).toBe(2);
    expect(await pending).toBe(2);
    expect(env.text(b, 2)).toBe('hi');
    const [r2] = pipe(env, O.NONBLOCK);
    expect(env.now('read', r2, b, 8)).toBe(-E.EAGAIN);
    // F_SETFL O_NONBLOCK makes the first pipe non-blocking too.
    expect(env.now('fcntl', r, 4, O.NONBLOCK)).toBe(0);
    expect(env.now('read', r, b, 8)).toBe(-E.EAGAIN);
  });

  it('a blocking write larger than the pipe waits until a reader drains it', async () => {
    env = setup();
    const [r, w] = pipe(env);
    const n = 100_000;
    const src = env.buf(n, new Uint8Array(n).fill(7));
    const pending = env.sys('write', w, src, n);
    expect(pending).toBeInstanceOf(Promise);
    const b = env.buf(n);
    let got = 0;
    while (got < n) {
      const k = await env.sys('read', r, b, n);
      expect(k).toBeGreaterThan(0);
      got += k;
    }
    expect(await pending).toBe(n);
  });

  it('a non-blocking write to a full pipe returns what fitted, then EAGAIN', () => {
    env = setup();
    const [, w] = pipe(env, O.NONBLOCK);
    const src = env.buf(100_000);
    expect(env.now('write', w, src, 100_000)).toBe(65536);
    expect(env.now('write', w, src, 1)).toBe(-E.EAGAIN);
  });

  it('writing with no reader is EPIPE, and SIGPIPE kills unless it is ignored', () => {
    env = setup();
    const [r, w] = pipe(env);
    env.now('close', r);
    env.t.signals.actions[13]!.handler = SIG_IGN;
    expect(env.now('write', w, env.buf(1, 'x'), 1)).toBe(-E.EPIPE);
    expect(env.t.exited).toBe(false);
    env.t.signals.actions[13]!.handler = 0;
    expect(env.now('write', w, env.buf(1, 'x'), 1)).toBe(-E.EPIPE);
    expect(env.t.exitStatus).toEqual({ signal: 13, coreDumped: false });
  });

  it('pipe2 O_DIRECT makes a packet pipe: one write per read, the excess discarded', () => {
    const [r, w] = newPipe(0o40000);
    const rd = new Uint8Array(10);
    expect(w.write(new Uint8Array([1, 2, 3]))).toBe(3);
    expect(w.write(new Uint8Array([4, 5]))).toBe(2);
    expect(r.read(rd, 10)).toBe(3);
    expect([...rd.subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(w.write(new Uint8Array([6, 7, 8]))).toBe(3);
    expect(r.read(rd, 1)).toBe(1); // packet [4, 5]: 5 is discarded
    expect(rd[0]).toBe(4);
    expect(r.read(rd, 10)).toBe(3);
    expect([...rd.subarray(0, 3)]).toEqual([6, 7, 8]);
  });

  it('pipe2 checks flags and the result pointer; O_CLOEXEC sets FD_CLOEXEC', () => {
    env = setup();
    expect(env.now('pipe2', env.buf(8), O.APPEND)).toBe(-E.EINVAL);
    expect(env.now('pipe2', env.t.mm.unmapped, 0)).toBe(-E.EFAULT);
    expect(env.now('pipe', 0)).toBe(-E.EFAULT);
    expect([...env.t.fds.entries()]).toHaveLength(0); // nothing leaked by the failures
    const [r, w] = pipe(env, O.CLOEXEC);
    expect(env.now('fcntl', r, 1, 0)).toBe(1);
    expect(env.now('fcntl', w, 3, 0)).toBe(O.WRONLY);
    expect(env.now('lseek', r, 0, 0)).toBe(-E.ESPIPE);
    expect(env.now('pread64', r, env.buf(1), 1, 0)).toBe(-E.ESPIPE);
    expect(env.now('fsync', r)).toBe(-E.EINVAL);
    expect(env.now('ftruncate', w, 0)).toBe(-E.EINVAL);
  });

  it('EMFILE when the table is full, with nothing left behind', () => {
    env = setup();
    env.t.fds.limit = 3;
    pipe(env);
    expect(env.now('pipe2', env.buf(8), 0)).toBe(-E.EMFILE);
    expect([...env.t.fds.entries()].map(([fd]) => fd)).toEqual([0, 1]);
  });
});
