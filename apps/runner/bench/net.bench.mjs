// TCP on the sandbox's own loopback and epoll, against native and gVisor's
// `runsc --network=none --platform=ptrace do` (which has a loopback of its
// own too) measured in this run:
//   sentry.tcp_loopback_rr_us   a 1-byte request/response between two processes, µs per round trip
//   sentry.tcp_loopback_mbps    bulk transfer between two processes, megabits per second
//   sentry.epoll_wait_us        one epoll_wait wake-up through an eventfd between two threads, µs
// A baseline that cannot run here is left out of the note with its reason.
import { spawnSync } from 'node:child_process';
import { median, report } from '@tsv/bench';
import { Sandbox } from '../dist/index.js';
import { scratch } from './support.mjs';

const scr = scratch();
const ENV = { PATH: '/usr/bin:/bin', HOME: '/' };
const RUNSC = ['runsc', '--network=none', '--platform=ptrace', 'do'];

/** Median of `runs` runs of a command printing one number, or the reason it cannot run. */
function host(cmd, args, runs = 3) {
  const values = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: ENV });
    if (r.error || r.status !== 0) return `${cmd}: ${r.error?.message ?? `status ${r.status}: ${r.stderr.trim().split('\n').pop()}`}`;
    values.push(Number(r.stdout));
  }
  return median(values);
}

async function tsv(argv, runs = 3) {
  const values = [];
  for (let i = 0; i < runs; i++) {
    const r = await Sandbox.run(argv, { volumes: [scr.volume], timeoutMs: 300_000 });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} under tsv: status ${r.status}: ${r.stderr}`);
    values.push(Number(r.stdout));
  }
  return median(values);
}

function measure(name, unit, argv, tsvArgv) {
  return (async () => {
    const native = host(argv[0], argv.slice(1));
    const runsc = host(RUNSC[0], [...RUNSC.slice(1), ...argv]);
    const value = await tsv(tsvArgv);
    const fmt = (v) => (typeof v === 'number' ? `${v} ${unit}` : `unavailable (${v})`);
    report({
      name,
      value,
      unit,
      baseline: 'native',
      baselineValue: typeof native === 'number' ? native : undefined,
      note: `native ${fmt(native)}, runsc-ptrace ${fmt(runsc)}`,
    });
  })();
}

const rr = scr.build('tcp_rr');
await measure('sentry.tcp_loopback_rr_us', 'µs', [rr, '20000'], [rr, '2000']);
const stream = scr.build('tcp_stream');
await measure('sentry.tcp_loopback_mbps', 'Mbit/s', [stream, '512'], [stream, '128']);
const wake = scr.build('epoll_wake');
await measure('sentry.epoll_wait_us', 'µs', [wake, '100000'], [wake, '2000']);
