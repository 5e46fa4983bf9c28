import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { InputStream, OutputStream } from '../kernel/stdio.js';
import { type Env, O, setup } from '../syscalls/fs/test-helpers.js';
import { mountProc } from './index.js';

let env: Env;
afterEach(() => env.cleanup());

/** A task whose root is a fresh host directory (mode 1777) with /dev and /proc, running as `uid` (default 1000). */
function boot(files: Record<string, string> = {}, uid = 1000): void {
  env = setup(files, { dev: true });
  expect(env.t.kernel.vfs.chmod('/', 0o1777)).toBe(0);
  const t = env.t;
  mountProc(t.kernel.vfs, { kernel: t.kernel, current: () => t });
  t.creds = { uid, euid: uid, suid: uid, gid: 100, egid: 100, sgid: 100, groups: [] };
  t.fs.umask = 0o022;
}

const open = (p: string, flags: number, mode = 0o644) => env.now('open', env.str(p), flags, mode);
const close = (fd: number) => env.now('close', fd);

function readlink(p: string): string | number {
  const b = env.buf(4096);
  const n = env.now('readlink', env.str(p), b, 4096);
  return n < 0 ? n : env.text(b, n);
}

function read(fd: number, len = 100): string | number {
  const b = env.buf(len);
  const n = env.now('read', fd, b, len);
  return n < 0 ? n : env.text(b, n);
}

const write = (fd: number, s: string) => env.now('write', fd, env.buf(s.length, s), s.length);

interface St {
  dev: bigint;
  ino: bigint;
  nlink: bigint;
  mode: number;
  uid: number;
  size: bigint;
}

function decode(b: number): St {
  const v = new DataView(env.bytes(b, 144).slice().buffer);
  return {
    dev: v.getBigUint64(0, true),
    ino: v.getBigUint64(8, true),
    nlink: v.getBigUint64(16, true),
    mode: v.getUint32(24, true),
    uid: v.getUint32(28, true),
    size: v.getBigInt64(48, true),
  };
}

function stat(p: string, call = 'stat'): St | number {
  const b = env.buf(144);
  const r = env.now(call, env.str(p), b);
  return r < 0 ? r : decode(b);
}

function fstat(fd: number): St {
  const b = env.buf(144);
  expect(env.now('fstat', fd, b)).toBe(0);
  return decode(b);
}

function pipe(): [number, number] {
  const p = env.buf(8);
  expect(env.now('pipe', p)).toBe(0);
  const v = new DataView(env.bytes(p, 8).slice().buffer);
  return [v.getInt32(0, true), v.getInt32(4, true)];
}

describe('/proc/self/fd magic links', () => {
  it('reopen a pipe: either direction from either end, sharing the buffer and the end-of-file count', () => {
    boot();
    const [r, w] = pipe();
    const name = readlink(`/proc/self/fd/${r}`);
    expect(name).toMatch(/^pipe:\[\d+\]$/);
    // The read end's link opened for writing is a write end of the same pipe (a FIFO open).
    const w2 = open(`/proc/self/fd/${r}`, O.WRONLY);
    expect(w2).toBeGreaterThan(w);
    expect(readlink(`/proc/self/fd/${w2}`)).toBe(name);
    expect(write(w2, 'via link')).toBe(8);
    expect(read(r)).toBe('via link');
    const r2 = open(`/dev/fd/${w}`, O.RDONLY | O.NONBLOCK);
    expect(read(r2)).toBe(-E.EAGAIN);
    expect(write(w, 'xy')).toBe(2);
    expect(read(r2)).toBe('xy');
    // stat through the link is the pipe's; lstat is the link's (l-wx------, 64 bytes).
    const st = stat(`/proc/self/fd/${w}`) as St;
    expect(st.ino).toBe(fstat(r).ino);
    expect(st.mode).toBe(0o010600);
    expect(stat(`/proc/self/fd/${w}`, 'lstat')).toMatchObject({ mode: 0o120300, size: 64n });
    // Readers see end of file only once every write side, reopened ones included, is closed.
    close(w);
    expect(read(r2)).toBe(-E.EAGAIN);
    close(w2);
    expect(read(r2)).toBe('');
    // O_RDWR is both a reader and a writer; access mode 3 is EINVAL.
    const rw = open(`/proc/self/fd/${r}`, O.RDWR);
    expect(write(rw, 'rw')).toBe(2);
    expect(read(rw)).toBe('rw');
    expect(open(`/proc/self/fd/${r}`, 3)).toBe(-E.EINVAL);
  });

  it('reopen a file: a new description with its own offset and flags, even after unlink', () => {
    boot();
    const f = open('/tmp-file', O.RDWR | O.CREAT);
    expect(write(f, 'hello world')).toBe(11);
    const g = open(`/proc/self/fd/${f}`, O.RDONLY);
    expect(read(g, 5)).toBe('hello');
    expect(env.now('lseek', f, 0, 1)).toBe(11);
    expect(readlink(`/proc/self/fd/${g}`)).toBe('/tmp-file');
    expect(env.now('unlink', env.str('/tmp-file'))).toBe(0);
    expect(readlink(`/proc/self/fd/${f}`)).toBe('/tmp-file (deleted)');
    const h = open(`/proc/self/fd/${f}`, O.RDWR | O.APPEND);
    expect(write(h, '!')).toBe(1);
    expect(read(g)).toBe(' world!');
    expect(stat(`/proc/self/fd/${f}`)).toMatchObject({ nlink: 0n, size: 12n });
    // A new file under the old name is not what the descriptor refers to.
    expect(write(open('/tmp-file', O.WRONLY | O.CREAT), 'other')).toBe(5);
    expect(readlink(`/proc/self/fd/${f}`)).toBe('/tmp-file (deleted)');
    expect(read(open(`/proc/self/fd/${f}`, O.RDONLY))).toBe('hello world!');
  });

  it('permission is checked against the object: no write through a read-only descriptor of a file one may not write', () => {
    boot({ 'ro.txt': 'read only\n' }); // root's, 0644
    const f = open('/ro.txt', O.RDONLY);
    expect(open(`/proc/self/fd/${f}`, O.WRONLY)).toBe(-E.EACCES);
    expect(open(`/proc/self/fd/${f}`, O.RDONLY | O.TRUNC)).toBe(-E.EACCES);
    expect(read(open(`/proc/self/fd/${f}`, O.RDONLY))).toBe('read only\n');
    // A directory descriptor's link is the directory: .. and names below it work, writing it is EISDIR.
    const d = open('/', O.RDONLY | O.DIRECTORY);
    expect(open(`/proc/self/fd/${d}`, O.WRONLY)).toBe(-E.EISDIR);
    expect(read(open(`/proc/self/fd/${d}/ro.txt`, O.RDONLY))).toBe('read only\n');
    expect(readlink(`/proc/self/fd/${d}`)).toBe('/');
  });

  it('the standard streams: /dev/stdin shares the input, /dev/stdout and /dev/stderr the output', async () => {
    boot();
    const t = env.t;
    const input = new InputStream();
    const out: string[] = [];
    t.fds.put(0, input);
    t.fds.put(1, new OutputStream((b) => out.push(`1:${Buffer.from(b).toString()}`)));
    t.fds.put(2, new OutputStream((b) => out.push(`2:${Buffer.from(b).toString()}`)));
    expect(readlink('/dev/stdin')).toBe('/proc/self/fd/0');
    expect(readlink('/dev/fd')).toBe('/proc/self/fd');
    const i = open('/dev/stdin', O.RDONLY);
    input.push(Buffer.from('typed'));
    expect(read(i)).toBe('typed');
    // A reader of the reopened description waits for input pushed to the original.
    const b = env.buf(16);
    const pending = env.sys('read', i, b, 16);
    expect(pending).toBeInstanceOf(Promise);
    input.push(Buffer.from('later'));
    input.end();
    expect(await pending).toBe(5);
    expect(read(0)).toBe('');
    expect(write(open('/dev/stderr', O.WRONLY | O.APPEND), 'err')).toBe(3);
    expect(write(open('/dev/fd/1', O.WRONLY), 'out')).toBe(3);
    expect(out).toEqual(['2:err', '1:out']);
    // The sandbox cannot read its output nor write its input.
    expect(open('/dev/stdout', O.RDONLY)).toBe(-E.EACCES);
    expect(open('/dev/stdin', O.WRONLY)).toBe(-E.EACCES);
    expect(stat('/dev/stdout')).toMatchObject({ mode: 0o010600, uid: 1000 });
  });

  it('hostile names: bad numbers, paths through non-directories, loops', () => {
    boot();
    const f = open('/x', O.RDWR | O.CREAT);
    for (const n of ['99999', '-1', '007', '+3', '3 ', '4294967299', '99999999999']) {
      expect(open(`/proc/self/fd/${n}`, O.RDONLY)).toBe(-E.ENOENT);
      expect(readlink(`/proc/self/fd/${n}`)).toBe(-E.ENOENT);
    }
    expect(open(`/proc/self/fd/${f}/..`, O.RDONLY)).toBe(-E.ENOTDIR);
    expect(open(`/proc/self/fd/${f}/`, O.RDONLY)).toBe(-E.ENOTDIR);
    expect(open(`/proc/self/fd/${f}`, O.RDONLY | O.NOFOLLOW)).toBe(-E.ELOOP);
    const [r] = pipe();
    expect(open(`/dev/fd/${r}/x`, O.RDONLY)).toBe(-E.ENOTDIR);
    // /dev/fd/D where D is /dev/fd itself: each hop is a link; Linux stops at 40.
    const d = open('/dev/fd', O.RDONLY | O.DIRECTORY);
    expect(readlink(`/proc/self/fd/${d}`)).toBe(`/proc/${env.t.pid}/fd`);
    expect(open(`/dev/fd${`/${d}`.repeat(38)}`, O.RDONLY)).toBeGreaterThan(0);
    expect(open(`/dev/fd${`/${d}`.repeat(39)}`, O.RDONLY)).toBe(-E.ELOOP);
    expect(open(`/dev/fd/${d}/..`, O.RDONLY)).toBeGreaterThan(0);
    // A descriptor closed meanwhile: an O_PATH handle on its link reads ENOENT.
    const link = open(`/proc/self/fd/${f}`, O.PATH | O.NOFOLLOW);
    close(f);
    const b = env.buf(64);
    expect(env.now('readlinkat', link, env.str(''), b, 64)).toBe(-E.ENOENT);
  });

  it('exe, cwd and root are magic links; fdinfo shows pos, flags and mnt_id; thread-self names the thread', () => {
    boot({ 'bin/prog': 'ELF...', 'work/': '' }, 0);
    const t = env.t;
    const vfs = t.kernel.vfs;
    const exe = vfs.resolve('/bin/prog');
    if (typeof exe === 'number') throw new Error('no /bin/prog');
    t.exe = exe;
    expect(readlink('/proc/self/exe')).toBe('/bin/prog');
    const x = open('/proc/self/exe', O.RDONLY);
    expect(read(x)).toBe('ELF...');
    expect(env.now('chdir', env.str('/work'))).toBe(0);
    expect(readlink('/proc/self/cwd')).toBe('/work');
    expect(env.now('chdir', env.str('/'))).toBe(0);
    expect(readlink(`/proc/${t.pid}/root`)).toBe('/');
    expect(env.now('lseek', x, 2, 0)).toBe(2);
    expect(read(open(`/proc/self/fdinfo/${x}`, O.RDONLY), 200)).toMatch(/^pos:\t2\nflags:\t0100000\nmnt_id:\t\d+\nino:\t\d+\n$/);
    const c = open('/bin/prog', O.WRONLY | O.CLOEXEC | O.APPEND);
    expect(read(open(`/proc/self/fdinfo/${c}`, O.RDONLY), 200)).toMatch(/\nflags:\t02102001\n/);
    expect(readlink('/proc/thread-self')).toBe(`${t.pid}/task/${t.tid}`);
    expect(readlink('/proc/thread-self/fd/77')).toBe(-E.ENOENT);
    expect(readlink(`/proc/thread-self/fd/${x}`)).toBe('/bin/prog');
    expect(stat('/proc/thread-self/task')).toBe(-E.ENOENT);
  });
});
