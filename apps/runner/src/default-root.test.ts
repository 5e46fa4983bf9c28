// The default root as a real program sees it: no --root, busybox on /dev/kvm.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Sandbox } from './sandbox.js';
import { program, PROGRAMS_VOLUME } from './test-programs.js';

const BUSYBOX = '/bin/busybox';
const busybox = (...args: string[]) => Sandbox.run([BUSYBOX, ...args]);
const text = (r: { stdout: Buffer; stderr: Buffer; status: number }) => [r.status, r.stdout.toString(), r.stderr.toString()];

describe.skipIf(announceKvmSkip() || !existsSync(BUSYBOX))('default root', () => {
  it.skipIf(!existsSync('/etc/shadow'))('hides /etc/shadow (ENOENT); --root / still shows it', async () => {
    expect(text(await busybox('cat', '/etc/shadow'))).toEqual([1, '', "cat: can't open '/etc/shadow': No such file or directory\n"]);
    const etc = await busybox('ls', '-a', '/etc');
    expect(etc.status).toBe(0);
    expect(etc.stdout.toString().split('\n')).toEqual(expect.arrayContaining(['passwd', 'hostname']));
    expect(etc.stdout.toString().split('\n')).not.toContain('shadow');
    const whole = await Sandbox.run([BUSYBOX, 'ls', '/etc/shadow'], { root: '/' });
    expect(text(whole)).toEqual([0, '/etc/shadow\n', '']);
  });

  it("gives the program empty /root, /home and /tmp of its own, not the host's", async () => {
    const marker = join(tmpdir(), `tsv-default-root-${process.pid}`);
    writeFileSync(marker, 'host file');
    try {
      for (const dir of ['/root', '/home', '/tmp', '/var/tmp']) expect(text(await busybox('ls', '-A', dir)), dir).toEqual([0, '', '']);
      expect((await busybox('stat', '-c', '%a', '/tmp', '/root')).stdout.toString()).toBe('1777\n700\n');
      expect((await busybox('cat', marker)).status).toBe(1);
    } finally {
      rmSync(marker, { force: true });
    }
  });

  it('runs programs from /bin and reads /etc/passwd, /etc/hostname and /usr/share', async () => {
    expect(text(await busybox('cat', '/etc/passwd', '/etc/hostname'))).toEqual([
      0,
      readFileSync('/etc/passwd', 'latin1') + readFileSync('/etc/hostname', 'latin1'),
      '',
    ]);
    expect((await busybox('ls', '/usr/share')).stdout.toString()).toMatch(/\S/);
  });

  it('keeps writes to /tmp for the run: they work, then vanish, and never reach the host', async () => {
    const name = `/tmp/tsv-default-root-write-${process.pid}`;
    // Shell builtins and redirections run in the shell's own process.
    const w = await busybox('sh', '-c', `echo written > ${name} && read l < ${name} && echo "got $l"`);
    expect(text(w)).toEqual([0, 'got written\n', '']);
    expect((await busybox('cat', name)).status).toBe(1);
    expect(existsSync(name)).toBe(false);
  });

  it('hides /etc/shadow through a symlink the program makes in a system directory', async () => {
    // The link lives in /usr's in-memory layer; following it looks /etc/shadow up in the sandbox.
    const r = await Sandbox.run([program('symlink_open'), '/usr/shadow-link', '/etc/shadow'], { volumes: [PROGRAMS_VOLUME] });
    expect(text(r)).toEqual([0, 'symlink: ok\nopen: No such file or directory\n', '']);
    const relative = await Sandbox.run([program('symlink_open'), '/usr/shadow-link', '../etc/shadow'], { volumes: [PROGRAMS_VOLUME] });
    expect(relative.stdout.toString()).toBe('symlink: ok\nopen: No such file or directory\n');
  });
});
