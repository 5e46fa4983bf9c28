// A pool worker boots the next sandbox of the last request while idle: the
// next request equal in all but its input takes it, sees its own input, and
// never a program or a host directory that changed since the boot.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { announceKvmSkip } from '@tsv/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { PREPARED_BOOT_MS } from './prepared-boot.js';
import { Sandbox, type SandboxOptions } from './sandbox.js';
import { SandboxPool } from './sandbox-pool.js';
import { PROGRAMS_DIR } from './test-programs.js';

const dir = mkdtempSync(join(PROGRAMS_DIR, 'prepared-'));
const pool = new SandboxPool({ concurrency: 1, threads: 1 });
afterAll(() => pool.close());
const options = (o: SandboxOptions = {}): SandboxOptions => ({ pool, volumes: [`${PROGRAMS_DIR}:${PROGRAMS_DIR}:ro`], ...o });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A static program at `path` that prints `text`. */
function build(text: string, path: string): void {
  const src = join(dir, `${text}.c`);
  writeFileSync(src, `#include <stdio.h>\nint main(void) { puts("${text}"); return 0; }\n`);
  execFileSync('gcc', ['-static', '-O1', '-o', path, src]);
}

async function run(argv: string[], o: SandboxOptions = {}): Promise<[string, boolean]> {
  const r = await Sandbox.run(argv, options(o));
  expect(r.status).toBe(0);
  return [r.stdout.toString(), r.bootedAhead];
}

/**
 * Lets the worker prepare the next boot (it does at once when idle). The
 * tests that change the host afterwards assert the output only: were the
 * boot made after the change, it would rightly be taken.
 */
const prepared = () => sleep(500);

/**
 * Runs the request until one run of it was booted ahead (its worker prepares
 * the next one when idle, which a loaded machine may delay); every run's
 * output must be `expected`.
 */
async function runUntilAhead(argv: string[], expected: string, o: SandboxOptions = {}): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await sleep(100 * (i + 1));
    const [out, ahead] = await run(argv, o);
    expect(out).toBe(expected);
    if (ahead) return;
  }
  throw new Error(`${argv.join(' ')}: never booted ahead`);
}

describe.skipIf(announceKvmSkip())('prepared boots', () => {
  it('serve the next request for the same program and options, each with its own input', async () => {
    const cat = ['/bin/busybox', 'cat'];
    expect(await run(cat, { stdin: 'first\n' })).toEqual(['first\n', false]);
    await runUntilAhead(cat, 'second\n', { stdin: 'second\n' });
    await runUntilAhead(cat, ''); // no input: end of file at once
    expect(await run(['/bin/busybox', 'echo', 'other'])).toEqual(['other\n', false]); // another request boots its own
    await sleep(100);
    expect(await run(['/bin/busybox', 'echo', 'other'], { env: { A: '1' } })).toEqual(['other\n', false]); // other options too
    await runUntilAhead(['/bin/busybox', 'env'], 'A=1\nB=2\n', { env: { A: '1', B: '2' } });
    // The same variables in another order are another request: the program sees them in its order.
    await prepared();
    expect(await run(['/bin/busybox', 'env'], { env: { B: '2', A: '1' } })).toEqual(['B=2\nA=1\n', false]);
  });

  it('never run a program that changed on the host since the boot: replaced, or rewritten in place', async () => {
    const path = join(dir, 'say');
    build('one', path);
    await runUntilAhead([path], 'one\n');
    await prepared();
    build('two', `${path}.new`);
    renameSync(`${path}.new`, path); // a new file at the same path
    expect((await run([path]))[0]).toBe('two\n');
    await runUntilAhead([path], 'two\n');
    await prepared();
    build('three', path); // the same file, rewritten
    expect((await run([path]))[0]).toBe('three\n');
  });

  it('never run in a volume whose host path leads elsewhere since the boot (an atomic deploy)', async () => {
    for (const v of ['v1', 'v2']) {
      mkdirSync(join(dir, v));
      build(v, join(dir, v, 'prog'));
    }
    const current = join(dir, 'current');
    symlinkSync('v1', current);
    const app = { volumes: [`${current}:/app:ro`] };
    await runUntilAhead(['/app/prog'], 'v1\n', app);
    await prepared();
    symlinkSync('v2', `${current}.new`);
    renameSync(`${current}.new`, current);
    expect((await run(['/app/prog'], app))[0]).toBe('v2\n');
    rmSync(join(dir, 'v1'), { recursive: true });
  });

  it(`are discarded after ${PREPARED_BOOT_MS} ms unused`, async () => {
    const argv = ['/bin/busybox', 'true'];
    await runUntilAhead(argv, '');
    await sleep(PREPARED_BOOT_MS + 200);
    expect((await run(argv))[1]).toBe(false);
  });

  it('are not made for a program found on PATH, nor with strace', async () => {
    for (const o of [{ argv: ['busybox', 'true'] }, { argv: ['/bin/busybox', 'true'], strace: () => {} }]) {
      for (let i = 0; i < 3; i++) {
        await sleep(200);
        expect((await run(o.argv, { strace: o.strace }))[1]).toBe(false);
      }
    }
  });
});
