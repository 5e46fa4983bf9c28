// Hostile uses of processes and threads (issue 8, "Bad input"): the program
// gets what Linux gives (a signal, EPERM, EAGAIN, a woken futex) and the
// host is never harmed. testdata/hostile_procs.c holds each scenario; where
// Linux can run it safely it is compared with a native run, the fork bomb
// and the zombies run only in the sandbox, under a task limit.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Sandbox } from './sandbox.js';
import { compare } from './test-compare.js';
import { program, PROGRAMS_VOLUME } from './test-programs.js';

const noKvm = announceKvmSkip();

async function sameAsNative(mode: string): Promise<string> {
  const { expected, actual, why } = await compare([program('hostile_procs'), mode], { volumes: [PROGRAMS_VOLUME] });
  expect(actual, why).toEqual(expected);
  expect(expected.status).toBe(0);
  return expected.stdout;
}

/** hostile_procs in the sandbox with a task limit. */
const inSandbox = (args: string[], pids: number) =>
  Sandbox.run([program('hostile_procs'), ...args], { volumes: [PROGRAMS_VOLUME], pids, timeoutMs: 300_000 });

describe.skipIf(noKvm)('hostile processes and threads', () => {
  it('a child whose stack is in the kernel half or not canonical dies of a signal; its parent lives', async () => {
    const out = await sameAsNative('clone-stack');
    expect(out).toContain('stack in the ring-0 stub: child SEGV\n');
    expect(out).toContain('stack in the physical-memory map, CLONE_VM: child SEGV\n');
    expect(out).toMatch(/parent alive\n$/);
  });

  it('a TLS base outside the user half is EPERM for clone and arch_prctl', async () => {
    expect(await sameAsNative('tls')).not.toContain('child made');
  });

  it("a thread's exit clears its CLEARTID word and wakes one of the threads waiting there", async () => {
    expect(await sameAsNative('cleartid-exit')).toBe('tid word after exit: 0; the exit woke 1 waiter(s), 2 were left for us\n');
  });

  it('a robust mutex whose owner thread exits while others wait: one EOWNERDEAD, then the lock as usual', async () => {
    expect(await sameAsNative('robust-exit')).toBe('robust mutex of a dead owner: 1 EOWNERDEAD, 2 plain locks\n');
  });

  it('a fork bomb under pids 64 gets EAGAIN, and the sandbox ends cleanly', async () => {
    const r = await inSandbox(['fork-bomb'], 64);
    expect([r.status, r.stdout.toString(), r.timedOut]).toEqual([0, 'fork: EAGAIN\n', false]);
    // The host still runs sandboxes.
    const next = await Sandbox.run(['/bin/busybox', 'echo', 'still here']);
    expect(next.stdout.toString()).toBe('still here\n');
  });

  it('10 000 zombies never waited for: bounded by the task limit (EAGAIN past it), all made under a larger one', async () => {
    const bounded = await inSandbox(['zombies', '10000'], 1000);
    expect([bounded.status, bounded.stdout.toString()]).toEqual([0, 'fork 1000: EAGAIN\n999 zombies made, none waited for\n']);
    const before = process.memoryUsage().rss;
    const all = await inSandbox(['zombies', '10000'], 10_001);
    expect([all.status, all.stdout.toString()]).toEqual([0, '10000 zombies made, none waited for\n']);
    const grewMiB = (process.memoryUsage().rss - before) / 2 ** 20;
    console.log(`host RSS growth over 10 000 zombies: ${grewMiB.toFixed(1)} MiB`);
    expect(grewMiB).toBeLessThan(512);
  }, 300_000);
});
