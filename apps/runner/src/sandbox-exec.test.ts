// Sandbox.exec (a second program in a running sandbox, as a container
// engine's exec) and the option fds (host descriptors as the program's 3, 4, ...),
// on a pool's worker and on the caller's thread.
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openPty } from '@tsv/kvm-sys';
import { announceKvmSkip } from '@tsv/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, SandboxError } from './sandbox.js';

const SH = '/bin/busybox';
let dir: string;
const opened: number[] = [];
const open = (name: string, flags: string): number => {
  const fd = openSync(join(dir, name), flags);
  opened.push(fd);
  return fd;
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsv-exec-'));
});
afterEach(() => {
  for (const fd of opened.splice(0)) closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(announceKvmSkip())('Sandbox.exec', () => {
  for (const pool of [undefined, false] as const) {
    it(`runs a second program in the running sandbox, its streams host descriptors (pool ${pool ?? 'default'})`, async () => {
      const stdin = new PassThrough();
      // init waits for a line, then shows the file the exec'd program left.
      const s = new Sandbox([SH, 'sh', '-c', 'read x; cat /tmp/left; exit 4'], { stdin, pool });
      const result = s.wait();
      writeFileSync(join(dir, 'in'), 'from a file\n');
      const p = await s.exec(
        ['sh', '-c', 'cat; echo "ppid=$PPID pid=$$" >&2; ls /proc/1/exe >/dev/null && echo left > /tmp/left; exit 7'],
        {
          stdin: open('in', 'r'),
          stdout: open('out', 'w'),
          stderr: open('err', 'w'),
        },
      );
      expect(p.pid).toBeGreaterThan(1);
      expect(await p.exited).toEqual({ exitCode: 7, signal: null, status: 7 });
      expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('from a file\n');
      expect(readFileSync(join(dir, 'err'), 'utf8')).toBe(`ppid=0 pid=${p.pid}\n`);
      const sleeper = await s.exec([SH, 'sleep', '100']);
      sleeper.signal(15);
      expect(await sleeper.exited).toEqual({ exitCode: null, signal: 15, status: 143 });
      stdin.end('go\n');
      const r = await result;
      expect([r.status, r.stdout.toString()]).toEqual([4, 'left\n']);
      await expect(s.exec([SH, 'true'])).rejects.toThrow(/not running/);
    });
  }

  it('refuses before the run, and a program that is not there (127)', async () => {
    const stdin = new PassThrough();
    const s = new Sandbox([SH, 'cat'], { stdin });
    await expect(s.exec([SH, 'true'])).rejects.toThrow(/not running/);
    const result = s.wait();
    const missing = await s.exec(['no-such-program']).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SandboxError);
    expect((missing as SandboxError).status).toBe(127);
    stdin.end();
    expect((await result).status).toBe(0);
  });

  it('gives a terminal of its own through a host pty', async () => {
    const stdin = new PassThrough();
    const s = new Sandbox([SH, 'cat'], { stdin });
    const result = s.wait();
    const { master, slave } = openPty();
    opened.push(master, slave);
    const p = await s.exec(['sh', '-c', 'tty; read line; echo "got $line"; exit 3'], { pty: { cols: 80, rows: 24, fd: slave } });
    let screen = '';
    const b = Buffer.alloc(4096);
    const until = (text: string) => {
      while (!screen.includes(text)) screen += b.subarray(0, readSync(master, b)).toString();
    };
    until('\r\n'); // tty has answered: the program now reads
    writeSync(master, 'typed\r');
    expect(await p.exited).toEqual({ exitCode: 3, signal: null, status: 3 });
    until('got typed\r\n');
    // The Sentry's terminal echoed the line and turned its ends into \r\n.
    expect(screen).toMatch(/^\/dev\/pts\/\d+\r\ntyped\r\ngot typed\r\n/);
    stdin.end();
    await result;
  });
});

describe.skipIf(announceKvmSkip())('the option fds', () => {
  it('gives host descriptors as the program descriptors 3, 4, ...: read-only ones read, others written', async () => {
    writeFileSync(join(dir, 'r'), 'read me\n');
    const r = await Sandbox.run([SH, 'sh', '-c', 'cat <&4 >&3; echo more >&3; exit 5'], {
      fds: [open('w', 'w'), open('r', 'r')],
    });
    expect(r.status).toBe(5);
    expect(readFileSync(join(dir, 'w'), 'utf8')).toBe('read me\nmore\n');
  });
});
