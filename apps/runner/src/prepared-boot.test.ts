// A pool worker boots the next sandbox of the last request while idle: the
// next request equal in all but its input takes it, sees its own input, and
// never a program that changed on the host since the boot.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
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
const options = (o: SandboxOptions = {}): SandboxOptions => ({ ...o, pool, volumes: [`${PROGRAMS_DIR}:${PROGRAMS_DIR}:ro`] });
/** Long enough for the worker to prepare the next boot after a result (it does so at once, with nothing else to run). */
const idle = () => new Promise((r) => setTimeout(r, 150));

/** A static program at `path` that prints `text`. */
function build(text: string, path: string): void {
  const src = join(dir, 'say.c');
  writeFileSync(src, `#include <stdio.h>\nint main(void) { puts("${text}"); return 0; }\n`);
  execFileSync('gcc', ['-static', '-O1', '-o', path, src]);
}

async function run(argv: string[], o: SandboxOptions = {}): Promise<[string, boolean]> {
  const r = await Sandbox.run(argv, options(o));
  expect(r.status).toBe(0);
  return [r.stdout.toString(), r.bootedAhead];
}

describe.skipIf(announceKvmSkip())('prepared boots', () => {
  it('serve the next request for the same program and options, each with its own input', async () => {
    const cat = ['/bin/busybox', 'cat'];
    expect(await run(cat, { stdin: 'first\n' })).toEqual(['first\n', false]);
    await idle();
    expect(await run(cat, { stdin: 'second\n' })).toEqual(['second\n', true]);
    await idle();
    expect(await run(cat)).toEqual(['', true]); // no input: end of file at once
    await idle();
    expect(await run(['/bin/busybox', 'echo', 'other'])).toEqual(['other\n', false]); // another request boots its own
    await idle();
    expect(await run(['/bin/busybox', 'echo', 'other'], { env: { A: '1' } })).toEqual(['other\n', false]); // other options too
  });

  it('never run a program that changed on the host since the boot: replaced, or rewritten in place', async () => {
    const path = join(dir, 'say');
    build('one', path);
    expect(await run([path])).toEqual(['one\n', false]);
    await idle();
    expect(await run([path])).toEqual(['one\n', true]);
    await idle();
    build('two', `${path}.new`);
    renameSync(`${path}.new`, path); // a new file at the same path
    expect(await run([path])).toEqual(['two\n', false]);
    await idle();
    build('three', path); // the same file, rewritten
    expect(await run([path])).toEqual(['three\n', false]);
  });

  it(`are discarded after ${PREPARED_BOOT_MS} ms unused`, async () => {
    const argv = ['/bin/busybox', 'true'];
    await run(argv);
    await new Promise((r) => setTimeout(r, PREPARED_BOOT_MS + 200));
    expect((await run(argv))[1]).toBe(false);
  });

  it('are not made for a program found on PATH, nor with strace', async () => {
    await run(['busybox', 'true']);
    await idle();
    expect((await run(['busybox', 'true']))[1]).toBe(false);
    const traced = { strace: () => {} };
    await run(['/bin/busybox', 'true'], traced);
    await idle();
    expect((await run(['/bin/busybox', 'true'], traced))[1]).toBe(false);
  });
});
