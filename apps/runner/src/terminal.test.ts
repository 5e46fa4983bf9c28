import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Sandbox, SandboxError } from './sandbox.js';
import { compare } from './test-compare.js';
import { Screen } from './test-screen.js';

const BUSYBOX = '/bin/busybox';

/** A pty session: the screen, and typing. */
function session(argv: string[], pty = { cols: 80, rows: 24 }) {
  const keys = new PassThrough();
  const screen = new Screen();
  const s = new Sandbox(argv, { pty, stdin: keys, stdout: (b) => screen.add(b) });
  return { s, type: (t: string) => keys.write(t), shows: (text: string, from?: number) => screen.shows(text, from), screen };
}

describe.skipIf(announceKvmSkip())('Sandbox pty', () => {
  it('gives the program a terminal of the size asked for: stty size, isatty, /dev/tty, ttyname', async () => {
    const r = await Sandbox.run(
      [BUSYBOX, 'sh', '-c', 'stty size; tty; test -t 0 && test -t 1 && test -t 2 && echo all; echo x >/dev/tty'],
      {
        pty: { cols: 123, rows: 45 },
        pool: false,
      },
    );
    expect(r.status).toBe(0);
    // What the program writes reaches the screen through the line discipline: NL as CR NL.
    expect(r.stdout.toString()).toBe('45 123\r\n/dev/pts/0\r\nall\r\nx\r\n');
    expect(r.stderr.length).toBe(0);
  });

  it('stderr goes its own way when the stderr option says so', async () => {
    const r = await Sandbox.run([BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; test -t 2 || echo "2 is no tty"'], {
      pty: { cols: 80, rows: 24 },
      stderr: 'buffer',
    });
    expect([r.status, r.stdout.toString(), r.stderr.toString()]).toEqual([0, 'out\r\n2 is no tty\r\n', 'err\n']);
  });

  it('runs an interactive busybox sh: a typed command runs, ^C interrupts a sleep, exit ends it', async () => {
    const { s, type, shows } = session([BUSYBOX, 'sh']);
    await s.start();
    const done = s.wait();
    await shows('# ');
    // The job prints once it is in the foreground (its child set it there before exec), then sleeps.
    type(`${BUSYBOX} sh -c 'echo $((40+2))go; exec sleep 100'\n`);
    const at = await shows('42go');
    type('\x03'); // the foreground job gets SIGINT; the shell prompts again
    await shows('^C', at);
    type('echo $((1+1))after\n');
    await shows('2after', at);
    type('exit 7\n');
    const r = await done;
    expect(r.status).toBe(7);
    expect(r.wallTimeMs).toBeLessThan(60_000);
  }, 90_000);

  it('resize() is SIGWINCH for the foreground process group, which then sees the new size', async () => {
    const { s, type, shows, screen } = session([BUSYBOX, 'sh', '-c', 'trap "stty size; exit 3" WINCH; echo ready; read x; sleep 100']);
    await s.start();
    const done = s.wait();
    await shows('ready');
    s.resize(132, 50);
    type('\n'); // the shell runs the trap once `read` is done
    const r = await done;
    expect(r.status).toBe(3);
    expect(screen.text).toContain('50 132\r\n');
  }, 90_000);

  it("counts the terminal's screen against maxOutput", async () => {
    const r = await Sandbox.run([BUSYBOX, 'yes'], { pty: { cols: 80, rows: 24 }, maxOutput: 1000, timeoutMs: 30_000 });
    expect([r.verdict, r.limit]).toEqual(['output-limit', 'maxOutput']);
    expect(r.stdout.length).toBe(1000);
  }, 60_000);

  it('refuses sizes a terminal cannot have', async () => {
    await expect(Sandbox.run([BUSYBOX, 'true'], { pty: { cols: 0, rows: 24 } })).rejects.toThrow(SandboxError);
    await expect(Sandbox.run([BUSYBOX, 'true'], { pty: { cols: 80, rows: 70000 } })).rejects.toThrow(/rows must be an integer/);
    const s = new Sandbox([BUSYBOX, 'true'], { pty: { cols: 80, rows: 24 } });
    expect(() => s.resize(80.5, 24)).toThrow(/resize: cols/);
  });
});

/** What a program in a terminal of its own shows: its name, that stdin is one (42), its settings and size (0 0: nobody set one). */
const IN_A_PTY = `${BUSYBOX} sh -c 'tty; test -t 0 && echo $((6*7)); stty -a | head -1'`;

describe.skipIf(announceKvmSkip())('programs that open their own terminal, as natively', () => {
  it.skipIf(!existsSync('/usr/bin/python3'))("python3's pty.spawn", async () => {
    const py = `import pty, sys; sys.exit(pty.spawn(["/bin/sh", "-c", ${JSON.stringify(IN_A_PTY)}]) >> 8)`;
    const { expected, actual, why } = await compare(['/usr/bin/python3', '-c', py]);
    expect(actual, why).toEqual(expected);
    expect(expected.stdout).toContain('/dev/pts/');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('script(1)', async () => {
    const { expected, actual, why } = await compare(['/usr/bin/script', '-qec', IN_A_PTY, '/dev/null']);
    expect(actual, why).toEqual(expected);
    expect(expected.stdout).toContain('42\r\n');
  });
});
