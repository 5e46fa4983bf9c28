// containerd runs containers on tsv: a containerd of the test's own
// (containerd-daemon.ts) with its runc shim given tsv-oci as the runc
// binary, driven with ctr as an operator would. Its config also loads the
// runtime table of deploy/containerd-tsv.toml (Kubernetes' way to tsv),
// which the CRI plugin must take.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { announceKvmSkip } from '@tsv/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Containerd, noContainerd, startContainerd } from './containerd-daemon.js';
import { BIN, busyboxRootfs } from './test-bundle.js';

const skip = noContainerd();
if (skip !== null) console.warn(`containerd tests skipped: ${skip}`);

const dir = mkdtempSync(join(tmpdir(), 'tsv-ctd-'));
const runcRoot = join(dir, 'runc');
/**
 * The CRI runtime table of the docs, with this workspace's tsv-oci and a state directory of the test's,
 * after the default runtime's table (a node's config, `containerd config default`, has it: CRI needs it).
 */
const criTables = [
  '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"',
  readFileSync(new URL('../deploy/containerd-tsv.toml', import.meta.url), 'utf8')
    .replace('/usr/local/bin/tsv-oci', BIN)
    .replace('/run/containerd/tsv-oci', join(dir, 'cri-tsv')),
].join('\n');
let containerd: Containerd;
const ctr = (...args: string[]) => containerd.ctr(...args);
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
  const rootfs = busyboxRootfs(mkdtempSync(join(dir, 'rootfs-')));

  beforeAll(async () => {
    mkdirSync(runcRoot);
    containerd = await startContainerd(dir, { toml: criTables, cri: true });
  });

  afterAll(async () => {
    await containerd?.stop();
    // Every container was deleted: nothing of tsv-oci is left under the runc root.
    const left = readdirSync(runcRoot).flatMap((ns) => readdirSync(join(runcRoot, ns)));
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it("loads the docs' runtime table for Kubernetes: tsv-oci as the runc binary of the handler tsv", async () => {
    const dump = spawnSync('containerd', ['--config', containerd.config, 'config', 'dump'], { encoding: 'utf8' });
    const table = dump.stdout.split('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.tsv]')[1] ?? '';
    expect(table).toMatch(/^\s*runtime_type = "io\.containerd\.runc\.v2"$/m);
    expect(table).toMatch(/^\s*pod_annotations = \["dev\.tsv\.\*"\]$/m);
    expect(table).toContain(`BinaryName = "${BIN}"`);
    // The CRI plugin took the config (a table it cannot read fails the plugin).
    expect((await ctr('plugins', 'ls')).stdout).toMatch(/^io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok\s*$/m);
  });

  it('ctr run --rm runs a shell script in the container and returns its status', async () => {
    const r = await ctr('run', '--rm', ...RUNTIME, '--rootfs', rootfs, 'script', '/bin/sh', '-c', 'echo "in $(uname -r)"; exit 7');
    expect([r.status, r.stdout]).toEqual([7, 'in 6.1.0-tsv\n']);
  });

  it('ctr run -t: the container gets a terminal through the console socket (under script, a terminal for ctr)', async () => {
    const command = [
      'ctr',
      '--address',
      containerd.address,
      'run',
      '-t',
      '--rm',
      ...RUNTIME,
      '--rootfs',
      rootfs,
      'tty1',
      '/bin/sh',
      '-c',
      'tty; exit 3',
    ];
    const r = spawnSync('script', ['-qec', command.map((a) => `'${a}'`).join(' '), '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    // ctr's own terminal (script's) adds a \r to the \r\n the container's terminal sent.
    expect([r.status, r.stdout]).toEqual([3, expect.stringMatching(/\/dev\/pts\/0\r+\n/)]);
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
    // A second process in the running sandbox: its output and status; ctr task ps lists it while it runs.
    const e1 = await ctr('task', 'exec', '--exec-id', 'e1', 'term', '/bin/sh', '-c', 'echo "pid $$ ppid $PPID"; exit 7');
    expect([e1.status, e1.stdout]).toEqual([7, expect.stringMatching(/^pid \d+ ppid 0\n$/)]);
    const e2 = ctr('task', 'exec', '--exec-id', 'e2', 'term', '/bin/sh', '-c', 'while true; do sleep 1; done');
    let listed = false;
    for (let i = 0; i < 300 && !listed; i++) {
      listed = /\be2\b/.test((await ctr('task', 'ps', 'term')).stdout);
      if (!listed) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed).toBe(true);
    expect((await ctr('task', 'kill', '--exec-id', 'e2', '--signal', 'SIGKILL', 'term')).status).toBe(0);
    expect((await e2).status).toBe(137);

    expect((await ctr('task', 'kill', 'term')).status).toBe(0);
    expect((await ctr('task', 'kill', '--signal', 'SIGKILL', 'plain')).status).toBe(0);
    expect(await stopped('term')).toBe(true);
    expect(await stopped('plain')).toBe(true);
    expect((await ctr('task', 'rm', 'term')).stderr).toMatch(/exit code 3/);
    expect((await ctr('task', 'rm', 'plain')).stderr).toMatch(/exit code 137/);
    for (const id of ['term', 'plain']) expect((await ctr('container', 'rm', id)).status).toBe(0);
  });
});
