// For tests that compare a program under `tsv run` with the same program run
// natively: each run gets a fresh working directory (natively a real temp
// dir; in the sandbox another temp dir bound at its own path as an overlay
// volume, so the program may write there and the host copy stays as it was),
// the same files in it, the same arguments, stdin and exactly the same
// environment.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const TSV = fileURLToPath(new URL('../bin/tsv', import.meta.url));

/** What a run did: the exit status as a shell shows it (128+N for signal N), and its output. */
export interface Outcome {
  status: number | 'timeout';
  stdout: string;
  stderr: string;
}

export interface CompareOptions {
  /** The whole environment of the program, in both runs. */
  env?: Record<string, string>;
  /** Files written into the fresh working directory first (relative path to text), all with one fixed mtime. */
  files?: Record<string, string>;
  /** Extra `--volume` arguments for tsv (a test program's directory). */
  volumes?: string[];
  stdin?: string;
  /** Wall-clock limit of the native run; the sandbox gets 10 times as long. Default 60 s. */
  timeoutMs?: number;
}

/** The environment a comparison gives unless told otherwise. */
export const BASE_ENV: Readonly<Record<string, string>> = { PATH: '/usr/bin:/bin', HOME: '/nonexistent', LC_ALL: 'C', TZ: 'UTC' };
const FIXED_MTIME = new Date('2020-01-02T03:04:05Z');

function freshDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-compare-'));
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    utimesSync(path, FIXED_MTIME, FIXED_MTIME);
  }
  return dir;
}

/** Runs argv to completion, killing it past timeoutMs; never rejects for the program's own failure. */
function execute(argv: string[], cwd: string, env: Record<string, string>, stdin: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // a program that exits without reading its input
    child.stdin.end(stdin);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const status = timedOut ? 'timeout' : (code ?? 128 + (signal ? constants.signals[signal] : 0));
      resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

export async function runNative(argv: string[], o: CompareOptions = {}): Promise<Outcome> {
  const cwd = freshDir(o.files ?? {});
  try {
    return await execute(argv, cwd, { ...(o.env ?? BASE_ENV) }, o.stdin ?? '', o.timeoutMs ?? 60_000);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** The outcome under tsv, and tsv's own log (unimplemented calls and the like), to explain a difference. */
export async function runTsv(argv: string[], o: CompareOptions = {}): Promise<Outcome & { log: string }> {
  const cwd = freshDir(o.files ?? {});
  const log = join(cwd, '..', `${cwd.slice(cwd.lastIndexOf('/') + 1)}.log`);
  const envFlags = Object.entries(o.env ?? BASE_ENV).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const volumes = [...(o.volumes ?? []), `${cwd}:${cwd}:overlay`].flatMap((v) => ['--volume', v]);
  const cli = [process.execPath, TSV, 'run', '--log', log, ...volumes, '--cwd', cwd, ...envFlags, '--', ...argv];
  try {
    const r = await execute(cli, cwd, { ...process.env } as Record<string, string>, o.stdin ?? '', (o.timeoutMs ?? 60_000) * 10);
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      // tsv wrote no warnings
    }
    return { ...r, log: text };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
    rmSync(log, { force: true });
  }
}

/**
 * Both runs, natively first. `expected` is the native outcome, `actual` the
 * sandbox's without its log, and `why` the log's last lines for an
 * assertion message.
 */
export async function compare(argv: string[], o: CompareOptions = {}): Promise<{ expected: Outcome; actual: Outcome; why: string }> {
  const expected = await runNative(argv, o);
  const { log, ...actual } = await runTsv(argv, o);
  return { expected, actual, why: `tsv log:\n${log.split('\n').slice(-15).join('\n')}` };
}

/** Runs argv natively and under tsv and expects the same outcome (tsv's log as the message otherwise) and status 0; returns the output. */
export async function sameAsNative(argv: string[], o: CompareOptions = {}): Promise<string> {
  const { expected, actual, why } = await compare(argv, o);
  expect(actual, why).toEqual(expected);
  expect(expected.status, expected.stderr).toBe(0);
  return expected.stdout;
}
