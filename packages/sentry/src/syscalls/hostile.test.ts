// Thousands of random argument vectors against every handler of this area:
// none may throw, and every result must be a valid return (a non-negative
// value or a Linux errno), never NaN, a fraction or a host exception.
import { describe, expect, it } from 'vitest';
import { rng, validResult } from '../testing/hostile.js';
import { call, makeTask, type RawArg } from '../testing/fake-task.js';
import { FUTEX_SYSCALLS } from './futex.js';
import { cancelItimers } from '../kernel/itimer.js';
import { ITIMER_SYSCALLS } from './itimer.js';
import { interruptTask } from '../kernel/park.js';
import { PROCESS_SYSCALLS } from './process.js';
import { SIGNAL_SYSCALLS } from './signal.js';
import { type SyscallSpec, SyscallTable } from '../kernel/syscall-table.js';
import { TIME_SYSCALLS } from './time.js';
import { MISC_SYSCALLS } from './misc.js';

const ALL: readonly SyscallSpec[] = [
  ...PROCESS_SYSCALLS,
  ...TIME_SYSCALLS,
  ...ITIMER_SYSCALLS,
  ...SIGNAL_SYSCALLS,
  ...FUTEX_SYSCALLS,
  ...MISC_SYSCALLS,
];

it('every name is an x86-64 system call, registered once', () => {
  expect(() => new SyscallTable().add(ALL)).not.toThrow();
  expect(new SyscallTable().add(ALL).implemented().length).toBe(ALL.length);
});

describe('hostile arguments', () => {
  it('no handler throws or returns garbage', async () => {
    const next = rng(0x5eed);
    const t = makeTask();
    const mapped = t.mm.alloc(64 << 10);
    const interesting: RawArg[] = [
      0,
      1,
      -1,
      8,
      16,
      24,
      0x7fff_ffff,
      0x8000_0000,
      0xffff_ffff,
      2 ** 47 - 4096,
      2 ** 53,
      -(2 ** 31),
      0xffff_ffff_ffff_ffffn,
      0x8000_0000_0000_0000n,
      mapped,
      mapped + 4,
      mapped + (64 << 10) - 8,
      t.mm.unmapped,
    ];
    const arg = (): RawArg => {
      const k = next() % 4;
      if (k === 0) return interesting[next() % interesting.length]!;
      if (k === 1) return mapped + (next() % (64 << 10));
      if (k === 2) return next() % 64;
      return (BigInt(next()) << 32n) | BigInt(next());
    };
    let calls = 0;
    for (let round = 0; round < 400; round++) {
      for (const [name, , handler] of ALL) {
        if (name === 'exit' || name === 'exit_group') continue;
        // Random memory contents too, so struct fields are hostile as well.
        const junk = new Uint8Array(64);
        for (let i = 0; i < 64; i++) junk[i] = next() & 0xff;
        t.mm.write(mapped + (next() % ((64 << 10) - 64)), junk);
        const args = Array.from({ length: 6 }, arg);
        let r: number | Promise<number>;
        try {
          r = call(t, handler, ...args);
        } catch (e) {
          throw new Error(`${name}(${args.join(', ')}) threw ${String(e)}`);
        }
        if (typeof r !== 'number') {
          // A wait: end it at once and check what it settles to.
          interruptTask(t);
          r = await r;
        }
        if (!validResult(r)) throw new Error(`${name}(${args.join(', ')}) returned ${r}`);
        calls++;
        // A fatal signal ends the task; continue with a fresh one (same memory).
        if (t.exited) t.exitStatus = undefined;
      }
    }
    cancelItimers(t.group);
    expect(calls).toBeGreaterThan(10_000);
    expect(t.fds.limit).toBeLessThanOrEqual(1 << 20);
  });
});
