import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Sandbox, SandboxError, type SandboxOptions } from './sandbox.js';
import { program, PROGRAMS_DIR, PROGRAMS_VOLUME } from './test-programs.js';

/** `o` with the test programs' directory bound: the default root hides the host's temp dir. */
const withPrograms = (o: SandboxOptions = {}): SandboxOptions => ({ ...o, volumes: [PROGRAMS_VOLUME, ...(o.volumes ?? [])] });

describe.skipIf(announceKvmSkip())('Sandbox', () => {
  it('runs a static program: arguments, environment, exit status, both streams', async () => {
    const r = await Sandbox.run([program('echo_args'), '42', 'two words'], withPrograms({ env: { TSV_TEST: 'yes' } }));
    expect(r.exitCode).toBe(42);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(42);
    expect(r.stdout.toString()).toBe(`arg0=${program('echo_args')}\narg1=42\narg2=two words\nTSV_TEST=yes\n`);
    expect(r.stderr.toString()).toBe('to stderr\n');
    expect(r.stats.exits.syscall).toBeGreaterThan(0);
    expect(r.stats.syscalls.get('write')).toBe(2); // stdout is not a terminal: stdio writes it once, at exit
  });

  it("gives tsv's diagnostics as the result's diagnostics and events, never in the program's streams", async () => {
    const s = new Sandbox([program('unimplemented')], withPrograms());
    const events: string[] = [];
    s.on('diagnostic', (line) => events.push(line));
    const r = await s.wait();
    expect([r.status, r.stdout.toString(), r.stderr.toString()]).toEqual([0, 'syscall 400 = -1\n', 'to stderr\n']);
    expect(r.diagnostics).toEqual(events);
    expect(r.diagnostics.join('\n')).toMatch(/^tsv: unimplemented system call .*\(400\)/);
  });

  it('feeds stdin from a string, bytes or a stream', async () => {
    const exe = program('cat_stdin');
    const a = await Sandbox.run([exe], withPrograms({ stdin: 'hello\n' }));
    expect([a.status, a.stdout.toString(), a.stderr.toString()]).toEqual([0, 'hello\n', '6 bytes\n']);
    const big = Buffer.alloc(300_000, 'x');
    const b = await Sandbox.run([exe], withPrograms({ stdin: Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]) }));
    expect(b.stdout.equals(big)).toBe(true);
    const c = await Sandbox.run([exe], withPrograms());
    expect(c.stdout.length).toBe(0); // no stdin: EOF at once
  });

  it('gives the program the credentials asked for, supplementary groups sorted as setgroups keeps them', async () => {
    const r = await Sandbox.run(['/bin/busybox', 'id', '-G'], { uid: 1000, gid: 100, groups: [27, 5] });
    expect([r.status, r.stdout.toString()]).toEqual([0, '100 5 27\n']);
    await expect(Sandbox.run(['/bin/busybox', 'true'], { groups: [-1] })).rejects.toThrow(/supplementary groups/);
  });

  it('kills a program whose page tables outgrow its memory, as the OOM killer does', async () => {
    const warnings: string[] = [];
    const r = await Sandbox.run([program('table_hog')], withPrograms({ memory: '8M', warn: (m) => warnings.push(m) }));
    expect(r.stdout.toString()).toBe('started\n');
    expect(r.signal).toBe(9);
    expect(warnings.join('\n')).toMatch(/out of memory/);
  });

  it('keeps output written just before a crash and reports the signal', async () => {
    const r = await Sandbox.run([program('crash')], withPrograms());
    expect(r.stdout.toString()).toBe('before\n');
    expect(r.signal).toBe(11);
    expect(r.exitCode).toBeNull();
    expect(r.status).toBe(139);
  });

  it('kills a program at its timeout, and on kill()', async () => {
    const r = await Sandbox.run([program('spin')], withPrograms({ timeoutMs: 300 }));
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe(9);
    // Parked in a read of a stdin that never ends: the timeout still ends it.
    const parked = await Sandbox.run([program('cat_stdin')], withPrograms({ stdin: new PassThrough(), timeoutMs: 300 }));
    expect([parked.timedOut, parked.signal]).toEqual([true, 9]);
    const s = new Sandbox([program('spin')], withPrograms());
    await s.start();
    setTimeout(() => s.kill(), 200);
    const k = await s.wait();
    expect(k.signal).toBe(9);
    expect(k.timedOut).toBe(false);
  });

  it("kill() and signal() after the end do nothing, on the caller's thread and in a worker", async () => {
    for (const pool of [false, undefined] as const) {
      const s = new Sandbox([program('echo_args')], withPrograms({ pool }));
      await s.start();
      const r = await s.wait();
      expect(r.exitCode).toBe(0);
      await new Promise((done) => setTimeout(done, 20)); // the VM is closed by now
      expect(() => s.kill()).not.toThrow();
      expect(() => s.kill(15)).not.toThrow();
      expect(s.signal(15)).toBe(false);
    }
  });

  it('kill(signal) delivers any signal to the program as to a process: its handler runs', async () => {
    const s = new Sandbox([program('sigterm_exit')], withPrograms({ stdout: 'stream' }));
    let out = '';
    s.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out === 'ready\n') s.kill(10); // SIGUSR1: its handler prints usr1
      if (out === 'ready\nusr1\n') s.kill(15); // SIGTERM: its handler exits 3
    });
    await s.start();
    const r = await s.wait();
    expect([r.exitCode, r.verdict, out]).toEqual([3, 'nonzero-exit', 'ready\nusr1\n']);
  });

  /** Runs sigterm_exit (handles SIGTERM and SIGUSR1, not SIGINT), calling `send` once it is ready; its result and output. */
  async function signalled(options: SandboxOptions, send: (s: Sandbox, out: string) => void) {
    // The timeout only bounds a failure (a signal that never arrives).
    const s = new Sandbox([program('sigterm_exit')], withPrograms({ ...options, stdout: 'stream', timeoutMs: 20_000 }));
    let out = '';
    s.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      send(s, out);
    });
    await s.start();
    const r = await s.wait();
    return { signal: r.signal, exitCode: r.exitCode, verdict: r.verdict, out };
  }

  it('signal() and kill() follow one rule: the first process takes a signal as any process does', async () => {
    // SIGINT, unhandled: its default action ends the program, as natively.
    const bySignal = await signalled({}, (s, out) => out === 'ready\n' && s.signal(2));
    expect(bySignal).toEqual({ signal: 2, exitCode: null, verdict: 'signaled', out: 'ready\n' });
    const byKill = await signalled({}, (s, out) => out === 'ready\n' && s.kill(2));
    expect(byKill).toEqual({ signal: 2, exitCode: null, verdict: 'killed', out: 'ready\n' });
  });

  it('with containerInit, signal() and kill() alike leave an unhandled signal to the first process unseen, as runc', async () => {
    const r = await signalled({ containerInit: true }, (s, out) => {
      if (out === 'ready\n') {
        // SIGINT has the lower number: taken, it would end the program before the SIGUSR1 handler ran.
        s.signal(2);
        s.kill(2);
        s.kill(10);
      }
      if (out === 'ready\nusr1\n') s.signal(15); // handled: it exits 3
    });
    expect(r).toEqual({ signal: null, exitCode: 3, verdict: 'nonzero-exit', out: 'ready\nusr1\n' });
  });

  it('kills a program that floods a buffered stream past maxBuffer', async () => {
    const r = await Sandbox.run([program('flood')], withPrograms({ maxBuffer: 1 << 20 }));
    expect(r.maxBufferExceeded).toBe(true);
    expect(r.signal).toBe(9);
    expect(r.stdout.length).toBe(1 << 20);
    // Streamed output that nobody reads counts too.
    const s = new Sandbox([program('flood')], withPrograms({ stdout: 'stream', maxBuffer: 1 << 20 }));
    await s.start();
    const k = await s.wait();
    expect([k.maxBufferExceeded, k.signal]).toEqual([true, 9]);
  });

  it('streams output when asked', async () => {
    const s = new Sandbox([program('echo_args'), '0'], withPrograms({ stdout: 'stream' }));
    const chunks: Buffer[] = [];
    s.stdout!.on('data', (c: Buffer) => chunks.push(c));
    await s.start();
    const r = await s.wait();
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(0); // streamed, not buffered
    expect(Buffer.concat(chunks).toString()).toMatch(/^arg0=/);
  });

  it.skipIf(!existsSync('/bin/busybox'))("shows its own /proc and an empty /sys, not the host's", async () => {
    const sys = await Sandbox.run(['/bin/busybox', 'ls', '-A', '/sys']);
    expect([sys.status, sys.stdout.toString()]).toEqual([0, '']);
    const proc = await Sandbox.run(['/bin/busybox', 'cat', '/proc/self/cmdline']);
    expect(proc.stdout.toString()).toBe('/bin/busybox\0cat\0/proc/self/cmdline\0');
    const pids = await Sandbox.run(['/bin/busybox', 'ls', '/proc']);
    expect(pids.stdout.toString().split('\n')).not.toContain(String(process.pid));
  });

  it('refuses to start what it cannot run, with the shell status', async () => {
    await expect(Sandbox.run(['/no/such/program'])).rejects.toMatchObject({
      status: 127,
      message: '/no/such/program: No such file or directory',
    });
    await expect(Sandbox.run(['no-such-command-anywhere'])).rejects.toMatchObject({
      status: 127,
      message: 'no-such-command-anywhere: command not found',
    });
    const notElf = join(PROGRAMS_DIR, 'not-elf');
    writeFileSync(notElf, 'neither an ELF file nor a #! script\n', { mode: 0o755 });
    await expect(Sandbox.run([notElf], withPrograms())).rejects.toBeInstanceOf(SandboxError);
    await expect(Sandbox.run([notElf], withPrograms())).rejects.toMatchObject({ status: 126 });
    await expect(Sandbox.run(['/tmp'])).rejects.toMatchObject({ status: 126 });
  });
});
