// Shared set-up for the file system call tests: a task whose root is a
// fresh temporary host directory (under the VFS's in-memory overlay), and
// shorthands to place strings and buffers in its fake memory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { call, type FakeTask, makeTask, type RawArg, handlerOf } from '../../testing/fake-task.js';
import { Vfs, type VfsOptions } from '../../vfs/index.js';
import { FS_SYSCALLS } from './index.js';

export interface Env {
  t: FakeTask;
  /** The host directory shown as "/". */
  dir: string;
  /** Runs the named handler with raw arguments (synchronous result, or a promise when it waits). */
  sys(name: string, ...args: RawArg[]): number | Promise<number>;
  /** Runs a handler that must not wait. */
  now(name: string, ...args: RawArg[]): number;
  /** A NUL-terminated copy of `s` in mapped memory. */
  str(s: string | Uint8Array): number;
  /** `len` bytes of mapped memory (ending at a guard page), optionally filled. */
  buf(len: number, fill?: Uint8Array | string): number;
  /** Bytes at `addr`. */
  bytes(addr: number, len: number): Uint8Array;
  text(addr: number, len: number): string;
  cleanup(): void;
}

/** `files` maps host paths below the root to contents; names ending in "/" are directories. */
export function setup(files: Record<string, string> = {}, opts: VfsOptions = {}): Env {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-fs-'));
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    if (name.endsWith('/')) fs.mkdirSync(p, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
    }
  }
  const t = makeTask({ vfs: new Vfs({ root: dir, dev: false, ...opts }) });
  const mem = t.mm;
  const env: Env = {
    t,
    dir,
    sys: (name, ...args) => call(t, handlerOf(FS_SYSCALLS, name), ...args),
    now: (name, ...args) => {
      const r = env.sys(name, ...args);
      if (typeof r !== 'number') throw new Error(`${name} waited`);
      return r;
    },
    str: (s) => {
      const b = typeof s === 'string' ? new TextEncoder().encode(s) : s;
      const a = mem.alloc(b.length + 1);
      mem.write(a, b);
      mem.write(a + b.length, new Uint8Array(1));
      return a;
    },
    buf: (len, fill) => {
      const a = mem.alloc(len);
      if (fill !== undefined) mem.write(a, fill);
      return a;
    },
    bytes: (addr, len) => mem.read(addr, len),
    text: (addr, len) => Buffer.from(mem.read(addr, len)).toString('latin1'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  return env;
}

/** An iovec array in memory for `segs` ([address, length] pairs). */
export function iovecs(env: Env, segs: [number, number][]): number {
  const b = new Uint8Array(segs.length * 16);
  const v = new DataView(b.buffer);
  segs.forEach(([base, len], i) => {
    v.setBigUint64(i * 16, BigInt(base), true);
    v.setBigUint64(i * 16 + 8, BigInt(len), true);
  });
  return env.buf(b.length, b);
}

/** pipe2(fds, 0) in `e`: the read and write ends. */
export function pipe(e: Env): [number, number] {
  const p = e.buf(8);
  if (e.now('pipe2', p, 0) !== 0) throw new Error('pipe2 failed');
  const v = new DataView(e.bytes(p, 8).buffer);
  return [v.getInt32(0, true), v.getInt32(4, true)];
}

export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
};
export const AT_FDCWD = -100;
