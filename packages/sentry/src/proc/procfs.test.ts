import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { MemoryAccount } from '../mm/account.js';
import { FS_SYSCALLS } from '../syscalls/fs/index.js';
import { call, type FakeTask, handlerOf, makeTask } from '../testing/fake-task.js';
import { decodeDirents64, Vfs } from '../vfs/index.js';
import { mountProc, type ProcFs } from './index.js';

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_DIRECTORY = 0o200000;
const O_CREAT = 0o100;

let t: FakeTask;
let proc: ProcFs;
let current: FakeTask | undefined;

function sys(name: string, ...args: (number | bigint)[]): number {
  const r = call(t, handlerOf(FS_SYSCALLS, name), ...args);
  if (typeof r !== 'number') throw new Error(`${name} waited`);
  return r;
}

function str(s: string): number {
  const b = new TextEncoder().encode(`${s}\0`);
  const a = t.mm.alloc(b.length);
  t.mm.write(a, b);
  return a;
}

function readlink(p: string): string | number {
  const b = t.mm.alloc(256);
  const n = sys('readlink', str(p), b, 256);
  return n < 0 ? n : Buffer.from(t.mm.read(b, n)).toString('latin1');
}

function readFile(p: string): string | number {
  const fd = sys('open', str(p), O_RDONLY, 0);
  if (fd < 0) return fd;
  const b = t.mm.alloc(4096);
  let s = '';
  for (;;) {
    const n = sys('read', fd, b, 100);
    if (n < 0) return n;
    if (n === 0) break;
    s += Buffer.from(t.mm.read(b, n)).toString('utf8');
  }
  sys('close', fd);
  return s;
}

function list(p: string): string[] | number {
  const fd = sys('open', str(p), O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return fd;
  const b = t.mm.alloc(8192);
  const n = sys('getdents64', fd, b, 8192);
  sys('close', fd);
  return n < 0 ? n : decodeDirents64(t.mm.read(b, n), n).map((e) => e.name).filter((x) => x !== '.' && x !== '..');
}

function boot(account: MemoryAccount | null = null): void {
  const vfs = new Vfs({ dev: false });
  current = undefined;
  proc = mountProc(vfs, { get: (pid) => (current?.pid === pid ? current : undefined), current: () => current }, account);
  const parent = makeTask({ vfs });
  t = makeTask({ vfs, creds: { uid: 1000, gid: 100 } });
  t.group.parent = parent.group;
  t.exePath = '/usr/bin/prog';
  t.comm = 'prog';
  current = t;
}

afterEach(() => {
  current = undefined;
});

describe('/proc', () => {
  it('/proc/self is a link to the current pid; its exe, cwd and root are links', () => {
    boot();
    expect(readlink('/proc/self')).toBe(String(t.pid));
    expect(readlink('/proc/self/exe')).toBe('/usr/bin/prog');
    expect(readlink(`/proc/${t.pid}/cwd`)).toBe('/');
    expect(readlink('/proc/self/root')).toBe('/');
    expect(list('/proc')).toEqual(['self', 'thread-self', 'cpuinfo', 'meminfo', 'uptime', String(t.pid)]);
    expect(list('/proc/self')).toEqual(['exe', 'cwd', 'root', 'fd', 'fdinfo', 'cmdline', 'comm', 'status', 'stat', 'maps', 'task']);
    expect(list(`/proc/self/task/${t.tid}`)).toEqual(['exe', 'cwd', 'root', 'fd', 'fdinfo', 'cmdline', 'comm', 'status', 'stat', 'maps']);
    expect(readlink('/proc/999')).toBe(-E.ENOENT);
    expect(readlink('/proc/0')).toBe(-E.ENOENT);
    expect(readlink('/proc/007')).toBe(-E.ENOENT);
  });

  it('/proc/self/fd lists open descriptors as links to their paths or pipe:[ino]', () => {
    boot();
    const f = sys('open', str('/proc/self/status'), O_RDONLY, 0);
    const p = t.mm.alloc(8);
    expect(sys('pipe', p)).toBe(0);
    const [r, w] = [new DataView(t.mm.read(p, 8).buffer).getInt32(0, true), new DataView(t.mm.read(p, 8).buffer).getInt32(4, true)];
    // The directory being listed is open too, as on Linux.
    expect(list('/proc/self/fd')).toEqual([String(f), String(r), String(w), String(w + 1)]);
    expect(readlink(`/proc/self/fd/${f}`)).toBe(`/proc/${t.pid}/status`);
    expect(readlink(`/proc/self/fd/${r}`)).toMatch(/^pipe:\[\d+\]$/);
    expect(readlink(`/proc/self/fd/${w}`)).toBe(readlink(`/proc/self/fd/${r}`));
    expect(readlink('/proc/self/fd/77')).toBe(-E.ENOENT);
    // Link modes show the access mode: lr-x for the read end, l-wx for the write end.
    const st = t.mm.alloc(144);
    expect(sys('lstat', str(`/proc/self/fd/${w}`), st)).toBe(0);
    expect(new DataView(t.mm.read(st, 144).buffer).getUint32(24, true)).toBe(0o120300);
    // /proc/self/fd/N of a file is followed to the file.
    expect(readFile(`/proc/self/fd/${f}`)).toContain('Name:\tprog');
  });

  it('status, stat, cmdline, comm, maps', () => {
    boot();
    const status = readFile('/proc/self/status') as string;
    expect(status).toContain('Name:\tprog\n');
    expect(status).toContain(`\nPid:\t${t.pid}\n`);
    expect(status).toContain('\nPPid:\t1\n');
    expect(status).toContain('\nUid:\t1000\t1000\t1000\t1000\n');
    expect(status).toContain('\nGid:\t100\t100\t100\t100\n');
    const stat = (readFile('/proc/self/stat') as string).trim().split(' ');
    expect(stat).toHaveLength(52);
    expect(stat.slice(0, 4)).toEqual([String(t.pid), '(prog)', 'R', '1']);
    expect(readFile('/proc/self/cmdline')).toBe('/usr/bin/prog\0');
    expect(readFile('/proc/self/comm')).toBe('prog\n');
    expect(readFile('/proc/self/maps')).toBe('');
    (t.mm as unknown as { procMaps: () => string }).procMaps = () => '00400000-00401000 r-xp 00000000 00:00 0 \n';
    expect(readFile('/proc/self/maps')).toBe('00400000-00401000 r-xp 00000000 00:00 0 \n');
    expect(readFile('/proc/meminfo')).toMatch(/^MemTotal: +\d+ kB\n/);
    expect(readFile('/proc/cpuinfo')).toMatch(/^processor\t: 0\n/);
  });

  it('charges each open snapshot to the sandbox: past the limit open is ENOMEM, close gives it back', () => {
    const account = new MemoryAccount(64 << 10);
    boot(account);
    const line = '00400000-00401000 r-xp 00000000 00:00 0 \n';
    (t.mm as unknown as { procMaps: () => string }).procMaps = () => line.repeat(100); // 4 KiB
    const fds: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const fd = sys('open', str('/proc/self/maps'), O_RDONLY, 0);
      if (fd < 0) {
        expect(fd).toBe(-E.ENOMEM);
        break;
      }
      fds.push(fd);
    }
    expect(fds.length).toBeGreaterThan(0);
    expect(fds.length).toBeLessThan(16);
    expect(account.used).toBeLessThanOrEqual(account.limit);
    expect(sys('open', str('/proc/self/status'), O_RDONLY, 0)).toBe(-E.ENOMEM);
    for (const fd of fds) expect(sys('close', fd)).toBe(0);
    expect(account.used).toBe(0);
    expect(readFile('/proc/self/maps')).toBe(line.repeat(100));
  });

  it('is read-only, and a pid whose task has exited is gone', () => {
    boot();
    expect(sys('open', str('/proc/self/status'), O_WRONLY, 0)).toBe(-E.EACCES);
    expect(sys('open', str('/proc/self/new'), O_WRONLY | O_CREAT, 0o644)).toBe(-E.EACCES);
    expect(sys('unlink', str('/proc/self/status'))).toBe(-E.EACCES);
    expect(sys('mkdir', str('/proc/x'), 0o755)).toBe(-E.EACCES);
    const sf = t.mm.alloc(120);
    expect(sys('statfs', str('/proc'), sf)).toBe(0);
    expect(new DataView(t.mm.read(sf, 120).buffer).getBigInt64(0, true)).toBe(0x9fa0n);
    const pid = t.pid;
    const st1 = t.mm.alloc(144);
    expect(sys('stat', str(`/proc/${pid}/status`), st1)).toBe(0);
    const ino = new DataView(t.mm.read(st1, 144).buffer).getBigUint64(8, true);
    expect(sys('stat', str(`/proc/${pid}/status`), st1)).toBe(0);
    expect(new DataView(t.mm.read(st1, 144).buffer).getBigUint64(8, true)).toBe(ino); // stable inode numbers
    t.exit({ code: 0 });
    expect(sys('access', str(`/proc/${pid}`), 0)).toBe(-E.ENOENT);
    expect(proc.tasks.get(pid)).toBe(t);
  });
});
