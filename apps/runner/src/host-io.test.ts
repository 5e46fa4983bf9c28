// The host stays responsive whatever the guest does with its output and its
// files: a stdout pipe nobody reads, a reader that goes away, one huge
// sendfile. These check progress (the run ends, a timer of this process
// runs), never how long anything took.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Sandbox } from './sandbox.js';
import { program, PROGRAMS_VOLUME } from './test-programs.js';

const TSV = fileURLToPath(new URL('../bin/tsv', import.meta.url));
const RUNNER = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** How long a child may take before the test gives up on it (it hung: the failure being tested for). */
const HUNG_MS = 30_000;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs a command whose stdout is a pipe; `reader` decides what this side
 * does with it. Resolves when the command ends, or kills it after HUNG_MS.
 */
async function runWith(argv: string[], reader: 'after-stderr' | 'first-chunk'): Promise<Ended & { hung: boolean }> {
  const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  c.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    // 'after-stderr': the stream stays paused (once its buffer and the pipe are full,
    // nothing more is read) until the command writes to stderr; then the reader goes.
    if (reader === 'after-stderr') c.stdout.destroy();
  });
  if (reader === 'first-chunk') c.stdout.once('data', () => c.stdout.destroy());
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    c.kill('SIGKILL');
  }, HUNG_MS);
  const [code, signal] = (await once(c, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(guard);
  c.stdout.destroy();
  return { code, signal, stderr, hung };
}

describe.skipIf(announceKvmSkip())('host I/O', () => {
  it(
    'a program writing to a stdout pipe nobody reads is ended by its timeout, and the Sandbox resolves while nobody reads',
    async () => {
      const script = `
      import { Sandbox } from ${JSON.stringify(RUNNER)};
      const r = await Sandbox.run([${JSON.stringify(program('flood'))}], { stdout: 'inherit', timeoutMs: 1000, volumes: [${JSON.stringify(PROGRAMS_VOLUME)}] });
      process.stderr.write(JSON.stringify({ timedOut: r.timedOut, signal: r.signal }));`;
      const r = await runWith([process.execPath, '--input-type=module', '-e', script], 'after-stderr');
      expect(r.hung).toBe(false);
      expect(JSON.parse(r.stderr)).toEqual({ timedOut: true, signal: 9 });
    },
    HUNG_MS + 10_000,
  );

  it(
    'a reader that goes away gives SIGPIPE, natively and under tsv (status 141)',
    async () => {
      const exe = program('flood');
      const native = await runWith([exe], 'first-chunk');
      expect([native.signal, native.hung]).toEqual(['SIGPIPE', false]);
      const tsv = await runWith([process.execPath, TSV, 'run', '--volume', PROGRAMS_VOLUME, '--', exe], 'first-chunk');
      expect([tsv.code, tsv.hung, tsv.stderr]).toEqual([141, false, '']);
    },
    2 * HUNG_MS + 10_000,
  );

  it('a wall timeout keeps what the program wrote before it: a reader that starts after the kill gets all of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsv-kept-'));
    const size = 1 << 20; // more than the pipe holds: most of it waits in tsv when the kill comes
    /**
     * One run killed after `timeout` s; its stdout is read only once the run
     * has ended (the report is written then). `written`: the program's write
     * had returned before the kill (it then made a file in a volume; a line
     * on its stderr would wait behind the unread stdout, as on Linux).
     */
    const attempt = async (timeout: number) => {
      const report = join(dir, `report-${timeout}.json`);
      const out = join(dir, `out-${timeout}`);
      mkdirSync(out);
      const volumes = ['--volume', PROGRAMS_VOLUME, '--volume', `${out}:/out`];
      const argv = [
        TSV,
        'run',
        '--timeout',
        `${timeout}`,
        '--report',
        report,
        ...volumes,
        '--',
        program('write_wait'),
        `${size}`,
        '/out/written',
      ];
      const c = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      const closed = once(c, 'close');
      let stderr = '';
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      while (!existsSync(report) && c.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
      let got = 0;
      c.stdout.on('data', (d: Buffer) => (got += d.length));
      const [code] = (await closed) as [number | null];
      const written = existsSync(join(out, 'written'));
      return { code, stderr, got, written, report: JSON.parse(readFileSync(report, 'utf8')) as unknown };
    };
    try {
      // The program must have finished its write before the kill for the
      // test to mean anything: on a machine too busy for that in 3 s, the
      // run is repeated with a longer timeout.
      let r = await attempt(3);
      if (!r.written) r = await attempt(30);
      expect([r.code, r.stderr, r.written, r.got]).toEqual([137, '', true, size]);
      expect(r.report).toMatchObject({ signal: 9, verdict: 'wall-timeout' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a 2 GiB sendfile into a volume lets this event loop run, and kill() ends it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsv-sendfile-'));
    try {
      const total = 0x7ffff000;
      const src = join(dir, 'src');
      writeFileSync(src, '');
      truncateSync(src, total); // sparse: nothing is stored
      let copiedWhenTimerRan = -1;
      const s = new Sandbox([program('sendfile_big'), '/vol/src', '/vol/dst'], {
        volumes: [PROGRAMS_VOLUME, `${dir}:/vol`],
        stdout: (bytes) => {
          if (Buffer.from(bytes).toString() !== 'go\n') return;
          // Due at once: it can only run when the event loop turns, which is while sendfile copies, or after it.
          setTimeout(() => {
            copiedWhenTimerRan = statSync(join(dir, 'dst')).size;
            s.kill();
          }, 0);
        },
      });
      const r = await s.wait();
      expect(copiedWhenTimerRan).toBeGreaterThanOrEqual(0);
      expect(copiedWhenTimerRan).toBeLessThan(total);
      expect(r.signal).toBe(9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
