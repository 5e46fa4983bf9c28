// eventfd and eventfd2 on a fake task: flags, the counter and semaphore
// rules, 8-byte reads and writes, blocking both ways, readiness, and the
// memory account.
import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { EVENTFD_COST, newEventFd } from '../../fd/eventfd.js';
import { MemoryAccount } from '../../mm/account.js';
import { type Env, O, setup } from './test-helpers.js';

const EFD_SEMAPHORE = 1;
const POLLIN = 1;
const POLLOUT = 4;
const POLLRDNORM = 0x40;
const POLLWRNORM = 0x100;
const MAX = 0xffff_ffff_ffff_ffffn;

let env: Env;
afterEach(() => env.cleanup());

function u64(e: Env, v: bigint): number {
  const p = e.buf(8);
  e.t.mm.dv(p, 8).setBigUint64(0, v, true);
  return p;
}

/** read(fd, 8 bytes): the value, or the errno. */
function take(e: Env, fd: number): bigint | number {
  const p = e.buf(8);
  const r = e.now('read', fd, p, 8);
  return r < 0 ? r : e.t.mm.dv(p, 8).getBigUint64(0, true);
}

function revents(e: Env, fd: number): number {
  const p = e.buf(8);
  const v = e.t.mm.dv(p, 8);
  v.setInt32(0, fd, true);
  v.setInt16(4, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM, true);
  e.now('poll', p, 1, 0);
  return v.getUint16(6, true);
}

describe('eventfd2', () => {
  it('takes EFD_CLOEXEC, EFD_NONBLOCK and EFD_SEMAPHORE only; the description is O_RDWR', () => {
    env = setup();
    expect(env.now('eventfd2', 0, 2)).toBe(-E.EINVAL);
    expect(env.now('eventfd2', 0, O.RDWR)).toBe(-E.EINVAL);
    const fd = env.now('eventfd2', 0, O.CLOEXEC | O.NONBLOCK | EFD_SEMAPHORE);
    expect(env.now('fcntl', fd, 1, 0)).toBe(1);
    expect(env.now('fcntl', fd, 3, 0)).toBe(O.RDWR | O.NONBLOCK);
    const plain = env.now('eventfd', 7);
    expect(env.now('fcntl', plain, 1, 0)).toBe(0);
    expect(env.now('fcntl', plain, 3, 0)).toBe(O.RDWR);
    expect(take(env, plain)).toBe(7n);
    expect(take(env, env.now('eventfd', 0xffff_ffff))).toBe(0xffff_ffffn);
  });

  it('a read takes the whole counter; with EFD_SEMAPHORE one at a time; at 0 EAGAIN when non-blocking', () => {
    env = setup();
    const fd = env.now('eventfd2', 3, O.NONBLOCK);
    expect(env.now('write', fd, u64(env, 4n), 8)).toBe(8);
    expect(take(env, fd)).toBe(7n);
    expect(take(env, fd)).toBe(-E.EAGAIN);
    const sem = env.now('eventfd2', 2, O.NONBLOCK | EFD_SEMAPHORE);
    expect(take(env, sem)).toBe(1n);
    expect(take(env, sem)).toBe(1n);
    expect(take(env, sem)).toBe(-E.EAGAIN);
  });

  it('reads need 8 bytes or more, writes exactly 8; 2^64-1 is never a value; the sum stops at 2^64-2', () => {
    env = setup();
    const fd = env.now('eventfd2', 1, O.NONBLOCK);
    const b = env.buf(16);
    expect(env.now('read', fd, b, 7)).toBe(-E.EINVAL);
    expect(env.now('read', fd, b, 0)).toBe(-E.EINVAL);
    expect(env.now('read', fd, b, 16)).toBe(8);
    expect(env.now('write', fd, b, 7)).toBe(-E.EINVAL);
    expect(env.now('write', fd, b, 9)).toBe(-E.EINVAL);
    expect(env.now('write', fd, b, 0)).toBe(-E.EINVAL);
    expect(env.now('write', fd, env.t.mm.unmapped, 8)).toBe(-E.EFAULT);
    expect(env.now('write', fd, u64(env, MAX), 8)).toBe(-E.EINVAL);
    expect(env.now('write', fd, u64(env, MAX - 1n), 8)).toBe(8);
    expect(env.now('write', fd, u64(env, 1n), 8)).toBe(-E.EAGAIN);
    expect(env.now('write', fd, u64(env, 0n), 8)).toBe(8);
    expect(take(env, fd)).toBe(MAX - 1n);
  });

  it('is an anonymous inode: lseek stays at 0, pread is ESPIPE, fstat mode 0600', () => {
    env = setup();
    const fd = env.now('eventfd', 1);
    const b = env.buf(144);
    expect(env.now('lseek', fd, 8, 0)).toBe(0);
    expect(env.now('pread64', fd, b, 8, 0)).toBe(-E.ESPIPE);
    expect(env.now('fstat', fd, b)).toBe(0);
    expect(env.t.mm.dv(b, 144).getUint32(24, true)).toBe(0o600);
  });
});

describe('blocking and readiness', () => {
  it('a blocking read waits for a write', async () => {
    env = setup();
    const fd = env.now('eventfd', 0);
    const p = env.buf(8);
    const pending = env.sys('read', fd, p, 8);
    expect(pending).toBeInstanceOf(Promise);
    env.now('write', fd, u64(env, 5n), 8);
    expect(await pending).toBe(8);
    expect(env.t.mm.dv(p, 8).getBigUint64(0, true)).toBe(5n);
  });

  it('a blocking write waits while the sum would overflow, until a read makes room', async () => {
    env = setup();
    const fd = env.now('eventfd', 0);
    env.now('write', fd, u64(env, MAX - 1n), 8);
    const pending = env.sys('write', fd, u64(env, 2n), 8);
    expect(pending).toBeInstanceOf(Promise);
    expect(take(env, fd)).toBe(MAX - 1n);
    expect(await pending).toBe(8);
    expect(take(env, fd)).toBe(2n);
  });

  it('POLLIN while the counter is not 0, POLLOUT while one more fits, never RDNORM or WRNORM', () => {
    env = setup();
    const fd = env.now('eventfd2', 0, O.NONBLOCK);
    expect(revents(env, fd)).toBe(POLLOUT);
    env.now('write', fd, u64(env, 1n), 8);
    expect(revents(env, fd)).toBe(POLLIN | POLLOUT);
    env.now('write', fd, u64(env, MAX - 3n), 8); // 2^64 - 2: one more fits
    expect(revents(env, fd)).toBe(POLLIN | POLLOUT);
    env.now('write', fd, u64(env, 1n), 8);
    expect(revents(env, fd)).toBe(POLLIN);
  });
});

describe('memory', () => {
  it('each eventfd is charged to the account, ENOMEM past it, given back on close', () => {
    const account = new MemoryAccount(2 * EVENTFD_COST);
    const a = newEventFd(0, false, 0, account);
    const b = newEventFd(0, false, 0, account);
    expect(newEventFd(0, false, 0, account)).toBe(-E.ENOMEM);
    if (typeof a === 'number' || typeof b === 'number') throw new Error('eventfd');
    a.close();
    a.close();
    expect(account.used).toBe(EVENTFD_COST);
    b.close();
    expect(account.used).toBe(0);
  });
});
