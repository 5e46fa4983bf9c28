// Sandboxes in worker threads: the caller's event loop runs while guests
// compute, a pool runs at most `concurrency` at once and queues the rest,
// limits and files work across the thread boundary, and a worker that ends
// ends its sandboxes with an error instead of leaving them waiting.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Sandbox, type SandboxOptions } from './sandbox.js';
import { SandboxPool } from './sandbox-pool.js';
import { program, PROGRAMS_VOLUME } from './test-programs.js';

const withPrograms = (o: SandboxOptions = {}): SandboxOptions => ({ ...o, volumes: [PROGRAMS_VOLUME] });

describe('SandboxPool', () => {
  it('defaults to one sandbox at a time per core, and refuses a bound that is not a positive integer', () => {
    const pool = new SandboxPool({ concurrency: 3, threads: 2 });
    expect([pool.concurrency, pool.threads, pool.running, pool.queued]).toEqual([3, 2, 0, 0]);
    expect(SandboxPool.default.concurrency).toBeGreaterThanOrEqual(1);
    expect(() => new SandboxPool({ concurrency: 0 })).toThrow(/concurrency must be a positive integer/);
    expect(() => new SandboxPool({ threads: 1.5 })).toThrow(/threads must be a positive integer/);
  });
});

describe.skipIf(announceKvmSkip())('sandboxes in worker threads', () => {
  it('runs in a process started with Node options a worker thread refuses (--expose-gc, --input-type)', () => {
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const script = `import { Sandbox } from '${dist}'; const r = await Sandbox.run(['/bin/true']); console.log('status ' + r.status); process.exit(0);`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('status 0\n');
  });

  it('forwards output gathered: fewer messages than writes, every byte, in the order written across both streams', async () => {
    const N = 5000;
    const got: string[] = [];
    let calls = 0;
    const take = (fd: number) => (bytes: Uint8Array) => {
      calls++;
      got.push(
        ...Buffer.from(bytes)
          .toString()
          .trimEnd()
          .split('\n')
          .map((line) => `${fd}:${line}`),
      );
    };
    const r = await Sandbox.run([program('lines'), `${N}`, '1000'], withPrograms({ stdout: take(1), stderr: take(2) }));
    expect(r.status).toBe(0);
    expect(got).toEqual(Array.from({ length: N }, (_, i) => `${(i + 1) % 1000 === 0 ? 2 : 1}:${i + 1}`));
    // A message per run slice, not per write (several writes fit in a slice however loaded the machine).
    expect(calls).toBeLessThan(N / 2);
  });

  it("keeps the caller's event loop turning while guests compute", async () => {
    const spins = [0, 1].map(() => Sandbox.run([program('spin')], withPrograms({ timeoutMs: 1000 })));
    let turns = 0;
    let done = false;
    const all = Promise.all(spins).finally(() => {
      done = true;
    });
    // One turn of the event loop per callback. On the guests' thread a turn could only
    // come between two of their exits (at most one per preemption tick).
    await new Promise<void>((resolve) => {
      const turn = () => {
        turns++;
        if (done) resolve();
        else setImmediate(turn);
      };
      setImmediate(turn);
    });
    const results = await all;
    expect(results.map((r) => r.verdict)).toEqual(['wall-timeout', 'wall-timeout']);
    const exits = results.reduce(
      (n, r) => n + r.stats.exits.interrupt + r.stats.exits.syscall + r.stats.exits.fault + r.stats.exits.other,
      0,
    );
    expect(turns).toBeGreaterThan(10 * exits);
  });

  it('runs at most `concurrency` sandboxes at once, queues the others in order, and runs them all', async () => {
    const pool = new SandboxPool({ concurrency: 2 });
    const inputs = [0, 1, 2, 3, 4].map(() => new PassThrough());
    const sandboxes = inputs.map((stdin) => new Sandbox([program('cat_stdin')], withPrograms({ stdin, pool })));
    const booted: number[] = [];
    const started = sandboxes.map((s, i) => s.start().then(() => booted.push(i)));
    expect([pool.running, pool.queued]).toEqual([2, 3]);
    const results = sandboxes.map((s) => s.wait());
    await Promise.all(started.slice(0, 2));
    // Each program waits on its input until it is ended: a queued sandbox starts only
    // when one of the two running ends, and the first queued is the first to start.
    for (const next of [2, 3, 4]) {
      inputs[next - 2]!.end(`input ${next - 2}\n`);
      await started[next];
      expect([booted.length, booted.at(-1)]).toEqual([next + 1, next]);
      expect(pool.running).toBe(2);
    }
    inputs[3]!.end('input 3\n');
    inputs[4]!.end('input 4\n');
    const out = await Promise.all(results);
    expect(out.map((r) => [r.status, r.stdout.toString()])).toEqual(inputs.map((_, i) => [0, `input ${i}\n`]));
    expect([pool.running, pool.queued]).toEqual([0, 0]);
    await pool.close();
  });

  it.skipIf(!existsSync('/bin/busybox'))('brings stdout and stderr across in the order the program wrote them, none lost', async () => {
    const arrived: string[] = [];
    const script = 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo out$i; echo err$i >&2; done';
    const r = await Sandbox.run(['/bin/busybox', 'sh', '-c', script], {
      stdout: (b) => arrived.push(Buffer.from(b).toString()),
      stderr: (b) => arrived.push(Buffer.from(b).toString()),
    });
    expect(r.status).toBe(0);
    const expected = Array.from({ length: 300 }, (_, i) => `out${i + 1}\nerr${i + 1}\n`).join('');
    expect(arrived.join('')).toBe(expected);
  });

  it('reports the verdict of a guest a limit killed inside its worker', async () => {
    const r = await Sandbox.run([program('spin')], withPrograms({ cpuTimeMs: 200 }));
    expect([r.signal, r.limit, r.verdict]).toEqual([24, 'cpuTimeMs', 'cpu-timeout']);
  });

  it("reads a result's files from its worker, also while that worker runs another guest", async () => {
    const pool = new SandboxPool({ concurrency: 2, threads: 1 });
    const r = await Sandbox.run([program('echo_args')], withPrograms({ pool, files: { '/in/data.txt': 'placed\n' } }));
    expect(r.readFile('/in/data.txt')?.toString()).toBe('placed\n');
    const spin = new Sandbox([program('spin')], withPrograms({ pool }));
    await spin.start();
    const spinning = spin.wait();
    expect(r.readFile('/in/data.txt')?.toString()).toBe('placed\n');
    expect(r.readFile('/in/missing')).toBeUndefined();
    r.dispose();
    expect(r.readFile('/in/data.txt')).toBeUndefined();
    spin.kill();
    expect((await spinning).verdict).toBe('killed');
    await pool.close();
  });

  it("gives a sandbox none of the last one's memory, though a worker reuses guest memory from VM to VM", async () => {
    // One worker, which prepares each VM on the memory of the last one that ended
    // (prepared-vm.ts): from the third sandbox on, every one runs in memory a fill left.
    const pool = new SandboxPool({ concurrency: 1, threads: 1 });
    const residue = program('memory_residue');
    for (let i = 0; i < 3; i++) {
      const fill = await Sandbox.run([residue, 'fill'], withPrograms({ pool }));
      expect(fill.stdout.toString()).toBe('filled\n');
      await new Promise((r) => setTimeout(r, 100)); // the worker prepares the next VM
      const scan = await Sandbox.run([residue, 'scan'], withPrograms({ pool }));
      expect(scan.stdout.toString(), `scan ${i}`).toBe('heap bytes not zero: 0, stack: clean\n');
      await new Promise((r) => setTimeout(r, 100));
    }
    await pool.close();
  });

  it('ends the sandboxes of a worker that ends with an error, queued ones too; nothing waits forever', async () => {
    const pool = new SandboxPool({ concurrency: 1 });
    const running = new Sandbox([program('spin')], withPrograms({ pool }));
    await running.start();
    const result = running.wait();
    const queued = Sandbox.run([program('echo_args')], withPrograms({ pool }));
    expect(pool.queued).toBe(1);
    const ended = [
      expect(result).rejects.toMatchObject({ status: 125, message: expect.stringMatching(/^internal error: the worker thread/) }),
      expect(queued).rejects.toMatchObject({ status: 125, message: 'the sandbox pool is closed' }),
    ];
    await pool.close();
    await Promise.all(ended);
  });
});
