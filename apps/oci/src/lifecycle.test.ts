import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { processStartTime } from './state.js';
import { BIN, makeBundle, oci, ociAsync } from './test-bundle.js';

const newRoot = () => mkdtempSync(join(tmpdir(), 'tsv-oci-root-'));
const state = (root: string, id: string) => JSON.parse(oci(root, 'state', id).stdout) as { status: string; pid: number };

/** `create` as an engine runs it: the container's stdout is a pipe of ours; resolves with what it carried up to EOF. */
function createWithPipe(root: string, bundle: string, id: string, pidFile: string) {
  const child = spawn(BIN, ['--root', root, 'create', '--bundle', bundle, '--pid-file', pidFile, id], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const eof = new Promise<string>((resolve) => child.stdout.on('end', () => resolve(out)));
  const created = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { created, eof };
}

/** Processes of this machine whose command line names `text`. */
function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(announceKvmSkip())('tsv-oci lifecycle', () => {
  it('run: the program with the config’s user, host name, limits, cwd, env, mounts; its status', () => {
    const data = mkdtempSync(join(tmpdir(), 'tsv-oci-data-'));
    chmodSync(data, 0o777);
    const motd = join(data, 'motd');
    writeFileSync(motd, 'from the host\n');
    chmodSync(motd, 0o666); // root's in the sandbox, as on the host: the mode lets user 1000 write
    const bundle = makeBundle(
      'echo "$(hostname) $(busybox id -u) $(busybox id -G) $(ulimit -n) $PWD $A"; echo hi > /data/f; echo t > /run/t; busybox cat /run/t /etc/motd; echo more >> /etc/motd; busybox tail -n 1 /etc/motd; exit 5',
      (c) => {
        c.hostname = 'box';
        c.process.user = { uid: 1000, gid: 100, additionalGids: [27, 5] };
        // A file bind mount: a copy of the host file placed in the (writable) root; what the container writes there stays in the sandbox.
        c.root.readonly = false;
        c.mounts.push({ destination: '/etc/motd', type: 'bind', source: motd, options: ['rbind', 'rprivate'] });
        c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 77, hard: 77 }];
        c.process.cwd = '/tmp';
        c.process.env.push('A=x');
        c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
        c.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777'] });
      },
    );
    mkdirSync(join(bundle, 'rootfs', 'tmp'));
    const root = newRoot();
    const r = oci(root, 'run', '--bundle', bundle, 'c1');
    expect([r.status, r.stdout, r.stderr]).toEqual([5, 'box 1000 100 5 27 77 /tmp x\nt\nfrom the host\nmore\n', '']);
    expect(readFileSync(join(data, 'f'), 'utf8')).toBe('hi\n');
    expect(readFileSync(motd, 'utf8')).toBe('from the host\n');
    // run deletes what it created.
    expect(readdirSync(root)).toEqual([]);
  });

  it('create, start, state, kill (a signal the program handles), delete', async () => {
    const bundle = makeBundle('trap "echo got TERM; exit 3" TERM; echo started; while true; do sleep 1; done');
    const root = newRoot();
    const pidFile = join(bundle, 'init.pid');
    const c = createWithPipe(root, bundle, 'c2', pidFile);
    expect(await c.created).toBe(0);
    const created = JSON.parse(oci(root, 'state', 'c2').stdout);
    expect(created).toMatchObject({ ociVersion: '1.0.2', id: 'c2', status: 'created', bundle, pid: Number(readFileSync(pidFile, 'utf8')) });
    expect(oci(root, 'list', '--quiet').stdout).toBe('c2\n');
    expect(oci(root, 'start', 'c2').status).toBe(0);
    expect(state(root, 'c2').status).toBe('running');
    expect(JSON.parse(oci(root, 'ps', '--format', 'json', 'c2').stdout)).toEqual([created.pid]);
    expect(oci(root, 'start', 'c2').stderr).toMatch(/cannot start a container that is running/);
    expect(oci(root, 'kill', 'c2', 'TERM').status).toBe(0);
    expect(await c.eof).toBe('started\ngot TERM\n');
    expect(state(root, 'c2')).toMatchObject({ status: 'stopped', pid: 0 });
    expect(oci(root, 'kill', 'c2', 'KILL').stderr).toMatch(/container not running/);
    expect(oci(root, 'delete', 'c2').status).toBe(0);
    expect(oci(root, 'state', 'c2')).toMatchObject({ status: 1, stderr: 'tsv-oci: container c2 does not exist\n' });
  });

  it('its init ignores a signal it does not handle, as under runc; delete --force leaves no process, file or descriptor', async () => {
    const bundle = makeBundle('echo up; while true; do sleep 1; done');
    const root = newRoot();
    const c = createWithPipe(root, bundle, 'c3', join(bundle, 'init.pid'));
    expect(await c.created).toBe(0);
    const { pid } = state(root, 'c3');
    expect((await ociAsync(root, 'start', 'c3')).status).toBe(0);
    expect((await ociAsync(root, 'kill', 'c3', 'SIGTERM')).status).toBe(0);
    expect((await ociAsync(root, 'kill', '--all', 'c3', '15')).status).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(state(root, 'c3').status).toBe('running');
    expect(oci(root, 'delete', 'c3').stderr).toMatch(/cannot delete container c3 that is not stopped: running/);
    expect(oci(root, 'delete', '--force', 'c3').status).toBe(0);
    expect(processStartTime(pid)).toBeNull();
    expect(existsSync(join(root, 'c3'))).toBe(false);
    // Nobody holds the container's stdout any more: the pipe is at its end.
    expect(await c.eof).toBe('up\n');
    expect(processesNaming(root)).toEqual([]);
  });

  it('pause freezes every process of the container until resume', async () => {
    const bundle = makeBundle('while true; do echo tick; busybox usleep 20000; done');
    const root = newRoot();
    const lines = { n: 0 };
    const child = spawn(BIN, ['--root', root, 'run', '--bundle', bundle, 'c5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (lines.n += d.split('\n').length - 1));
    const ended = new Promise((r) => child.on('exit', r));
    const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
    while (lines.n === 0) await settle(50);
    expect((await ociAsync(root, 'pause', 'c5')).status).toBe(0);
    expect(state(root, 'c5').status).toBe('paused');
    expect(oci(root, 'pause', 'c5').stderr).toBe('tsv-oci: container not running\n');
    expect(oci(root, 'exec', 'c5', '/bin/true').stderr).toBe('tsv-oci: cannot exec in a paused container\n');
    expect(oci(root, 'delete', 'c5').stderr).toMatch(/not stopped: paused/);
    await settle(300); // a line written just before the freeze reaches the pipe
    const frozen = lines.n;
    await settle(500);
    expect(lines.n).toBe(frozen);
    expect((await ociAsync(root, 'resume', 'c5')).status).toBe(0);
    expect(state(root, 'c5').status).toBe('running');
    while (lines.n === frozen) await settle(50);
    expect(oci(root, 'resume', 'c5').stderr).toBe('tsv-oci: container not paused\n');
    expect((await ociAsync(root, 'kill', 'c5', 'KILL')).status).toBe(0);
    await ended;
  });

  it('refuses what it cannot do with one line naming the field or flag, and leaves nothing behind', () => {
    const root = newRoot();
    const tty = makeBundle('true', (c) => (c.process.terminal = true));
    const r = oci(root, 'create', '--bundle', tty, 'c4');
    expect([r.status, r.stderr]).toEqual([1, 'tsv-oci: cannot allocate tty if runc will detach without setting console socket\n']);
    expect(oci(root, 'create', '--bundle', makeBundle('true'), '--console-socket', '/x.sock', 'c4').stderr).toBe(
      'tsv-oci: cannot use console socket if runc will not detach or allocate tty\n',
    );
    expect(oci(root, 'create', '--bundle', tty, '--console-socket', '/nonexistent/x.sock', 'c4').stderr).toMatch(
      /^tsv-oci: --console-socket \/nonexistent\/x.sock: sendmsg .* failed: ENOENT\n$/,
    );
    expect(oci(root, 'create', '--bundle', makeBundle('true'), '--preserve-fds', '-1', 'c4').stderr).toMatch(/^tsv-oci: --preserve-fds: /);
    const missing = oci(
      root,
      'create',
      '--bundle',
      makeBundle('true', (c) => (c.process.args = ['/bin/nothing'])),
      'c4',
    );
    expect([missing.status, missing.stderr]).toEqual([1, 'tsv-oci: /bin/nothing: No such file or directory\n']);
    expect(readdirSync(root)).toEqual([]);
    expect(oci(root, 'exec', 'c4', '/bin/true').stderr).toBe('tsv-oci: container c4 does not exist\n');
    expect(oci(root, 'bogus').stderr).toBe("tsv-oci: unknown command 'bogus'\n");
  });
});
