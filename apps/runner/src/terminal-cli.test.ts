// tsv run from a terminal: script(1) gives it a real pseudo-terminal of the
// host, and we type on it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { announceKvmSkip } from '@tsv/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Screen } from './test-screen.js';

const TSV = new URL('../bin/tsv', import.meta.url).pathname;
const hasScript = spawnSync('script', ['--version']).status === 0;

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/**
 * Runs `tsv run ARGS` on a fresh host terminal (100x30) between two
 * snapshots of that terminal's mode (before, after), typing what we send.
 */
function onTerminal(args: string) {
  dir = mkdtempSync(join(tmpdir(), 'tsv-tty-'));
  const shot = (name: string) => `stty -g > ${join(dir!, name)}`;
  const cmd = `stty cols 100 rows 30; ${shot('before')}; ${process.execPath} ${TSV} run ${args}; s=$?; ${shot('after')}; exit $s`;
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const screen = new Screen();
  child.stdout.on('data', (b: Buffer) => screen.add(b));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** The terminal's mode as the shell saved it in `name`. */
  const file = (name: string) => readFileSync(join(dir!, name), 'utf8');
  return {
    type: (t: string) => child.stdin.write(t),
    shows: (text: string, from?: number) => screen.shows(text, from),
    exited,
    file,
    screen,
  };
}

describe.skipIf(announceKvmSkip() || !hasScript)('tsv run on a terminal', () => {
  it('gives an interactive busybox sh a terminal of the real size, ^C reaches its job, and the mode is restored', async () => {
    const t = onTerminal('-- /bin/busybox sh');
    await t.shows('# ');
    t.type("stty size; /bin/busybox sh -c 'echo $((40+2))go; exec sleep 100'\r");
    const at = await t.shows('42go');
    expect(t.screen.text).toContain('30 100\r\n');
    t.type('\x03');
    await t.shows('^C\r\n', at); // the shell's newline after it went through the program's terminal too
    t.type('echo $((1+1))after; exit 5\r');
    expect(await t.exited).toBe(5);
    expect(t.screen.text.slice(at)).toContain('2after\r\n');
    expect(t.file('after')).toBe(t.file('before'));
  }, 90_000);

  it("gives the terminal its own mode back before tsv's own lines (--stats) are written to it", async () => {
    const t = onTerminal('--stats -- /bin/busybox true');
    expect(await t.exited).toBe(0);
    const stats = t.screen.text.slice(t.screen.text.indexOf('tsv: '));
    expect(stats.split('\n').length).toBeGreaterThan(2);
    expect(stats.replaceAll('\r\n', '')).not.toContain('\n'); // ONLCR again, so each line starts at the left
    expect(t.file('after')).toBe(t.file('before'));
  }, 90_000);
});
