// Files in and out without a host volume: placed before the program starts,
// read back after it ended, through the Sandbox API and the command line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Sandbox } from './sandbox.js';
import { program as testProgram } from './test-programs.js';

const TSV = fileURLToPath(new URL('../bin/tsv', import.meta.url));
const SH = ['/bin/busybox', 'sh', '-c'];

describe.skipIf(announceKvmSkip())('files in and out', () => {
  it('places files with their modes, and reads back what the program wrote until dispose()', async () => {
    const r = await Sandbox.run(
      [...SH, 'cat /work/in.txt; stat -c %a /work/in.txt /work/sub/run.sh; /work/sub/run.sh > /work/out.txt; echo x > /tmp/gone'],
      {
        files: { '/work/in.txt': 'input\n', '/work/sub/run.sh': { content: '#!/bin/busybox sh\necho from script\n', mode: 0o755 } },
        collect: ['/work/out.txt', '/no/such'],
      },
    );
    expect([r.status, r.stdout.toString()]).toEqual([0, 'input\n644\n755\n']);
    expect(r.files).toEqual(new Map([['/work/out.txt', Buffer.from('from script\n')]]));
    expect(r.readFile('/tmp/gone')?.toString()).toBe('x\n');
    expect(r.readFile('/work')).toBeUndefined(); // a directory
    r.dispose();
    expect(r.readFile('/tmp/gone')).toBeUndefined();
  });

  it('places a file owned by root for a program of another user: it reads it, and cannot change it', async () => {
    const r = await Sandbox.run([...SH, 'cat /etc/tsv-x/hosts; stat -c "%u %a" /etc/tsv-x/hosts /etc/tsv-x; echo y >> /etc/tsv-x/hosts'], {
      uid: 1000,
      gid: 1000,
      files: { '/etc/tsv-x/hosts': { content: 'x\n', owner: 'root' } },
    });
    expect([r.stdout.toString(), r.stderr.toString()]).toEqual(['x\n0 644\n0 755\n', expect.stringMatching(/Permission denied/)]);
    expect(r.status).not.toBe(0);
  });

  it('runs a program that is one of the placed files, from a working directory the files made, and as a #! interpreter', async () => {
    const files = {
      '/bin/prog': { content: readFileSync(testProgram('echo_args')), mode: 0o755 },
      '/job/run': { content: '#!/bin/prog\n', mode: 0o755 },
    };
    const r = await Sandbox.run(['/bin/prog', '7'], { files });
    expect([r.status, r.stdout.toString()]).toEqual([7, 'arg0=/bin/prog\narg1=7\nTSV_TEST=(unset)\n']);
    const s = await Sandbox.run(['./run', '5'], { files, cwd: '/job' });
    expect([s.status, s.stdout.toString()]).toEqual([0, 'arg0=/bin/prog\narg1=./run\narg2=5\nTSV_TEST=(unset)\n']);
  });

  it('refuses a file it cannot place, naming it', async () => {
    await expect(Sandbox.run(['/bin/true'], { files: { 'relative.txt': 'x' } })).rejects.toMatchObject({
      status: 125,
      message: 'files: relative.txt: No such file or directory',
    });
  });

  it('--copy-in HOST:GUEST and --copy-out GUEST:HOST', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsv-copy-'));
    try {
      writeFileSync(join(dir, 'in'), 'abc', { mode: 0o600 });
      const out = join(dir, 'out');
      const r = spawnSync(
        process.execPath,
        [
          TSV,
          'run',
          '--copy-in',
          `${join(dir, 'in')}:/data/in`,
          '--copy-out',
          `/data/out:${out}`,
          ...SH,
          'stat -c %a /data/in; rev < /data/in > /data/out',
        ],
        { encoding: 'utf8' },
      );
      expect([r.status, r.stdout, r.stderr]).toEqual([0, '600\n', '']);
      expect(readFileSync(out, 'utf8')).toBe('cba');
      expect(statSync(out).isFile()).toBe(true);
      const missing = spawnSync(process.execPath, [TSV, 'run', '--copy-out', `/nothing:${out}`, '/bin/true'], { encoding: 'utf8' });
      expect([missing.status, missing.stderr]).toEqual([125, `tsv: --copy-out /nothing:${out}: /nothing cannot be read in the sandbox\n`]);
      const bad = spawnSync(process.execPath, [TSV, 'run', '--copy-in', `${join(dir, 'none')}:/x`, '/bin/true'], { encoding: 'utf8' });
      expect([bad.status, bad.stderr]).toEqual([2, `tsv run: --copy-in ${join(dir, 'none')}:/x: No such file or directory\n`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
