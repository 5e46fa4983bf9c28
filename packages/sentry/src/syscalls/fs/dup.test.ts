import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { InputStream, OutputStream } from '../../kernel/stdio.js';
import { AT_FDCWD, type Env, O, setup } from './test-helpers.js';

const F_DUPFD = 0;
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
const O_LARGEFILE = 0o100000;

let env: Env;
afterEach(() => env.cleanup());

function open(e: Env, p = '/f', flags = O.RDONLY): number {
  const fd = e.now('openat', AT_FDCWD, e.str(p), flags, 0o644);
  expect(fd).toBeGreaterThanOrEqual(0);
  return fd;
}

describe('dup, dup2, dup3', () => {
  it('dup shares the offset and takes the lowest free descriptor', () => {
    env = setup({ f: 'abcdef' });
    const fd = open(env);
    const d = env.now('dup', fd);
    expect(d).toBe(fd + 1);
    const b = env.buf(2);
    env.now('read', fd, b, 2);
    expect(env.now('read', d, b, 2)).toBe(2);
    expect(env.text(b, 2)).toBe('cd');
    env.now('close', fd);
    expect(env.now('read', d, b, 2)).toBe(2); // the description outlives one descriptor
    expect(env.now('dup', fd + 10)).toBe(-E.EBADF);
    expect(env.now('dup', -1)).toBe(-E.EBADF);
  });

  it('dup2 replaces the target, returns fd for dup2(fd, fd), and checks both numbers', () => {
    env = setup({ f: 'abc', g: 'xyz' });
    const f = open(env, '/f');
    const g = open(env, '/g');
    expect(env.now('dup2', f, f)).toBe(f);
    expect(env.now('dup2', 50, 50)).toBe(-E.EBADF);
    expect(env.now('dup2', f, g)).toBe(g);
    const b = env.buf(3);
    expect(env.now('read', g, b, 3)).toBe(3);
    expect(env.text(b, 3)).toBe('abc');
    expect(env.now('dup2', f, 100_000)).toBe(-E.EBADF);
    expect(env.now('dup2', f, -1)).toBe(-E.EBADF);
    expect(env.now('dup2', 77, 5)).toBe(-E.EBADF);
    env.now('fcntl', f, F_SETFD, 1);
    expect(env.now('dup2', f, 9)).toBe(9);
    expect(env.now('fcntl', 9, F_GETFD, 0)).toBe(0); // the copy never inherits FD_CLOEXEC
  });

  it('dup3: EINVAL for the same descriptor or unknown flags; O_CLOEXEC sets the flag', () => {
    env = setup({ f: '' });
    const f = open(env);
    expect(env.now('dup3', f, f, 0)).toBe(-E.EINVAL);
    expect(env.now('dup3', f, 7, O.NONBLOCK)).toBe(-E.EINVAL);
    expect(env.now('dup3', f, 7, O.CLOEXEC)).toBe(7);
    expect(env.now('fcntl', 7, F_GETFD, 0)).toBe(1);
    expect(env.now('dup3', 42, 7, 0)).toBe(-E.EBADF);
  });
});

describe('close_range', () => {
  it('closes a range, or marks it close-on-exec, and checks its arguments', () => {
    env = setup({ f: '' });
    for (let i = 0; i < 6; i++) open(env);
    expect(env.now('close_range', 3, 2, 0)).toBe(-E.EINVAL);
    expect(env.now('close_range', 0, 1, 1)).toBe(-E.EINVAL);
    expect(env.now('close_range', 1, 2, 4)).toBe(0);
    expect(env.now('fcntl', 1, F_GETFD, 0)).toBe(1);
    expect(env.now('fcntl', 3, F_GETFD, 0)).toBe(0);
    expect(env.now('close_range', 2, 0xffff_ffff, 0)).toBe(0);
    expect([...env.t.fds.entries()].map(([fd]) => fd)).toEqual([0, 1]);
  });
});

describe('fcntl', () => {
  it('F_DUPFD and F_DUPFD_CLOEXEC take the lowest free descriptor at or above arg', () => {
    env = setup({ f: '' });
    const f = open(env);
    expect(env.now('fcntl', f, F_DUPFD, 10)).toBe(10);
    expect(env.now('fcntl', f, F_DUPFD, 10)).toBe(11);
    expect(env.now('fcntl', f, F_DUPFD_CLOEXEC, 0)).toBe(1);
    expect(env.now('fcntl', 1, F_GETFD, 0)).toBe(1);
    expect(env.now('fcntl', f, F_DUPFD, -1)).toBe(-E.EINVAL);
    expect(env.now('fcntl', f, F_DUPFD, 1024)).toBe(-E.EINVAL);
  });

  it('F_GETFL shows the access mode and O_LARGEFILE, not open-time flags; F_SETFL changes only O_APPEND|O_NONBLOCK', () => {
    env = setup({ f: '', 'd/': '' });
    const f = open(env, '/f', O.RDWR | O.CREAT | O.TRUNC | O.CLOEXEC);
    expect(env.now('fcntl', f, F_GETFL, 0)).toBe(O.RDWR | O_LARGEFILE);
    expect(env.now('fcntl', f, F_SETFL, O.WRONLY | O.APPEND | O.NONBLOCK | O.DIRECTORY)).toBe(0);
    expect(env.now('fcntl', f, F_GETFL, 0)).toBe(O.RDWR | O_LARGEFILE | O.APPEND | O.NONBLOCK);
    const d = open(env, '/d', O.RDONLY | O.DIRECTORY);
    expect(env.now('fcntl', d, F_GETFL, 0)).toBe(O.DIRECTORY | O_LARGEFILE);
    const p = open(env, '/f', O.PATH);
    expect(env.now('fcntl', p, F_GETFL, 0)).toBe(O.PATH);
    expect(env.now('fcntl', p, F_SETFL, 0)).toBe(-E.EBADF);
  });

  it('other commands are EINVAL, bad descriptors EBADF', () => {
    env = setup({ f: '' });
    const f = open(env);
    for (const cmd of [8, 9, 99, 1024, -1]) expect(env.now('fcntl', f, cmd, 0)).toBe(-E.EINVAL);
    expect(env.now('fcntl', -1, F_GETFD, 0)).toBe(-E.EBADF);
    expect(env.now('fcntl', 500, F_GETFL, 0)).toBe(-E.EBADF);
  });
});

describe('ioctl', () => {
  it('TCGETS and TIOCGWINSZ answer on a terminal stream only', () => {
    env = setup({ f: 'abc' });
    env.t.fds.add(new InputStream(true));
    env.t.fds.add(new OutputStream(() => {}, false));
    const f = open(env);
    const termios = env.buf(36);
    expect(env.now('ioctl', 0, 0x5401, termios)).toBe(0);
    const v = new DataView(env.bytes(termios, 36).buffer);
    expect(v.getUint32(12, true) & 2).toBe(2); // ICANON
    expect(env.bytes(termios, 36)[17]).toBe(3); // VINTR = ^C
    expect(env.now('ioctl', 1, 0x5401, termios)).toBe(-E.ENOTTY);
    expect(env.now('ioctl', f, 0x5401, termios)).toBe(-E.ENOTTY);
    const ws = env.buf(8);
    expect(env.now('ioctl', 0, 0x5413, ws)).toBe(0);
    expect(new DataView(env.bytes(ws, 8).buffer).getUint16(2, true)).toBe(80);
    expect(env.now('ioctl', 0, 0x5413, env.t.mm.unmapped)).toBe(-E.EFAULT);
    expect(env.now('ioctl', 0, 0x5402, termios)).toBe(0);
    expect(env.now('ioctl', 0, 0x1234, termios)).toBe(-E.ENOTTY);
    expect(env.now('ioctl', 99, 0x5401, termios)).toBe(-E.EBADF);
  });

  it('FIONREAD on a pipe, stdin and a regular file', () => {
    env = setup({ f: 'abcdef' });
    const stdin = new InputStream();
    env.t.fds.add(stdin);
    stdin.push(new Uint8Array(3));
    const f = open(env);
    env.now('lseek', f, 2, 0);
    const n = env.buf(4);
    const val = () => new DataView(env.bytes(n, 4).buffer).getInt32(0, true);
    expect(env.now('ioctl', 0, 0x541b, n)).toBe(0);
    expect(val()).toBe(3);
    expect(env.now('ioctl', f, 0x541b, n)).toBe(0);
    expect(val()).toBe(4);
    const p = env.buf(8);
    env.now('pipe', p);
    const [r, w] = [new DataView(env.bytes(p, 8).buffer).getInt32(0, true), new DataView(env.bytes(p, 8).buffer).getInt32(4, true)];
    env.now('write', w, env.buf(5), 5);
    expect(env.now('ioctl', r, 0x541b, n)).toBe(0);
    expect(val()).toBe(5);
    expect(env.now('ioctl', r, 0x541b, env.t.mm.unmapped)).toBe(-E.EFAULT);
  });

  it('FIOCLEX/FIONCLEX and FIONBIO', () => {
    env = setup({ f: '' });
    const f = open(env);
    expect(env.now('ioctl', f, 0x5451, 0)).toBe(0);
    expect(env.now('fcntl', f, F_GETFD, 0)).toBe(1);
    expect(env.now('ioctl', f, 0x5450, 0)).toBe(0);
    expect(env.now('fcntl', f, F_GETFD, 0)).toBe(0);
    expect(env.now('ioctl', f, 0x5421, env.buf(4, new Uint8Array([1, 0, 0, 0])))).toBe(0);
    expect(env.now('fcntl', f, F_GETFL, 0) & O.NONBLOCK).toBe(O.NONBLOCK);
    expect(env.now('ioctl', f, 0x5421, env.t.mm.unmapped)).toBe(-E.EFAULT);
  });
});
