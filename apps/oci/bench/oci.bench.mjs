// tsv-oci as containerd runs it, against the runtimes a cluster would pick
// instead, all measured in this run:
//   oci.run_ms        median wall ms of `ctr run --rm` of a container running `true`: tsv vs runc
//   oci.run_vs_runsc  the same: tsv / runsc (gVisor, --platform=ptrace)
// One containerd of the bench's own (src/containerd-daemon.ts), each runtime
// through containerd's runc shim (--runc-binary), so what differs is the
// runtime alone: for tsv-oci that is a new Node process per command the
// shim runs (create, start, delete twice) and the sandbox's boot. The
// runtimes run in turn, round after round, so that a loaded machine weighs
// on each alike. A baseline that cannot run here is skipped with a message.
// `pnpm bench oci` runs this file alone.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, report } from '@tsv/bench';
import { noContainerd, startContainerd } from '../dist/containerd-daemon.js';

const RUNS = 11;
const TSV_OCI = fileURLToPath(new URL('../bin/tsv-oci', import.meta.url));
const RUNSC = '/usr/bin/runsc';

const why = noContainerd();
if (why !== null) {
  console.log(`oci.run_ms: skipped: ${why}`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'tsv-bench-oci-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const rootfs = join(dir, 'rootfs');
mkdirSync(join(rootfs, 'bin'), { recursive: true });
copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
symlinkSync('busybox', join(rootfs, 'bin', 'true'));
// runsc runs in containerd's network namespace, the host's: it needs its own network off.
const runscWrapper = join(dir, 'runsc-without-network');
writeFileSync(runscWrapper, `#!/bin/sh\nexec ${RUNSC} --network=none --platform=ptrace "$@"\n`);
chmodSync(runscWrapper, 0o755);

const shim = (name, binary) => [
  '--runtime',
  'io.containerd.runc.v2',
  '--runc-root',
  join(dir, name),
  ...(binary ? ['--runc-binary', binary] : []),
];
const runtimes = [
  { name: 'tsv', args: shim('tsv', TSV_OCI) },
  { name: 'runc', args: shim('runc') },
  { name: 'runsc', args: shim('runsc', runscWrapper) },
];

const containerd = await startContainerd(dir);
let n = 0;
/** Wall ms of one `ctr run --rm` of `true`; throws with ctr's message when it fails. */
function runOnce(rt) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('ctr', ['--address', containerd.address, 'run', '--rm', ...rt.args, '--rootfs', rootfs, `b${n++}`, '/bin/true'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    // What a failed run left (its task, its container) goes, so that no shim outlives the bench.
    spawnSync('ctr', ['--address', containerd.address, 'task', 'rm', '-f', `b${n - 1}`]);
    spawnSync('ctr', ['--address', containerd.address, 'container', 'rm', `b${n - 1}`]);
    throw new Error(`ctr run with ${rt.name}: status ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  }
  return ms;
}

try {
  // One untimed run each; a baseline that fails is left out, tsv failing fails the bench.
  const running = runtimes.filter((rt) => {
    try {
      runOnce(rt);
      return true;
    } catch (e) {
      if (rt.name === 'tsv') throw e;
      console.log(`oci.run_ms: ${rt.name} skipped: ${e.message}`);
      return false;
    }
  });
  const samples = new Map(running.map((rt) => [rt.name, []]));
  for (let round = 0; round < RUNS; round++) for (const rt of running) samples.get(rt.name).push(runOnce(rt));
  const ms = Object.fromEntries([...samples].map(([name, xs]) => [name, median(xs)]));
  const others = running.filter((rt) => rt.name !== 'tsv').map((rt) => `${rt.name} ${ms[rt.name].toFixed(0)} ms`);
  report({
    name: 'oci.run_ms',
    value: ms.tsv,
    unit: 'ms',
    ...(ms.runc !== undefined ? { baseline: 'runc', baselineValue: ms.runc } : {}),
    note: `${others.join(', ')}; medians of ${RUNS} interleaved runs`,
  });
  if (ms.runsc !== undefined) report({ name: 'oci.run_vs_runsc', value: ms.tsv / ms.runsc, unit: 'x runsc-ptrace' });
} finally {
  await containerd.stop();
}
