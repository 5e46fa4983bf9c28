// What the guest's CPU gets done, against the same program run natively.
//   sentry.avx_memcpy_ratio  1 GiB copied with glibc memcpy in 64 KiB blocks, timed inside the program: tsv / native
// glibc picks its memcpy from what CPUID and XGETBV say, so a sandbox that
// hid AVX from the program would show here as a slower copy.
import { execFileSync } from 'node:child_process';
import { median, report } from '@tsv/bench';
import { Sandbox } from '../dist/index.js';
import { scratch } from './support.mjs';

const { volume, build } = scratch();

{
  const exe = build('memcpy');
  // Native and tsv runs alternate, so a change in the machine's load falls on both.
  const native = [];
  const tsv = [];
  let exits = 0;
  for (let i = 0; i < 7; i++) {
    native.push(Number(execFileSync(exe, { encoding: 'utf8' })));
    const r = await Sandbox.run([exe], { volumes: [volume] });
    if (r.status !== 0) throw new Error(`memcpy under tsv: status ${r.status}: ${r.stderr}`);
    tsv.push(Number(r.stdout.toString()));
    const e = r.stats.exits;
    exits = e.syscall + e.fault + e.interrupt + e.other;
  }
  const t = median(tsv);
  const n = median(native);
  report({
    name: 'sentry.avx_memcpy_ratio',
    value: t / n,
    unit: 'x native',
    note: `tsv ${t.toFixed(1)} ms, native ${n.toFixed(1)} ms for 16384 copies of 64 KiB; ${exits} exits for the whole run`,
  });
}
