// The Sentry running real programs, against the C floor, native execution
// and qemu-x86_64 (user-mode emulation), all measured in this run.
//   sentry.getpid_ns          per getpid from a C program    vs d-emul-pf and native
//   sentry.exits_per_syscall  busybox sha256sum / tar: guest exits / syscalls the same run makes natively (strace -c -f)
//   sentry.sha256_ratio       busybox sha256sum of 64 MiB    tsv / native, tsv / qemu-x86_64
//   sentry.first_touch_ratio  first write to each page of 256 MiB, timed inside the program: tsv / native
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, report } from '@tsv/bench';
import { Sandbox } from '../dist/index.js';
import { scratch, wallMs } from './support.mjs';

const { dir: out, volume: OUT_VOLUME, run: RUN, build } = scratch();
const BUSYBOX = '/bin/busybox';
const QEMU = ['/usr/bin/qemu-x86_64', '/usr/bin/qemu-x86_64-static'].find((p) => existsSync(p));

/** System calls the command makes natively, counted by strace. */
function nativeSyscalls(cmd, args) {
  const log = join(out, 'strace.txt');
  execFileSync('strace', ['-c', '-f', '-o', log, cmd, ...args], { stdio: 'ignore' });
  const total =
    /^\s*100\.00\s+\S+\s+\d+\s+(\d+)/m.exec(readFileSync(log, 'utf8')) ?? /(\d+)\s+\d*\s*total\s*$/m.exec(readFileSync(log, 'utf8'));
  return Number(total[1]);
}

// --- getpid ---
{
  const exe = build('getpid');
  const native = Number(execFileSync(exe, ['2000000'], { encoding: 'utf8' }));
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(Number(execFileSync('node', [...RUN, '--', exe, '3000'], { encoding: 'utf8' })));
  const ns = median(runs);
  report({ name: 'sentry.getpid_ns', value: ns, unit: 'ns', baseline: 'd-emul-pf' });
  report({ name: 'sentry.getpid_vs_native', value: ns / native, unit: 'x native', note: `native getpid ${native} ns` });
}

// --- exits per system call ---
const data = join(out, 'data.bin');
writeFileSync(data, Buffer.alloc(64 << 20, 7));
if (existsSync(BUSYBOX)) {
  const tarDir = join(out, 'tree');
  mkdirSync(tarDir);
  for (let i = 0; i < 50; i++) writeFileSync(join(tarDir, `f${i}`), Buffer.alloc(10_000 + i, i));
  const cases = {
    sha256sum: [BUSYBOX, ['sha256sum', data]],
    tar: [BUSYBOX, ['tar', '-cf', '/tmp/bench.tar', '-C', out, 'tree']],
  };
  for (const [name, [cmd, args]] of Object.entries(cases)) {
    const natively = nativeSyscalls(cmd, args);
    const r = await Sandbox.run([cmd, ...args], { memory: '512M', volumes: [OUT_VOLUME] });
    if (r.status !== 0) throw new Error(`${name} under tsv: status ${r.status}: ${r.stderr}`);
    const e = r.stats.exits;
    const exits = e.syscall + e.fault + e.interrupt + e.other;
    report({
      name: `sentry.exits_per_syscall.${name}`,
      value: exits / natively,
      unit: 'exits/syscall',
      note: `${exits} exits (${e.syscall} syscall, ${e.fault} fault, ${e.interrupt} interrupt, ${e.other} other) for ${natively} native syscalls`,
    });
  }
}

// --- sha256sum of 64 MiB ---
if (existsSync(BUSYBOX)) {
  const tsv = wallMs('node', [...RUN, '--memory', '512M', '--', BUSYBOX, 'sha256sum', data], 3);
  const native = wallMs(BUSYBOX, ['sha256sum', data], 3);
  report({
    name: 'sentry.sha256_ratio',
    value: tsv / native,
    unit: 'x native',
    note: `tsv ${tsv.toFixed(0)} ms, native ${native.toFixed(0)} ms`,
  });
  if (QEMU) {
    const q = wallMs(QEMU, [BUSYBOX, 'sha256sum', data], 3);
    report({ name: 'sentry.sha256_vs_qemu', value: tsv / q, unit: 'x qemu-x86_64', note: `qemu ${q.toFixed(0)} ms` });
  }
}

// --- memory touched for the first time ---
{
  const exe = build('touch');
  const timed = (cmd, args) => median([0, 1, 2].map(() => Number(execFileSync(cmd, args, { encoding: 'utf8' }))));
  const native = timed(exe, ['256']);
  const tsv = timed('node', [...RUN, '--', exe, '256']);
  report({
    name: 'sentry.first_touch_ratio',
    value: tsv / native,
    unit: 'x native',
    note: `tsv ${tsv.toFixed(1)} ms, native ${native.toFixed(1)} ms for 65536 pages`,
  });
}
