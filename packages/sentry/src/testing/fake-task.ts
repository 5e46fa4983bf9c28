// Test fixtures for system-call handlers without a guest: FakeMemory (a
// UserMemory over one ArrayBuffer where only chosen ranges are mapped) and
// makeTask(), a Task on a kernel whose platform is a stub. call() runs a
// handler with raw argument registers, as the dispatcher would.
import { type AddressSpace, type Context, FRAME_INVALID, type FpuState, type Platform, Registers, SYSCALL_ARGS } from '@tsv/platform';
import { E } from '../errno.js';
import { SyscallArgs } from '../kernel/args.js';
import { Kernel } from '../kernel/kernel.js';
import { type Credentials, Task, type TaskMemory } from '../kernel/task.js';
import { FAULT_MAPERR } from '../mm/pager.js';
import { SyscallTable } from '../kernel/syscall-table.js';
import type { SyscallHandler, SyscallSpec } from '../kernel/syscall-table.js';
import { Vfs } from '../vfs/index.js';

const PAGE = 4096;

/**
 * Guest memory for tests: [base, base + size) is backed by one buffer, but
 * only pages passed to map() (or handed out by alloc()) are accessible;
 * everything else is -EFAULT, as an unmapped page would be.
 */
export class FakeMemory implements TaskMemory {
  readonly base: number;
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Per page: 0 unmapped, 1 read-only, 2 read-write. */
  readonly #pages: Uint8Array;
  #next: number;

  constructor(base = 0x10_0000, size = 4 << 20) {
    this.base = base;
    this.size = size;
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.#pages = new Uint8Array(Math.ceil(size / PAGE));
    this.#next = base;
  }

  get addressSpace(): AddressSpace {
    throw new Error('FakeMemory has no address space: it cannot run a guest');
  }

  handleFault(): number {
    return FAULT_MAPERR;
  }

  /** Makes the pages covering [addr, addr + len) accessible. */
  map(addr: number, len: number, writable = true): void {
    this.#setPages(addr, len, writable ? 2 : 1);
  }

  unmap(addr: number, len: number): void {
    this.#setPages(addr, len, 0);
  }

  /**
   * `len` bytes of fresh mapped memory, followed by an unmapped guard page:
   * a read or write one byte past the end faults. Returns the address of the
   * block, placed so that it ends exactly at the guard page.
   */
  alloc(len: number, writable = true): number {
    const pages = Math.max(1, Math.ceil(len / PAGE));
    const start = this.#next;
    if (start + (pages + 1) * PAGE > this.base + this.size) throw new RangeError('FakeMemory: out of space');
    this.#next = start + (pages + 1) * PAGE;
    this.map(start, pages * PAGE, writable);
    return start + pages * PAGE - len;
  }

  /** An address that is never mapped. */
  get unmapped(): number {
    return this.base + this.size + PAGE;
  }

  /** Writes bytes without permission checks (test set-up). */
  write(addr: number, data: Uint8Array | string): void {
    const b = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.bytes.set(b, this.#offset(addr, b.length));
  }

  /** Reads bytes without permission checks (test assertions). */
  read(addr: number, len: number): Uint8Array {
    const o = this.#offset(addr, len);
    return this.bytes.slice(o, o + len);
  }

  /** A DataView at guest `addr` (little-endian accessors with `true`). */
  dv(addr: number, len = this.base + this.size - addr): DataView {
    return new DataView(this.bytes.buffer, this.#offset(addr, len), len);
  }

  copyIn(addr: number, dst: Uint8Array, len = dst.length): number {
    if (!this.#accessible(addr, len, 1)) return -E.EFAULT;
    const o = addr - this.base;
    dst.set(this.bytes.subarray(o, o + len));
    return 0;
  }

  copyOut(addr: number, src: Uint8Array): number {
    if (!this.#accessible(addr, src.length, 2)) return -E.EFAULT;
    if (src.length > 0) this.bytes.set(src, addr - this.base); // an empty copy is fine at any address
    return 0;
  }

  readCString(addr: number, max: number): Uint8Array | number {
    for (let i = 0; ; i++) {
      if (i >= max) return -E.ENAMETOOLONG;
      if (!this.#accessible(addr + i, 1, 1)) return -E.EFAULT;
      if (this.bytes[addr + i - this.base] === 0) return this.bytes.slice(addr - this.base, addr - this.base + i);
    }
  }

  #accessible(addr: number, len: number, need: number): boolean {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || len < 0) return false;
    if (len === 0) return true;
    if (addr < this.base || addr + len > this.base + this.size) return false;
    const first = Math.floor((addr - this.base) / PAGE);
    const last = Math.floor((addr + len - 1 - this.base) / PAGE);
    for (let p = first; p <= last; p++) if (this.#pages[p]! < need) return false;
    return true;
  }

  #setPages(addr: number, len: number, state: number): void {
    const o = this.#offset(addr, len);
    this.#pages.fill(state, Math.floor(o / PAGE), Math.ceil((o + len) / PAGE));
  }

  #offset(addr: number, len: number): number {
    const o = addr - this.base;
    if (o < 0 || len < 0 || o + len > this.size) throw new RangeError(`FakeMemory: 0x${addr.toString(16)}+${len} is outside the fake`);
    return o;
  }
}

const fakeContext: Context = {
  switch: () => {
    throw new Error('fake platform: cannot run a guest');
  },
  fault: { vector: 0, signal: 0, address: 0, access: 0, protection: false, errorCode: 0 },
  interrupt: () => {},
  setPreemption: () => {},
  newFpuState: (): FpuState => ({ bytes: new Uint8Array(512) }),
  saveFpu: () => {},
  dropFpu: () => {},
  pause: () => {},
  release: () => {},
};

/** A platform that only answers questions (memory size, address range); it cannot run anything. */
export function fakePlatform(memoryBytes = 256 << 20): Platform {
  return {
    name: 'fake',
    memory: {
      bytes: new Uint8Array(0),
      view: new DataView(new ArrayBuffer(0)),
      capacity: memoryBytes,
      used: 0,
      allocate: () => -1,
      free: () => {},
      frameKind: () => FRAME_INVALID,
    },
    minUserAddress: 0x1000,
    maxUserAddress: 2 ** 47 - 0x1000,
    newAddressSpace: () => {
      throw new Error('fake platform: no address spaces');
    },
    newContext: () => fakeContext,
    stats: { exits: { syscall: 0, fault: 0, interrupt: 0, other: 0 }, hostNs: 0 },
    close: () => {},
  };
}

export interface MakeTaskOptions {
  mem?: FakeMemory;
  vfs?: Vfs;
  creds?: Partial<Credentials>;
  platform?: Platform;
  /** Kernel warnings land here. */
  warnings?: string[];
}

/** A Task whose memory is a FakeMemory. */
export type FakeTask = Task & { readonly mm: FakeMemory };

/** A task on a fresh kernel with a stub platform; by default root (uid 0) and a VFS over an in-memory overlay of the host root. */
export function makeTask(opts: MakeTaskOptions = {}): FakeTask {
  const warnings = opts.warnings;
  const vfs = opts.vfs ?? new Vfs({ dev: false });
  const kernel = new Kernel({
    platform: opts.platform ?? fakePlatform(),
    vfs,
    table: new SyscallTable(),
    warn: warnings === undefined ? undefined : (line) => warnings.push(line),
  });
  const c = opts.creds ?? {};
  const uid = c.uid ?? 0;
  const gid = c.gid ?? 0;
  const creds: Credentials = {
    uid,
    euid: c.euid ?? uid,
    suid: c.suid ?? uid,
    gid,
    egid: c.egid ?? gid,
    sgid: c.sgid ?? gid,
    groups: c.groups ?? [],
  };
  const t = new Task({
    kernel,
    tid: kernel.allocateTid(),
    regs: new Registers(),
    fpu: kernel.newFpuState(),
    mm: opts.mem ?? new FakeMemory(),
    fs: { root: vfs.root, cwd: vfs.root, umask: 0o022 },
    creds,
    comm: 'test',
    exePath: '/test',
  });
  kernel.pids.add(t);
  return t as FakeTask;
}

/** Arguments for call(): numbers (any integer from -2^63 to 2^64) or bigints (raw 64-bit). */
export type RawArg = number | bigint;

/** Runs `handler` with the raw argument registers `args`, as the dispatcher does. */
export function call(t: Task, handler: SyscallHandler, ...args: RawArg[]): number | Promise<number> {
  const regs = new Registers();
  args.forEach((v, i) => {
    if (typeof v === 'bigint') regs.setBig(SYSCALL_ARGS[i]!, v);
    else regs.set(SYSCALL_ARGS[i]!, v);
  });
  return handler(t, new SyscallArgs(regs));
}

/** The handler registered under `name` in `specs` (throws when absent: a test bug). */
export function handlerOf(specs: readonly SyscallSpec[], name: string): SyscallHandler {
  const s = specs.find((x) => x[0] === name);
  if (s === undefined) throw new Error(`no handler for ${name}`);
  return s[2];
}
