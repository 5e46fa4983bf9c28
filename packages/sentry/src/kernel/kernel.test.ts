// The run loop's contract: a system call handler never takes the host down.
// A handler that throws, or whose promise rejects, is a Sentry bug: the
// guest gets EIO, the user gets a warning, and the program runs on.
import { type AddressSpace, type Context, type FpuState, Reg, Registers, Stop } from '@tsv/platform';
import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { MemoryInvariantError } from '../mm/frames.js';
import { SyscallTable } from './syscall-table.js';
import { fakePlatform } from '../testing/fake-task.js';
import { Vfs } from '../vfs/index.js';
import { Kernel, OUT_OF_RANGE } from './kernel.js';
import { Task, type TaskMemory } from './task.js';
import { WARN_BURST } from './warnings.js';

const NR = { getpid: 39, getppid: 110, gettid: 186, exit_group: 231 };

/** A context that plays a script of system calls and records what the guest got back in rax. */
function scriptedContext(script: number[], results: number[]): Context {
  let last: Registers | undefined;
  return {
    switch(_as, regs) {
      if (last !== undefined) results.push(regs.getSigned(Reg.rax));
      last = regs;
      regs.set(Reg.orig_rax, script.shift() ?? NR.exit_group);
      return Stop.Syscall;
    },
    fault: { vector: 0, signal: 0, address: 0, access: 0, protection: false, errorCode: 0 },
    interrupt() {},
    setPreemption() {},
    newFpuState: () => ({ bytes: new Uint8Array(512) }),
    saveFpu() {},
    dropFpu() {},
    pause() {},
    release() {},
  };
}

const memory: TaskMemory = {
  addressSpace: {} as AddressSpace,
  copyIn: () => -E.EFAULT,
  copyOut: () => -E.EFAULT,
  readCString: () => -E.EFAULT,
  handleFault: () => -E.EFAULT,
};

function newTask(kernel: Kernel, vfs: Vfs): Task {
  return new Task({
    kernel,
    tid: kernel.allocateTid(),
    regs: new Registers(),
    fpu: kernel.newFpuState(),
    mm: memory,
    fs: { root: vfs.root, cwd: vfs.root, umask: 0o022 },
    creds: { uid: 0, euid: 0, suid: 0, gid: 0, egid: 0, sgid: 0, groups: [] },
    comm: 't',
    exePath: '/t',
  });
}

const exitGroup = [
  'exit_group',
  ['int'],
  (t: Task) => {
    t.exit({ code: 3 });
    return 0;
  },
] as const;

describe('Kernel.run', () => {
  it('turns a throwing or rejecting handler into EIO and a warning, and runs on', async () => {
    const results: number[] = [];
    const warnings: string[] = [];
    const platform = { ...fakePlatform(), newContext: () => scriptedContext([NR.getpid, NR.getppid, NR.gettid], results) };
    const table = new SyscallTable().add([
      [
        'getpid',
        [],
        () => {
          throw new Error('a bug');
        },
      ],
      ['getppid', [], () => Promise.reject(new Error('an async bug'))],
      ['gettid', [], () => 7],
      exitGroup,
    ]);
    const vfs = new Vfs({ dev: false });
    const kernel = new Kernel({ platform, vfs, table, warn: (l) => warnings.push(l) });
    await expect(kernel.run(newTask(kernel, vfs))).resolves.toEqual({ code: 3 });
    expect(results).toEqual([-E.EIO, -E.EIO, 7]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^tsv: internal error in getpid: Error: a bug/);
    expect(warnings[1]).toMatch(/^tsv: internal error in getppid: Error: an async bug/);
    expect(kernel.stats.syscalls.get('getpid')).toBe(1);
  });

  it("tells the platform which FPU states will not run again: one replaced, and an exited task's", async () => {
    const dropped: FpuState[] = [];
    const platform = {
      ...fakePlatform(),
      newContext: () => ({ ...scriptedContext([NR.getpid], []), dropFpu: (f: FpuState) => dropped.push(f) }),
    };
    const table = new SyscallTable().add([
      [
        'getpid',
        [],
        (t: Task) => {
          t.setFpu(t.fpu); // the same state: nothing to drop
          t.setFpu({ bytes: new Uint8Array(512) });
          return 1;
        },
      ],
      exitGroup,
    ]);
    const vfs = new Vfs({ dev: false });
    const kernel = new Kernel({ platform, vfs, table });
    const task = newTask(kernel, vfs);
    const first = task.fpu;
    await expect(kernel.run(task)).resolves.toEqual({ code: 3 });
    expect(dropped).toEqual([first, task.fpu]);
    expect(dropped[1]).not.toBe(first);
  });

  it('ends the run on a broken memory invariant (checkMemory), synchronous or not, instead of answering EIO', async () => {
    for (const fail of [
      () => {
        throw new MemoryInvariantError('test');
      },
      () => Promise.reject(new MemoryInvariantError('test')),
    ]) {
      const results: number[] = [];
      const platform = { ...fakePlatform(), newContext: () => scriptedContext([NR.gettid, NR.getpid, NR.gettid], results) };
      const table = new SyscallTable().add([['getpid', [], fail], ['gettid', [], () => 7], exitGroup]);
      const vfs = new Vfs({ dev: false });
      const kernel = new Kernel({ platform, vfs, table });
      await expect(kernel.run(newTask(kernel, vfs))).rejects.toThrow(/memory invariant broken: test/);
      expect(results).toEqual([7]); // nothing ran after it
    }
  });

  it('keeps what a guest can repeat bounded: unimplemented numbers past the table, warnings of one kind', async () => {
    const results: number[] = [];
    const warnings: string[] = [];
    const script: number[] = [];
    // A call whose handler fails (a warning each time) and a different bogus number, 3000 times.
    for (let i = 0; i < 3000; i++) script.push(NR.getpid, 2 ** 32 + i * 1_000_003);
    const platform = { ...fakePlatform(), newContext: () => scriptedContext(script, results) };
    const table = new SyscallTable().add([
      [
        'getpid',
        [],
        () => {
          throw new Error('a repeated bug');
        },
      ],
      exitGroup,
    ]);
    const vfs = new Vfs({ dev: false });
    const kernel = new Kernel({ platform, vfs, table, warn: (l) => warnings.push(l) });
    await expect(kernel.run(newTask(kernel, vfs))).resolves.toEqual({ code: 3 });
    expect(results.filter((r) => r === -E.ENOSYS)).toHaveLength(3000);
    expect([...kernel.stats.unimplemented]).toEqual([[OUT_OF_RANGE, 3000]]);
    expect(warnings.filter((l) => l.includes('out of range'))).toHaveLength(1);
    const bugs = warnings.filter((l) => l.includes('a repeated bug'));
    expect(bugs).toHaveLength(WARN_BURST);
    expect(warnings).toHaveLength(WARN_BURST + 2);
    expect(warnings.at(-1)).toMatch(/^tsv: more internal-error warnings than \d+: suppressing the rest$/);
  });
});
