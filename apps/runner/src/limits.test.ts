// The limits a judge sets and the report it reads: each limit ends the run
// with its verdict, killing every process, and the report's figures match
// what the program did (asserted in ranges wide enough for a noisy machine).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { checkLimits } from './limits.js';
import { Sandbox, type SandboxOptions } from './sandbox.js';
import { program, PROGRAMS_VOLUME } from './test-programs.js';

const withPrograms = (o: SandboxOptions = {}): SandboxOptions => ({ ...o, volumes: [PROGRAMS_VOLUME] });
const MiB = 1 << 20;
const TSV = fileURLToPath(new URL('../bin/tsv', import.meta.url));

describe('checkLimits', () => {
  it('turns sizes into bytes and names an invalid option', () => {
    expect(checkLimits({ memory: '64M', maxOutput: '1k', fileSize: 10 })).toMatchObject({
      memory: 64 * MiB,
      maxOutput: 1024,
      fileSize: 10,
    });
    expect(() => checkLimits({ cpuTimeMs: 0 })).toThrow(/^invalid cpuTimeMs: 0/);
    expect(() => checkLimits({ openFiles: 1 << 20 })).toThrow(/^invalid openFiles/);
    expect(() => checkLimits({ maxOutput: 'lots' })).toThrow(/^invalid maxOutput: lots/);
    expect(() => checkLimits({ memory: '100k' })).toThrow(/^invalid memory/);
  });
});

describe.skipIf(announceKvmSkip())('limits and the report', () => {
  it('reports what a program did: 1 s of CPU, 64 MiB touched, exit 0 is ok', async () => {
    const r = await Sandbox.run([program('burn'), '1000', '64'], withPrograms());
    expect([r.exitCode, r.signal, r.limit, r.verdict]).toEqual([0, null, null, 'ok']);
    const cpu = r.cpuTimeMs.user + r.cpuTimeMs.system;
    expect(cpu).toBeGreaterThanOrEqual(900);
    expect(cpu).toBeLessThan(4000);
    expect(r.cpuTimeMs.user).toBeGreaterThan(r.cpuTimeMs.system);
    expect(r.wallTimeMs).toBeGreaterThanOrEqual(cpu - 50);
    expect(r.maxRssBytes).toBeGreaterThanOrEqual(64 * MiB);
    expect(r.maxRssBytes).toBeLessThan(128 * MiB);
  });

  it('names how a program ended on its own: nonzero-exit, signaled; and killed by kill()', async () => {
    const bad = await Sandbox.run([program('echo_args'), '3'], withPrograms());
    expect([bad.status, bad.limit, bad.verdict]).toEqual([3, null, 'nonzero-exit']);
    const crash = await Sandbox.run([program('crash')], withPrograms());
    expect([crash.signal, crash.verdict]).toEqual([11, 'signaled']);
    const s = new Sandbox([program('spin')], withPrograms());
    await s.start();
    setTimeout(() => s.kill(), 100);
    const k = await s.wait();
    expect([k.signal, k.limit, k.verdict]).toEqual([9, null, 'killed']);
  });

  it('wall time: the sandbox is killed at timeoutMs', async () => {
    const r = await Sandbox.run([program('spin_procs'), '2'], withPrograms({ timeoutMs: 300 }));
    expect([r.signal, r.limit, r.verdict, r.timedOut]).toEqual([9, 'timeoutMs', 'wall-timeout', true]);
  });

  it('CPU time counts every process: SIGXCPU ends them all at the limit', async () => {
    const r = await Sandbox.run([program('spin_procs'), '2'], withPrograms({ cpuTimeMs: 300 }));
    expect([r.signal, r.limit, r.verdict]).toEqual([24, 'cpuTimeMs', 'cpu-timeout']);
    const cpu = r.cpuTimeMs.user + r.cpuTimeMs.system;
    expect(cpu).toBeGreaterThanOrEqual(300);
    expect(cpu).toBeLessThan(1300); // SIGXCPU ended it, not the SIGKILL a second later
  });

  it('CPU time: a sandbox whose processes ignore SIGXCPU is killed whole a second of CPU later', async () => {
    const r = await Sandbox.run([program('spin_procs'), '2', 'ignore'], withPrograms({ cpuTimeMs: 200 }));
    expect([r.signal, r.limit, r.verdict]).toEqual([9, 'cpuTimeMs', 'cpu-timeout']);
    expect(r.cpuTimeMs.user + r.cpuTimeMs.system).toBeGreaterThanOrEqual(1200);
  });

  it('memory: a program that touches more than its limit is killed; verdict memory-limit', async () => {
    const r = await Sandbox.run([program('mem_hog')], withPrograms({ memory: '32M' }));
    expect([r.signal, r.limit, r.verdict]).toEqual([9, 'memory', 'memory-limit']);
    expect(r.maxRssBytes).toBeGreaterThan(16 * MiB);
    expect(r.maxRssBytes).toBeLessThanOrEqual(32 * MiB);
    expect(r.diagnostics.join('\n')).toMatch(/out of memory/);
  });

  it('output: stdout and stderr together are cut at maxOutput and the sandbox killed, the output kept', async () => {
    const r = await Sandbox.run([program('flood')], withPrograms({ maxOutput: 100_000 }));
    expect([r.signal, r.limit, r.verdict]).toEqual([9, 'maxOutput', 'output-limit']);
    expect(r.stdout.length).toBe(100_000);
    const both = await Sandbox.run([program('echo_args'), '0'], withPrograms({ maxOutput: 60 }));
    expect(both.verdict).toBe('output-limit');
    expect(both.stdout.length + both.stderr.length).toBe(60);
    const under = await Sandbox.run([program('echo_args'), '0'], withPrograms({ maxOutput: 1000 }));
    expect(under.verdict).toBe('ok');
  });

  it('maxBuffer overflowing is an output limit too', async () => {
    const r = await Sandbox.run([program('flood')], withPrograms({ maxBuffer: MiB }));
    expect([r.maxBufferExceeded, r.limit, r.verdict]).toEqual([true, 'maxOutput', 'output-limit']);
  });

  it('stack is RLIMIT_STACK from the first instruction: the stack grows to it, and past it the program gets SIGSEGV', async () => {
    const small = await Sandbox.run([program('deep_stack'), '4096'], withPrograms({ stack: '1M' }));
    expect([small.stdout.toString(), small.signal, small.verdict]).toEqual(['1024\n', 11, 'signaled']);
    const large = await Sandbox.run([program('deep_stack'), '32768'], withPrograms({ stack: '64M' }));
    expect([large.stdout.toString(), large.status, large.verdict]).toEqual(['65536\n', 0, 'ok']);
    const cli = spawnSync(process.execPath, [TSV, 'run', '--stack', '1M', '--volume', PROGRAMS_VOLUME, program('deep_stack'), '512']);
    expect([cli.status, cli.stdout.toString()]).toEqual([0, '1024\n']);
  });

  it.skipIf(!existsSync('/bin/busybox'))('fileSize is RLIMIT_FSIZE: a larger write gets SIGXFSZ; openFiles is RLIMIT_NOFILE', async () => {
    const dd = await Sandbox.run(['/bin/busybox', 'dd', 'if=/dev/zero', 'of=/tmp/f', 'bs=1024', 'count=100'], { fileSize: '10k' });
    expect([dd.signal, dd.limit, dd.verdict]).toEqual([25, 'fileSize', 'signaled']);
    const ulimit = await Sandbox.run(['/bin/busybox', 'sh', '-c', 'ulimit -f; ulimit -n; ulimit -Hn'], {
      fileSize: 10 * 512,
      openFiles: 20,
    });
    expect(ulimit.stdout.toString()).toBe('10\n20\n20\n');
  });
});
