// Shared file mappings through the system calls, on a real MemoryManager
// (fake physical memory): stores reach a volume's host file (msync, munmap,
// fsync, exit), descriptors stay open for their mappings, and write(),
// read() and ftruncate agree with the mapping.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import type { Task } from '../kernel/task.js';
import {
  FakeAddressSpace,
  FakePhysicalMemory,
  FAULT_SIGBUS,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  MemoryManager,
  MS_ASYNC,
  MS_SYNC,
  PROT_READ,
  PROT_WRITE,
} from '../mm/index.js';
import { guest } from '../mm/test-helpers.js';
import { call, handlerOf, makeTask, type RawArg } from '../testing/fake-task.js';
import { Vfs } from '../vfs/index.js';
import { FS_SYSCALLS } from './fs/index.js';
import { MM_SYSCALLS } from './mm.js';

const PAGE = 4096;
const RW = PROT_READ | PROT_WRITE;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_APPEND = 0o2000;
const O_TRUNC = 0o1000;
const AT_FDCWD = -100;

let dir: string;
let vol: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-filemap-'));
  vol = path.join(dir, 'vol');
  fs.mkdirSync(path.join(dir, 'root'));
  fs.mkdirSync(vol);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function boot() {
  const mem = new FakePhysicalMemory(64 << 20);
  const as = new FakeAddressSpace();
  const mm = new MemoryManager({ memory: mem, addressSpace: as, checkMemory: true });
  const t: Task = makeTask({ vfs: new Vfs({ root: path.join(dir, 'root'), dev: false, volumes: [`${vol}:/work`] }) });
  t.mm = mm;
  const scratch = mm.mmap(0, 64 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
  const sys = (name: string, ...args: RawArg[]): number => {
    const spec = [...FS_SYSCALLS, ...MM_SYSCALLS].find((s) => s[0] === name)!;
    const r = call(t, handlerOf([spec], name), ...args);
    if (typeof r !== 'number') throw new Error(`${name} waited`);
    return r;
  };
  const open = (p: string, flags: number): number => {
    expect(mm.copyOut(scratch, new TextEncoder().encode(`${p}\0`))).toBe(0);
    return sys('openat', AT_FDCWD, scratch, flags, 0o644);
  };
  /** pread(fd, n, off) through the system call, as text. */
  const pread = (fd: number, n: number, off: number): string => {
    const r = sys('pread64', fd, scratch + PAGE, n, off);
    expect(r).toBeGreaterThanOrEqual(0);
    const b = new Uint8Array(r);
    mm.copyIn(scratch + PAGE, b);
    return Buffer.from(b).toString('latin1');
  };
  const pwrite = (fd: number, s: string, off: number | null): number => {
    expect(mm.copyOut(scratch + 2 * PAGE, new TextEncoder().encode(s))).toBe(0);
    return off === null ? sys('write', fd, scratch + 2 * PAGE, s.length) : sys('pwrite64', fd, scratch + 2 * PAGE, s.length, off);
  };
  return { t, mm, sys, open, pread, pwrite, cpu: guest(mm, as, mem) };
}

const host = (name: string): string => fs.readFileSync(path.join(vol, name), 'latin1');

describe('shared file mappings through the system calls', () => {
  it('stores reach the volume on msync and on munmap, after the descriptor was closed', () => {
    fs.writeFileSync(path.join(vol, 'db'), 'x'.repeat(2 * PAGE + 50));
    const { sys, open, cpu } = boot();
    const fd = open('/work/db', O_RDWR);
    const a = sys('mmap', 0, 3 * PAGE, RW, MAP_SHARED, fd, 0);
    expect(a).toBeGreaterThan(0);
    expect(sys('close', fd)).toBe(0);
    expect(cpu.store(a + 10, 'synced')).toBe(0);
    expect(host('db').slice(10, 16)).toBe('xxxxxx');
    expect(sys('msync', a, 3 * PAGE, MS_SYNC)).toBe(0);
    expect(host('db').slice(10, 16)).toBe('synced');
    expect(cpu.store(a + 2 * PAGE + 45, 'edge!past')).toBe(0); // the file ends at +50
    expect(cpu.store(a + PAGE, 'unmapped')).toBe(0);
    expect(sys('munmap', a, 3 * PAGE)).toBe(0);
    const after = host('db');
    expect(after.length).toBe(2 * PAGE + 50);
    expect(after.slice(PAGE, PAGE + 8)).toBe('unmapped');
    expect(after.slice(2 * PAGE + 45)).toBe('edge!');
  });

  it('exit (release) writes back what nothing synced', () => {
    fs.writeFileSync(path.join(vol, 'log'), '.'.repeat(PAGE));
    const { t, mm, sys, open, cpu } = boot();
    const a = sys('mmap', 0, PAGE, RW, MAP_SHARED, open('/work/log', O_RDWR), 0);
    expect(cpu.store(a + 100, 'at exit')).toBe(0);
    t.fds.closeAll(); // as boot's run() does, before releasing memory
    mm.release();
    expect(host('log').slice(100, 107)).toBe('at exit');
  });

  it('write() and pwrite() show in the mapping; stores show to read() before any msync', () => {
    fs.writeFileSync(path.join(vol, 'f'), '-'.repeat(2 * PAGE));
    const { sys, open, pread, pwrite, cpu } = boot();
    const fd = open('/work/f', O_RDWR);
    const a = sys('mmap', 0, 2 * PAGE, RW, MAP_SHARED, fd, 0);
    const b = sys('mmap', 0, 2 * PAGE, PROT_READ, MAP_SHARED, open('/work/f', O_RDONLY), 0);
    expect(cpu.load(a, 1)).toBe('-');
    expect(pwrite(fd, 'pwritten', PAGE - 4)).toBe(8);
    expect(cpu.load(a + PAGE - 4, 8)).toBe('pwritten');
    expect(cpu.load(b + PAGE - 4, 8)).toBe('pwritten');
    expect(pwrite(fd, 'written', null)).toBe(7); // at the file offset, 0
    expect(cpu.load(a, 7)).toBe('written');
    const app = open('/work/f', O_WRONLY | O_APPEND);
    expect(pwrite(app, 'tail', 0)).toBe(4); // O_APPEND: at the end, past the mapped pages
    expect(cpu.store(a + 200, 'stored')).toBe(0);
    expect(cpu.load(b + 200, 6)).toBe('stored');
    expect(pread(fd, 6, 200)).toBe('stored');
    expect(host('f').slice(200, 206)).toBe('------');
    expect(sys('fsync', fd)).toBe(0);
    expect(host('f').slice(200, 206)).toBe('stored');
    expect(host('f').length).toBe(2 * PAGE + 4);
  });

  it('truncation drops mapped pages past the new end (SIGBUS) and open(O_TRUNC) too', () => {
    fs.writeFileSync(path.join(vol, 't'), 'y'.repeat(3 * PAGE));
    const { sys, open, cpu } = boot();
    const fd = open('/work/t', O_RDWR);
    const a = sys('mmap', 0, 3 * PAGE, RW, MAP_SHARED, fd, 0);
    expect(cpu.store(a + 2 * PAGE, 'doomed')).toBe(0);
    expect(sys('ftruncate', fd, PAGE + 1)).toBe(0);
    expect(cpu.load(a + 2 * PAGE, 1)).toBe(FAULT_SIGBUS);
    expect(cpu.load(a + PAGE, 2)).toBe('y\0');
    expect(open('/work/t', O_WRONLY | O_TRUNC)).toBeGreaterThan(0);
    expect(cpu.load(a, 1)).toBe(FAULT_SIGBUS);
    expect(sys('munmap', a, 3 * PAGE)).toBe(0);
    expect(host('t')).toBe('');
  });

  it('refuses what Linux refuses', () => {
    fs.writeFileSync(path.join(vol, 'r'), 'data');
    const { sys, open } = boot();
    const ro = open('/work/r', O_RDONLY);
    expect(sys('mmap', 0, PAGE, RW, MAP_SHARED, ro, 0)).toBe(-E.EACCES);
    expect(sys('mmap', 0, PAGE, PROT_READ, MAP_SHARED, open('/work/r', O_WRONLY), 0)).toBe(-E.EACCES);
    const p = sys('mmap', 0, PAGE, RW, MAP_PRIVATE, ro, 0);
    expect(p).toBeGreaterThan(0);
    expect(sys('msync', p, PAGE, MS_SYNC | MS_ASYNC)).toBe(-E.EINVAL);
    expect(sys('msync', p + 1, PAGE, MS_SYNC)).toBe(-E.EINVAL);
    const hole = sys('mmap', 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect(sys('munmap', hole, PAGE)).toBe(0);
    expect(sys('msync', hole, PAGE, MS_ASYNC)).toBe(-E.ENOMEM);
    expect(sys('msync', 2 ** 47, PAGE, MS_SYNC)).toBe(-E.ENOMEM);
    expect(sys('msync', p, 2 ** 62, MS_SYNC)).toBe(-E.ENOMEM);
    expect(sys('msync', p, PAGE, MS_SYNC)).toBe(0);
    expect(host('r')).toBe('data');
  });
});
