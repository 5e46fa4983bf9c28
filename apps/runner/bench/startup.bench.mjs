// Starting a sandbox: `tsv run` of a static `true` against `node -e 0` (the
// least any Node program costs) and qemu-x86_64, all measured in this run.
//   sentry.startup_ms      median wall ms of tsv run   vs node -e 0 (goal: at most node -e 0 + 20 ms)
//   sentry.startup_cpu_ms  median CPU ms (user + system) of the same runs vs node -e 0's
//   sentry.startup_vs_qemu tsv run / qemu-x86_64 of the same program (wall)
// The commands run in turn, round after round, so that a loaded machine
// weighs on each alike; CPU time is what a busy machine disturbs least.
// `pnpm bench startup` runs this file alone.
import { existsSync } from 'node:fs';
import { report } from '@tsv/bench';
import { interleavedMs, scratch } from './support.mjs';

const RUNS = 21;
const QEMU = ['/usr/bin/qemu-x86_64', '/usr/bin/qemu-x86_64-static'].find((p) => existsSync(p));
const { run: RUN, build } = scratch();
const TRUE = build('true');

const commands = [[process.execPath, [...RUN, '--', TRUE]], [process.execPath, ['-e', '0']], ...(QEMU ? [[QEMU, [TRUE]]] : [])];
const [tsv, node, qemu] = interleavedMs(commands, RUNS);
const over = (what) => `${(tsv[what] - node[what]).toFixed(1)} ms over node -e 0`;
report({
  name: 'sentry.startup_ms',
  value: tsv.wallMs,
  unit: 'ms',
  baseline: 'node -e 0',
  baselineValue: node.wallMs,
  note: `${over('wallMs')}; medians of ${RUNS} interleaved runs, each started through bash (times)`,
});
report({
  name: 'sentry.startup_cpu_ms',
  value: tsv.cpuMs,
  unit: 'ms',
  baseline: 'node -e 0',
  baselineValue: node.cpuMs,
  note: `user + system: ${over('cpuMs')}`,
});
if (qemu) report({ name: 'sentry.startup_vs_qemu', value: tsv.wallMs / qemu.wallMs, unit: 'x qemu-x86_64' });
else console.log('qemu-x86_64 not installed (apt-get install qemu-user): no qemu baseline');
