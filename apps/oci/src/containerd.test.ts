// containerd runs containers on tsv: a containerd of the test's own (state,
// root and socket in a temp dir) with its runc shim given tsv-oci as the
// runc binary, driven with ctr as an operator would.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { announceKvmSkip } from '@tsv/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, busyboxRootfs } from './test-bundle.js';

/** Why containerd cannot run here, or null. */
function noContainerd(): string | null {
  if (spawnSync('containerd', ['--version']).error !== undefined) return 'containerd is not installed (scripts/setup.sh installs it)';
  if (process.getuid?.() !== 0) return 'containerd needs root';
  return null;
}
const skip = noContainerd();
if (skip !== null) console.warn(`containerd tests skipped: ${skip}`);

const dir = mkdtempSync(join(tmpdir(), 'tsv-ctd-'));
const address = join(dir, 'c.sock');
const runcRoot = join(dir, 'runc');
let containerd: ChildProcess | undefined;

function ctr(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ctr', ['--address', address, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
  });
}
const RUNTIME = ['--runtime', 'io.containerd.runc.v2', '--runc-binary', BIN, '--runc-root', runcRoot];

/** Polls `ctr task ls` until `id` is STOPPED; bounded so a broken runtime fails instead of hanging. */
async function stopped(id: string): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if (new RegExp(`^${id}\\s+\\d+\\s+STOPPED`, 'm').test((await ctr('task', 'ls')).stdout)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe.skipIf(skip !== null || announceKvmSkip())('containerd with tsv-oci', () => {
  const rootfs = busyboxRootfs(mkdtempSync(join(tmpdir(), 'tsv-ctd-rootfs-')));

  beforeAll(async () => {
    mkdirSync(runcRoot);
    const config = join(dir, 'config.toml');
    writeFileSync(
      config,
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        `[grpc]\n  address = "${address}"`,
        `[ttrpc]\n  address = "${address}.ttrpc"`,
      ].join('\n'),
    );
    containerd = spawn('containerd', ['--config', config], { stdio: 'ignore' });
    for (let i = 0; i < 200 && (await ctr('version')).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(async () => {
    if (containerd !== undefined && containerd.exitCode === null) {
      const ended = new Promise((r) => containerd!.once('exit', r));
      containerd.kill('SIGTERM');
      await ended;
    }
    // Every container was deleted: nothing of tsv-oci is left under the runc root.
    expect(readdirSync(runcRoot).flatMap((ns) => readdirSync(join(runcRoot, ns)))).toEqual([]);
  });

  it('ctr run --rm runs a shell script in the container and returns its status', async () => {
    const r = await ctr('run', '--rm', ...RUNTIME, '--rootfs', rootfs, 'script', '/bin/sh', '-c', 'echo "in $(uname -r)"; exit 7');
    expect([r.status, r.stdout]).toEqual([7, 'in 6.1.0-tsv\n']);
  });

  it('ctr task kill reaches a running container: a handled SIGTERM ends it with its status, SIGKILL ends any', async () => {
    const handles = await ctr(
      'run',
      '-d',
      ...RUNTIME,
      '--rootfs',
      rootfs,
      'term',
      '/bin/sh',
      '-c',
      'trap "exit 3" TERM; while true; do sleep 1; done',
    );
    expect(handles.status).toBe(0);
    const plain = await ctr('run', '-d', ...RUNTIME, '--rootfs', rootfs, 'plain', '/bin/sh', '-c', 'while true; do sleep 1; done');
    expect(plain.status).toBe(0);
    expect((await ctr('task', 'ls')).stdout).toMatch(/^term\s+\d+\s+RUNNING/m);
    // A second process in a running sandbox is not supported yet: containerd reports tsv-oci's reason.
    expect((await ctr('task', 'exec', '--exec-id', 'e1', 'term', '/bin/true')).stderr).toMatch(/exec: a second process .* not supported/);

    expect((await ctr('task', 'kill', 'term')).status).toBe(0);
    expect((await ctr('task', 'kill', '--signal', 'SIGKILL', 'plain')).status).toBe(0);
    expect(await stopped('term')).toBe(true);
    expect(await stopped('plain')).toBe(true);
    expect((await ctr('task', 'rm', 'term')).stderr).toMatch(/exit code 3/);
    expect((await ctr('task', 'rm', 'plain')).stderr).toMatch(/exit code 137/);
    for (const id of ['term', 'plain']) expect((await ctr('container', 'rm', id)).status).toBe(0);
  });
});
