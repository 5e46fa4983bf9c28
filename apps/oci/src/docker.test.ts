// Docker runs containers on tsv: a dockerd of the test's own (data, exec
// root, its containerd and its socket in a temp dir; no bridge, no
// iptables, the vfs storage driver, so it touches nothing of the host's)
// with tsv-oci added as the runtime `tsv`, driven with the docker CLI as
// a user would: `docker import` of a busybox root filesystem, then
// `docker run --runtime=tsv`.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { announceKvmSkip } from '@tsv/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, busyboxRootfs } from './test-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'tsv-dk-'));
const host = `unix://${join(dir, 'd.sock')}`;
const execRoot = join(dir, 'exec');
const IMAGE = 'tsv-busybox';
/**
 * What every run of the tests passes: the runtime, and no seccomp profile
 * (tsv-oci refuses one: no system call of the container reaches the host's kernel).
 */
const RUN = ['run', '--rm', '--runtime=tsv', '--security-opt', 'seccomp=unconfined'];

function docker(args: string[], stdin?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('docker', ['-H', host, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}

/** Starts the test's dockerd; resolves with it, or with why it cannot run here (its log's last lines). */
async function startDockerd(): Promise<ChildProcess | string> {
  if (spawnSync('dockerd', ['--version']).error !== undefined) return 'dockerd is not installed (apt-get install docker.io)';
  if (spawnSync('docker', ['--version']).error !== undefined) return 'the docker CLI is not installed';
  if (process.getuid?.() !== 0) return 'dockerd needs root';
  const log = join(dir, 'dockerd.log');
  const d = spawn(
    'sh',
    [
      '-c',
      'exec dockerd "$@" >"$0" 2>&1',
      log,
      `--add-runtime=tsv=${BIN}`,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=vfs',
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${execRoot}`,
      `--pidfile=${join(dir, 'd.pid')}`,
      `--host=${host}`,
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 300 && d.exitCode === null; i++) {
    if ((await docker(['version'])).status === 0) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (d.exitCode === null) await stop(d);
  const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ');
  return `dockerd did not start: ${tail}`;
}

async function stop(d: ChildProcess): Promise<void> {
  if (d.exitCode !== null) return;
  const ended = new Promise((r) => d.once('exit', r));
  d.kill('SIGTERM');
  await ended;
}

const kvmSkip = announceKvmSkip();
const daemon = kvmSkip ? 'KVM is not usable' : await startDockerd();
if (typeof daemon === 'string') console.warn(`docker tests skipped: ${daemon}`);

describe.skipIf(typeof daemon === 'string')('docker with tsv-oci', () => {
  afterAll(async () => {
    await stop(daemon as ChildProcess);
    // Every container was removed: nothing of tsv-oci is left under the runtime's root.
    const runtimeRoot = join(execRoot, 'runtime-runc', 'moby');
    const left = existsSync(runtimeRoot) ? readdirSync(runtimeRoot) : [];
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it('docker import of a busybox root filesystem gives an image tsv runs: output, status, the files Docker binds', async () => {
    const rootfs = busyboxRootfs(mkdtempSync(join(dir, 'rootfs-')));
    const tar = join(dir, 'rootfs.tar');
    expect(spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']).status).toBe(0);
    expect((await docker(['import', tar, IMAGE])).status).toBe(0);

    const r = await docker([...RUN, '--hostname', 'box', IMAGE, 'sh', '-c', 'echo hi; read h </etc/hostname; echo "$h $(id -G)"; exit 3']);
    expect([r.status, r.stdout]).toEqual([3, 'hi\nbox 0\n']);
  });

  it('docker run -i feeds the container its stdin', async () => {
    const r = await docker(['run', '-i', ...RUN.slice(1), IMAGE, 'sh', '-c', 'read a; read b; echo "$b $a"; exit 4'], 'one\ntwo\n');
    expect([r.status, r.stdout]).toEqual([4, 'two one\n']);
  });

  it('docker run -t gives the container a terminal (tsv-oci gets a --console-socket and sends the pty master)', async () => {
    const r = await docker([
      ...RUN.slice(0, 1),
      '-t',
      ...RUN.slice(1),
      IMAGE,
      'sh',
      '-c',
      'tty; [ -t 0 ] && [ -t 1 ] && echo both; exit 5',
    ]);
    // Through a terminal the lines end in CR LF (the line discipline's ONLCR).
    expect([r.status, r.stdout]).toEqual([5, '/dev/pts/0\r\nboth\r\n']);
  });

  it('docker exec runs a second process in a running container, and docker kill ends it', async () => {
    const started = await docker([...RUN.slice(0, 1), '-d', ...RUN.slice(1), IMAGE, 'sh', '-c', 'echo up > /ready; sleep 600']);
    expect(started.status).toBe(0);
    const id = started.stdout.trim();
    const r = await docker(['exec', id, 'sh', '-c', 'cat /ready; exit 6']);
    expect([r.status, r.stdout]).toEqual([6, 'up\n']);
    expect((await docker(['kill', id])).status).toBe(0);
    // --rm: the container is gone once it has ended.
    for (let i = 0; i < 100 && (await docker(['inspect', id])).status === 0; i++) await new Promise((w) => setTimeout(w, 100));
    expect((await docker(['inspect', id])).status).not.toBe(0);
  });
});
