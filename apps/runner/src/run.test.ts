// `tsv run` as a user runs it: bin/tsv in a child process.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { mergeEnv } from './run.js';
import { program, PROGRAMS_DIR, PROGRAMS_VOLUME } from './test-programs.js';

const TSV = fileURLToPath(new URL('../bin/tsv', import.meta.url));
const tsv = (args: string[], input?: string) => spawnSync(process.execPath, [TSV, ...args], { encoding: 'utf8', input });
/** `tsv run` with the test programs' directory bound (the default root hides the host's temp dir). */
const RUN = ['run', '--volume', PROGRAMS_VOLUME];

describe('mergeEnv', () => {
  it('replaces variables by name and keeps one entry each', () => {
    expect(mergeEnv(['PATH=/bin', 'HOME=/'], ['PATH=/x', 'A=1'])).toEqual(['PATH=/x', 'HOME=/', 'A=1']);
  });
});

describe('tsv run: usage errors', () => {
  it('says what is wrong in one line and exits 2', () => {
    for (const args of [
      ['run'],
      ['run', '--platform', 'ptrace', '--', '/bin/true'],
      ['run', '--env', 'NOEQUALS', '--', 'x'],
      ['run', '--bogus'],
      ['run', '--log', '/no/such/dir/log', '--', '/bin/true'],
      ['run', '--volume', '/no/such/dir:/x', '--', '/bin/true'],
    ]) {
      const r = tsv(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/^tsv run: /);
    }
  });
});

describe.skipIf(announceKvmSkip())('tsv run', () => {
  it('passes the exit status, arguments, --env and stdio through', () => {
    const r = tsv([...RUN, '--env', 'TSV_TEST=cli', '--', program('echo_args'), '3']);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('arg1=3\nTSV_TEST=cli\n');
    expect(r.stderr).toBe('to stderr\n');
    const c = tsv([...RUN, '--', program('cat_stdin')], 'piped input');
    expect([c.status, c.stdout]).toEqual([0, 'piped input']);
  });

  it.skipIf(!existsSync('/bin/busybox'))('gives a regular file on stdin to the program as a seekable file', () => {
    const file = join(tmpdir(), `tsv-stdin-${process.pid}`);
    writeFileSync(file, 'from a file');
    const fd = openSync(file, 'r');
    try {
      const r = spawnSync(process.execPath, [TSV, 'run', '--', '/bin/busybox', 'wc', '-c'], {
        encoding: 'utf8',
        stdio: [fd, 'pipe', 'pipe'],
      });
      expect([r.status, r.stdout.trim()]).toEqual([0, '11']);
    } finally {
      closeSync(fd);
    }
  });

  it('reports 128+N for a signal and one clear line for a missing program', () => {
    expect(tsv([...RUN, '--', program('crash')]).status).toBe(139);
    const r = tsv(['run', '--', '/no/such/program']);
    expect(r.status).toBe(127);
    expect(r.stderr).toBe('tsv: /no/such/program: No such file or directory\n');
  });

  it('--strace prints calls and results; --stats prints the costs', () => {
    const r = tsv([...RUN, '--strace', '--stats', '--', program('echo_args'), '0']);
    expect(r.stderr).toMatch(/^write\(1, "arg0=.*"(\.\.\.)?, \d+\) = \d+$/m);
    expect(r.stderr).toMatch(/^exit_group\(0\) = \?$/m);
    expect(r.stderr).toMatch(/^tsv: \d+ guest exits: \d+ syscall/m);
    expect(r.stderr).toMatch(/^tsv: +\d+ +write$/m);
  });

  it.skipIf(!existsSync('/bin/busybox') || !existsSync('/etc/shadow'))(
    "hides the host's secrets unless --root / asks for the whole host",
    () => {
      const hidden = tsv(['run', '--', '/bin/busybox', 'cat', '/etc/shadow']);
      expect([hidden.status, hidden.stderr]).toEqual([1, "cat: can't open '/etc/shadow': No such file or directory\n"]);
      const whole = tsv(['run', '--root', '/', '--', '/bin/busybox', 'ls', '/etc/shadow']);
      expect([whole.status, whole.stdout]).toEqual([0, '/etc/shadow\n']);
    },
  );

  it('--timeout kills a program that runs too long; the timeout is a diagnostic, shown with -v', () => {
    const r = tsv([...RUN, '--timeout', '0.3', '--', program('spin')]);
    expect([r.status, r.stderr]).toEqual([137, '']);
    const v = tsv([...RUN, '-v', '--timeout', '0.3', '--', program('spin')]);
    expect(v.status).toBe(137);
    expect(v.stderr).toBe('tsv: wall-timeout: the --timeout limit ended the run\n');
  });

  it('--report writes how the run ended and what it cost; a limit keeps the output up to it', () => {
    const report = join(PROGRAMS_DIR, 'report.json');
    const r = tsv([...RUN, '--max-output', '100k', '--report', report, '--', program('flood')]);
    expect([r.status, r.stdout.length, r.stderr]).toEqual([137, 100 * 1024, '']);
    const j = JSON.parse(readFileSync(report, 'utf8'));
    expect(j).toMatchObject({ exitCode: null, signal: 9, status: 137, limit: 'maxOutput', verdict: 'output-limit' });
    expect(Object.keys(j).sort()).toEqual(['cpuTimeMs', 'exitCode', 'limit', 'maxRssBytes', 'signal', 'status', 'verdict', 'wallTimeMs']);
    const ok = tsv([...RUN, '--cpu-time', '5', '--report', report, '--', program('burn'), '300']);
    expect(ok.status).toBe(0);
    const k = JSON.parse(readFileSync(report, 'utf8'));
    expect(k).toMatchObject({ exitCode: 0, signal: null, limit: null, verdict: 'ok' });
    expect(k.cpuTimeMs.user + k.cpuTimeMs.system).toBeGreaterThanOrEqual(250);
    expect(k.wallTimeMs).toBeGreaterThanOrEqual(250);
    const cpu = tsv([...RUN, '--cpu-time', '0.2', '--report', report, '--', program('spin')]);
    expect(cpu.status).toBe(128 + 24);
    expect(JSON.parse(readFileSync(report, 'utf8'))).toMatchObject({ limit: 'cpuTimeMs', verdict: 'cpu-timeout' });
  });

  it('names the limit flag at fault', () => {
    expect(tsv(['run', '--open-files', '100000', '/bin/true']).stderr).toBe(
      'tsv run: --open-files: 100000 (expected a whole number from 1 to 65536)\n',
    );
    expect(tsv(['run', '--max-output', 'lots', '/bin/true']).stderr).toMatch(/^tsv run: --max-output: lots /);
    expect(tsv(['run', '--cpu-time', '0', '/bin/true']).stderr).toMatch(/^tsv run: --cpu-time expects a positive number of seconds/);
  });

  it('forwards signals to the program: its handlers run (SIGTERM exits 3), an unhandled one ends it as natively', async () => {
    const run = async (signals: NodeJS.Signals[]) => {
      const c = spawn(process.execPath, [TSV, ...RUN, program('sigterm_exit')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.setEncoding('utf8');
      const exited = once(c, 'exit');
      for (const [i, sig] of signals.entries()) {
        // Each signal once the program has shown it is ready for it ("ready", then a line per handled SIGUSR1).
        while (out.split('\n').length - 1 <= i) {
          const [chunk] = (await once(c.stdout, 'data')) as [string];
          out += chunk;
        }
        c.kill(sig);
      }
      const [code, signal] = (await exited) as [number | null, string | null];
      for await (const chunk of c.stdout) out += chunk;
      return { code, signal, out };
    };
    expect(await run(['SIGUSR1', 'SIGTERM'])).toMatchObject({ code: 3, out: 'ready\nusr1\n' });
    expect(await run(['SIGHUP'])).toMatchObject({ code: 128 + 1, out: 'ready\n' });
  });

  it("keeps tsv's diagnostics out of the program's stderr: --log FILE, or stderr with -v", () => {
    const exe = program('unimplemented');
    const quiet = tsv([...RUN, '--', exe]);
    expect([quiet.status, quiet.stdout, quiet.stderr]).toEqual([0, 'syscall 400 = -1\n', 'to stderr\n']);
    const log = join(PROGRAMS_DIR, 'diagnostics.log');
    const logged = tsv([...RUN, '--log', log, '--', exe]);
    expect(logged.stderr).toBe('to stderr\n');
    expect(readFileSync(log, 'utf8')).toMatch(/^tsv: unimplemented system call .*\(400\)/);
    const verbose = tsv([...RUN, '-v', '--', exe]);
    expect(verbose.stderr).toMatch(/^tsv: unimplemented system call .*\(400\).*\nto stderr\n$/);
  });
});
