import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { PID_MAX } from '../kernel/pids.js';
import { SIG_IGN } from '../kernel/signals.js';
import { CLONE_FILES, CLONE_FS, CLONE_SIGHAND, CLONE_THREAD, CLONE_VM, cloneTask } from '../kernel/task-clone.js';
import { finishThread, reap } from '../kernel/task-exit.js';
import { sendProcessSignal, SIGCHLD } from '../kernel/task-signals.js';
import type { Task } from '../kernel/task.js';
import { MemoryAccount } from '../mm/account.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE, type Vma, VMA_GROWSDOWN } from '../mm/index.js';
import { FS_SYSCALLS } from '../syscalls/fs/index.js';
import { UTS_RELEASE } from '../syscalls/uts.js';
import { call, type FakeTask, handlerOf, makeTask } from '../testing/fake-task.js';
import { decodeDirents64, Vfs } from '../vfs/index.js';
import { mountProc, type ProcFs } from './index.js';

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_DIRECTORY = 0o200000;
const O_CREAT = 0o100;
const THREAD = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;

let t: FakeTask;
let proc: ProcFs;
let current: Task | undefined;

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
    s += Buffer.from(t.mm.read(b, n)).toString('latin1');
  }
  sys('close', fd);
  return s;
}

function text(p: string): string {
  const s = readFile(p);
  if (typeof s === 'number') throw new Error(`${p}: ${s}`);
  return s;
}

function list(p: string): string[] | number {
  const fd = sys('open', str(p), O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return fd;
  const b = t.mm.alloc(8192);
  const n = sys('getdents64', fd, b, 8192);
  sys('close', fd);
  return n < 0
    ? n
    : decodeDirents64(t.mm.read(b, n), n)
        .map((e) => e.name)
        .filter((x) => x !== '.' && x !== '..');
}

/** A status line's value. */
function field(status: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\t(.*)$`, 'm').exec(status)?.[1];
}

/** stat's fields, 1-based as proc(5) numbers them (the name in parentheses is one field). */
function statFields(p: string): string[] {
  const s = text(p).trimEnd();
  const pid = s.slice(0, s.indexOf(' '));
  const close = s.lastIndexOf(')');
  return ['', pid, s.slice(pid.length + 1, close + 1), ...s.slice(close + 2).split(' ')];
}

/** A task (the caller) on a kernel with /proc mounted, as uid 1000. */
function boot(account: MemoryAccount | null = null): void {
  const vfs = new Vfs({ dev: false });
  t = makeTask({ vfs, creds: { uid: 1000, gid: 100 } });
  t.exePath = '/usr/bin/prog';
  t.comm = 'prog';
  t.group.cmdline = new Uint8Array(Buffer.from('prog\0-v\0'));
  t.group.environ = new Uint8Array(Buffer.from('A=1\0'));
  current = t;
  proc = mountProc(vfs, { kernel: t.kernel, current: () => current }, account);
}

function clone(flags: number, exitSignal = 0): Task {
  const c = cloneTask(t, { flags, exitSignal, stack: 0, tls: 0, parentTid: 0, childTid: 0, pidfd: 0 });
  if (typeof c === 'number') throw new Error(`clone: ${c}`);
  return c;
}

/** Ends `task`'s thread now, as the scheduler does once it stops. */
function end(task: Task, code: number): void {
  task.exitThread({ code });
  task.state = 'dead';
  finishThread(task);
}

afterEach(() => {
  current = undefined;
});

describe('/proc', () => {
  it('lists every process; /proc/self and thread-self are links; exe, cwd and root are links', () => {
    boot();
    const child = clone(CLONE_VM, SIGCHLD);
    expect(readlink('/proc/self')).toBe(String(t.pid));
    expect(readlink('/proc/thread-self')).toBe(`${t.pid}/task/${t.tid}`);
    expect(readlink('/proc/self/exe')).toBe('/usr/bin/prog');
    expect(readlink(`/proc/${t.pid}/cwd`)).toBe('/');
    expect(readlink('/proc/self/root')).toBe('/');
    expect(list('/proc')).toEqual([
      'self',
      'thread-self',
      'cpuinfo',
      'loadavg',
      'meminfo',
      'mounts',
      'net',
      'stat',
      'sys',
      'uptime',
      String(t.pid),
      String(child.pid),
    ]);
    const entries = [
      'fd',
      'fdinfo',
      'environ',
      'status',
      'limits',
      'comm',
      'cmdline',
      'stat',
      'statm',
      'maps',
      'cwd',
      'root',
      'exe',
      'mounts',
      'mountinfo',
    ];
    expect(list('/proc/self')).toEqual(['task', ...entries]);
    expect(list(`/proc/self/task/${t.tid}`)).toEqual(entries);
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

  it('status: identity, credentials, signals, threads', () => {
    boot();
    t.signals.setMask(1 << 1, 0); // SIGINT blocked
    t.signals.actions[13] = { ...t.signals.actions[13]!, handler: SIG_IGN }; // SIGPIPE ignored
    t.signals.actions[10] = { ...t.signals.actions[10]!, handler: 0x401000 }; // SIGUSR1 caught
    sendProcessSignal(t.group, { signo: 2, code: 0 }); // SIGINT stays pending, blocked
    const s = text('/proc/self/status');
    expect(s.startsWith('Name:\tprog\nUmask:\t0022\nState:\tR (running)\n')).toBe(true);
    const want: Record<string, string> = {
      Tgid: String(t.pid),
      Pid: String(t.tid),
      PPid: '0',
      TracerPid: '0',
      Uid: '1000\t1000\t1000\t1000',
      Gid: '100\t100\t100\t100',
      FDSize: '64',
      Threads: '1',
      SigQ: '1/63704',
      SigPnd: '0000000000000000',
      ShdPnd: '0000000000000002',
      SigBlk: '0000000000000002',
      SigIgn: '0000000000001000',
      SigCgt: '0000000000000200',
      CapEff: '0000000000000000',
    };
    expect(Object.fromEntries(Object.keys(want).map((k) => [k, field(s, k)]))).toEqual(want);
    expect(s.endsWith('\n')).toBe(true);
  });

  it('each thread is a task/<tid> with its own state; the process counts them', () => {
    boot();
    const a = clone(THREAD);
    const b = clone(THREAD);
    a.state = 'parked';
    b.state = 'stopped';
    a.comm = 'worker';
    expect(list('/proc/self/task')).toEqual([t.tid, a.tid, b.tid].map(String));
    expect(field(text('/proc/self/status'), 'Threads')).toBe('3');
    const sa = text(`/proc/self/task/${a.tid}/status`);
    expect([field(sa, 'Name'), field(sa, 'State'), field(sa, 'Tgid'), field(sa, 'Pid')]).toEqual([
      'worker',
      'S (sleeping)',
      String(t.pid),
      String(a.tid),
    ]);
    expect(field(text(`/proc/self/task/${b.tid}/status`), 'State')).toBe('T (stopped)');
    expect(statFields(`/proc/self/task/${a.tid}/stat`).slice(1, 4)).toEqual([String(a.tid), '(worker)', 'S']);
    // A thread's id reaches its own view of the process, unlisted.
    expect(field(text(`/proc/${a.tid}/status`), 'Pid')).toBe(String(a.tid));
    expect(list('/proc')).not.toContain(String(a.tid));
    // Thread CPU time is its own; the process's is every thread's, ended ones too.
    a.userNs = 3e9;
    b.sysNs = 1e9;
    expect(statFields(`/proc/self/task/${a.tid}/stat`).slice(14, 16)).toEqual(['300', '0']);
    end(b, 0);
    expect(list('/proc/self/task')).toEqual([t.tid, a.tid].map(String));
    expect(readFile(`/proc/self/task/${b.tid}/status`)).toBe(-E.ENOENT);
    expect(statFields('/proc/self/stat').slice(14, 16)).toEqual(['300', '100']);
    expect(statFields('/proc/self/stat')[20]).toBe('2');
  });

  it('a leader that exited while other threads run shows as a zombie; the process lives on', () => {
    boot();
    const a = clone(THREAD);
    current = a;
    end(t, 0);
    expect(field(text(`/proc/${t.pid}/status`), 'State')).toBe('Z (zombie)');
    expect(field(text(`/proc/${t.pid}/status`), 'Threads')).toBe('2');
    expect(list(`/proc/${t.pid}/task`)).toEqual([t.pid, a.tid].map(String));
    expect(field(text(`/proc/${t.pid}/task/${a.tid}/status`), 'State')).toBe('R (running)');
    expect(readlink(`/proc/${t.pid}/task/${t.pid}/exe`)).toBe(-E.ENOENT);
    expect(readlink(`/proc/${t.pid}/exe`)).toBe('/usr/bin/prog');
  });

  it('a zombie reads as Z with no memory and empty cmdline until reaped, then is gone', () => {
    boot();
    const c = clone(CLONE_VM, SIGCHLD);
    c.comm = 'child';
    const pid = c.pid;
    end(c, 3);
    expect(list('/proc')).toContain(String(pid));
    const s = text(`/proc/${pid}/status`);
    expect([field(s, 'Name'), field(s, 'State'), field(s, 'PPid'), field(s, 'Threads')]).toEqual([
      'prog',
      'Z (zombie)',
      String(t.pid),
      '1',
    ]);
    expect(field(s, 'VmSize')).toBeUndefined();
    expect(field(s, 'Umask')).toBeUndefined();
    const st = statFields(`/proc/${pid}/stat`);
    expect(st).toHaveLength(53);
    expect(st.slice(1, 5)).toEqual([String(pid), '(prog)', 'Z', String(t.pid)]);
    expect(st[52]).toBe(String(3 << 8));
    expect(readFile(`/proc/${pid}/cmdline`)).toBe('');
    expect(readFile(`/proc/${pid}/statm`)).toBe('0 0 0 0 0 0 0\n');
    expect(readlink(`/proc/${pid}/exe`)).toBe(-E.ENOENT);
    expect(readlink(`/proc/${pid}/cwd`)).toBe(-E.ENOENT);
    expect(list(`/proc/${pid}/fd`)).toEqual([]);
    expect(list(`/proc/${pid}/task`)).toEqual([String(pid)]);
    const dir = sys('open', str(`/proc/${pid}`), O_RDONLY | O_DIRECTORY, 0);
    reap(t.kernel, c.group);
    expect(list('/proc')).not.toContain(String(pid));
    expect(readFile(`/proc/${pid}/status`)).toBe(-E.ENOENT);
    // A directory opened before is empty of it too.
    expect(call(t, handlerOf(FS_SYSCALLS, 'openat'), dir, str('status'), O_RDONLY, 0)).toBe(-E.ENOENT);
  });

  it('stat: 52 fields in order; times in ticks; starttime from the process start', () => {
    boot();
    const c = clone(CLONE_VM, SIGCHLD);
    c.group.pgid = t.pid;
    t.group.childCpu.userNs = 5e8;
    t.userNs = 1.25e9;
    const st = statFields('/proc/self/stat');
    expect(st).toHaveLength(53);
    expect(st.slice(1, 9)).toEqual([String(t.pid), '(prog)', 'R', '0', String(t.pid), String(t.pid), '0', '-1']);
    expect(st.slice(14, 18)).toEqual(['125', '0', '50', '0']);
    expect(st[20]).toBe('1'); // num_threads
    expect(Number(st[22])).toBeGreaterThanOrEqual(0);
    expect(st[38]).toBe('17'); // exit_signal
    const cs = statFields(`/proc/${c.pid}/stat`);
    expect(cs.slice(4, 7)).toEqual([String(t.pid), String(t.pid), String(t.pid)]);
    expect(Number(cs[22])).toBeGreaterThanOrEqual(Number(st[22]));
  });

  it('memory figures from the VMAs: VmSize, VmData, VmStk, VmExe, VmLib, statm, maps', () => {
    boot();
    const K = 1024;
    const vma = (start: number, len: number, prot: number, flags = 0, name = ''): Vma => ({
      start,
      end: start + len,
      prot,
      flags,
      file: null,
      offset: 0,
      shm: null,
      name,
    });
    const vmas = [
      vma(0x40_0000, 8 * K, PROT_READ | PROT_EXEC), // the program's text
      vma(0x40_2000, 4 * K, PROT_READ | PROT_WRITE), // its data
      vma(0x7000_0000, 12 * K, PROT_READ | PROT_EXEC), // the dynamic loader's text
      vma(0x7ffe_0000, 132 * K, PROT_READ | PROT_WRITE, VMA_GROWSDOWN, '[stack]'),
      vma(0x7fff_0000, 4 * K, PROT_READ | PROT_EXEC, 0, '[vdso]'),
    ];
    Object.assign(t.mm, { vmas, stats: { faults: 7 }, residentPages: 10 });
    const s = text('/proc/self/status');
    expect([field(s, 'VmSize'), field(s, 'VmRSS'), field(s, 'VmData'), field(s, 'VmStk'), field(s, 'VmExe'), field(s, 'VmLib')]).toEqual([
      '     160 kB',
      '      40 kB',
      '       4 kB',
      '     132 kB',
      '       8 kB',
      '      16 kB',
    ]);
    expect(field(s, 'VmPeak')).toBe('     160 kB');
    // Peaks do not come down with the mappings.
    Object.assign(t.mm, { vmas: vmas.slice(0, 2), residentPages: 2 });
    const s2 = text('/proc/self/status');
    expect([field(s2, 'VmSize'), field(s2, 'VmPeak'), field(s2, 'VmRSS'), field(s2, 'VmHWM')]).toEqual([
      '      12 kB',
      '     160 kB',
      '       8 kB',
      '      40 kB',
    ]);
    expect(text('/proc/self/statm')).toBe('3 2 0 2 0 1 0\n');
    const st = statFields('/proc/self/stat');
    expect([st[10], st[23], st[24], st[26], st[27]]).toEqual(['7', String(12 * K), '2', String(0x40_0000), String(0x40_2000)]);
    expect(text('/proc/self/maps')).toBe('00400000-00402000 r-xp 00000000 00:00 0 \n00402000-00403000 rw-p 00000000 00:00 0 \n');
  });

  it('cmdline, environ, comm, limits', () => {
    boot();
    expect(readFile('/proc/self/cmdline')).toBe('prog\0-v\0');
    expect(readFile('/proc/self/environ')).toBe('A=1\0');
    expect(readFile('/proc/self/comm')).toBe('prog\n');
    const lines = text('/proc/self/limits').split('\n');
    expect(lines[0]).toBe('Limit                     Soft Limit           Hard Limit           Units     ');
    expect(lines[1]).toBe('Max cpu time              unlimited            unlimited            seconds   ');
    expect(lines[4]).toBe('Max stack size            8388608              unlimited            bytes     ');
    expect(lines[8]).toBe('Max open files            1024                 4096                 files     ');
    expect(lines[14]).toBe('Max nice priority         0                    0                    ');
    expect(lines).toHaveLength(18);
  });

  it('system files come from the sandbox: stat, loadavg, uptime, meminfo, cpuinfo, sys/kernel', () => {
    boot(new MemoryAccount(64 << 20));
    const a = clone(THREAD);
    a.state = 'parked';
    t.userNs = 2e9;
    const stat = text('/proc/stat');
    expect(stat).toMatch(/^cpu {2}200 0 0 \d+ 0 0 0 0 0 0\ncpu0 200 0 0 \d+ 0 0 0 0 0 0\nbtime \d+\nprocs_running 1\nprocs_blocked 0\n$/);
    expect(text('/proc/loadavg')).toBe(`0.00 0.00 0.00 1/2 ${a.tid}\n`);
    expect(text('/proc/uptime')).toMatch(/^\d+\.\d\d \d+\.\d\d\n$/);
    const meminfo = text('/proc/meminfo');
    expect(meminfo).toMatch(/^MemTotal: +65536 kB\nMemFree: +\d+ kB\nMemAvailable: +\d+ kB\n/);
    const cpuinfo = text('/proc/cpuinfo');
    expect(cpuinfo).toMatch(/^processor\t: 0\n/);
    expect(cpuinfo).toMatch(/\nflags\t\t: fpu .*\bsse2\b.*\blm\b/);
    expect(cpuinfo.match(/^processor/gm)).toHaveLength(1);
    expect(list('/proc/sys/kernel')).toEqual(['hostname', 'ostype', 'osrelease', 'pid_max']);
    expect(readFile('/proc/sys/kernel/pid_max')).toBe(`${PID_MAX}\n`);
    expect(readFile('/proc/sys/kernel/ostype')).toBe('Linux\n');
    expect(readFile('/proc/sys/kernel/osrelease')).toBe(`${UTS_RELEASE}\n`);
    expect(readFile('/proc/sys/kernel/hostname')).toBe('tsv\n');
  });

  it('mounts and mountinfo list the sandbox mount table; mountinfo ids are fdinfo mnt_ids', () => {
    boot();
    expect(readlink('/proc/mounts')).toBe('self/mounts');
    expect(readFile('/proc/mounts')).toBe('overlay / overlay rw,relatime 0 0\nproc /proc proc rw,relatime 0 0\n');
    const info = text('/proc/self/mountinfo').split('\n');
    expect(info[0]).toMatch(/^1 1 \d+:\d+ \/ \/ rw,relatime - overlay overlay rw$/);
    expect(info[1]).toMatch(/^2 1 \d+:\d+ \/ \/proc rw,relatime - proc proc rw$/);
    const fd = sys('open', str('/proc/self/status'), O_RDONLY, 0);
    expect(readFile(`/proc/self/fdinfo/${fd}`)).toMatch(/\nmnt_id:\t2\n/);
  });

  it('charges each open snapshot to the sandbox: past the limit open is ENOMEM, close gives it back', () => {
    const account = new MemoryAccount(64 << 10);
    boot(account);
    const line = '00400000-00401000 r-xp 00000000 00:00 0 \n';
    const vmas = Array.from({ length: 100 }, (_, i) => ({
      start: 0x40_0000 + i * 0x2000,
      end: 0x40_1000 + i * 0x2000,
      prot: PROT_READ | PROT_EXEC,
      flags: 0,
      file: null,
      offset: 0,
      shm: null,
      name: '',
    }));
    Object.assign(t.mm, { vmas }); // about 4 KiB of maps
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
    expect(text('/proc/self/maps').startsWith(line)).toBe(true);
  });

  it('is read-only, with stable inode numbers', () => {
    boot();
    expect(sys('open', str('/proc/self/status'), O_WRONLY, 0)).toBe(-E.EACCES);
    expect(sys('open', str('/proc/self/new'), O_WRONLY | O_CREAT, 0o644)).toBe(-E.EACCES);
    expect(sys('unlink', str('/proc/self/status'))).toBe(-E.EACCES);
    expect(sys('mkdir', str('/proc/x'), 0o755)).toBe(-E.EACCES);
    const sf = t.mm.alloc(120);
    expect(sys('statfs', str('/proc'), sf)).toBe(0);
    expect(new DataView(t.mm.read(sf, 120).buffer).getBigInt64(0, true)).toBe(0x9fa0n);
    const st1 = t.mm.alloc(144);
    expect(sys('stat', str(`/proc/${t.pid}/status`), st1)).toBe(0);
    const ino = new DataView(t.mm.read(st1, 144).buffer).getBigUint64(8, true);
    expect(sys('stat', str(`/proc/${t.pid}/status`), st1)).toBe(0);
    expect(new DataView(t.mm.read(st1, 144).buffer).getBigUint64(8, true)).toBe(ino);
    expect(proc.tasks.kernel).toBe(t.kernel);
  });
});
