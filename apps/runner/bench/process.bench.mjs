// Processes and threads under the Sentry, each against baselines measured in
// this run (native, and gVisor's `runsc --platform=ptrace do` where it runs):
//   sentry.fork_exec_wait_us        fork + execve of a static `true` + waitpid, µs per iteration timed in the program: vs native
//   sentry.fork_exec_wait_vs_runsc  the same loop: tsv / runsc-ptrace
//   sentry.thread_switch_us         two threads ping-ponging through a pair of futex words, µs per switch: vs native
//   sentry.python_startup_ratio     `python3 -c pass`, the whole command: tsv run / native
//   sentry.python_startup_vs_runsc  the same: tsv run / runsc do
//   sentry.real_host_ns_per_exit    the Sentry's host time per guest exit over real programs: python3 -c pass,
//                                   busybox tar of a 100-file tree, busybox find over it (goal: 20 µs)
//   sentry.fork_rss_mib             growth of the tsv process's host RSS when a program with 200 MiB resident forks
// Each tsv figure notes where its time goes: guest exits × one exit of the C
// floor (d-emul-pf, this run), the Sentry's host time between exits, and the
// rest (time in KVM_RUN beyond the floor: the guest's own code, stalls).
// A program that fails under tsv (fork, until it exists) or a baseline that
// cannot run here is printed as "<figure>: skipped: <why>"; the rest still run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { floorNs, median, report } from '@tsv/bench';
import { Sandbox } from '../dist/index.js';
import { scratch, wallMs } from './support.mjs';

/** tsv run's default environment, given to the native and runsc runs as well. */
const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/' };
const PYTHON = '/usr/bin/python3';
const FORK_MIB = 200;
const scr = scratch();
const TRUE = scr.build('true');

/** What makes a figure (or one of its baselines) impossible in this run: printed, never thrown out of the file. */
class Skip extends Error {}

async function figure(name, body) {
  try {
    await body();
  } catch (e) {
    if (!(e instanceof Skip)) throw e;
    console.log(`${name}: skipped: ${e.message}`);
  }
}

const lastLine = (text) => text.trim().split('\n').pop() ?? '';

const RUNSC = ['runsc', '--network=none', '--platform=ptrace', 'do'];

/** Why the runsc baselines cannot run here, or null. */
function runscMissing() {
  const r = spawnSync(RUNSC[0], [...RUNSC.slice(1), '/bin/true'], { encoding: 'utf8', env: ENV });
  if (r.error) return `runsc is not installed (apt-get install runsc): ${r.error.message}`;
  if (r.status !== 0) return `runsc do fails here (status ${r.status}): ${lastLine(r.stderr)}`;
  return null;
}
const RUNSC_MISSING = runscMissing();

/** argv under `runsc do`, as [command, args]; a Skip where runsc cannot run. */
function runscDo(argv) {
  if (RUNSC_MISSING) throw new Skip(`no runsc-ptrace baseline: ${RUNSC_MISSING}`);
  return [RUNSC[0], [...RUNSC.slice(1), ...argv]];
}

/** Median of `runs` runs of a command that prints one number; a failure is a Skip. */
function printed(cmd, args, runs = 3) {
  const values = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: ENV });
    if (r.status !== 0) throw new Skip(`${cmd} ${args.join(' ')}: status ${r.status}: ${lastLine(r.stderr)}`);
    values.push(Number(r.stdout));
  }
  return median(values);
}

/** Runs argv in a sandbox: the number it prints, and the run's stats. A failure is a Skip. */
async function sandboxed(argv) {
  const r = await Sandbox.run(argv, { volumes: [scr.volume], timeoutMs: 120_000 });
  if (r.status !== 0) throw new Skip(`under tsv: status ${r.status}: ${lastLine(r.stderr.toString())}`);
  return { value: Number(r.stdout), stats: r.stats };
}

const exitCount = (s) => s.exits.syscall + s.exits.fault + s.exits.interrupt + s.exits.other;
const time = (us) => (us >= 10_000 ? `${(us / 1e3).toFixed(1)} ms` : `${us.toFixed(1)} µs`);

/** Where `us` went: `exits` guest exits × the floor's one exit, `hostNs` in the Sentry, the rest in the guest. */
function breakdown(us, exits, hostNs) {
  const parts = [`${exits.toFixed(1)} exits`, `host ${time(hostNs / 1e3)} (${Math.round(hostNs / exits)} ns/exit)`];
  const floor = floorNs('d-emul-pf');
  if (floor !== undefined) {
    const exitUs = (exits * floor) / 1e3;
    parts.push(`exits × floor ${time(exitUs)}`, `rest ${time(us - exitUs - hostNs / 1e3)}`);
  }
  return `${time(us)}: ${parts.join(', ')}`;
}

/**
 * A program's per-operation figure under tsv: the median of `runs` runs of
 * argvFor(n), each doing n × perN operations, and where one operation's time
 * goes. Exits and host time per operation are a run's minus those of a run
 * with n = 0, so start-up and exit are not counted.
 */
async function perOperation(argvFor, n, perN, runs = 3) {
  const idle = (await sandboxed(argvFor(0))).stats;
  const timed = [];
  for (let i = 0; i < runs; i++) timed.push(await sandboxed(argvFor(n)));
  timed.sort((a, b) => a.value - b.value);
  const { value, stats } = timed[timed.length >> 1];
  const ops = n * perN;
  const exits = (exitCount(stats) - exitCount(idle)) / ops;
  const hostNs = (stats.hostNs - idle.hostNs) / ops;
  return { value, note: `per operation ${breakdown(value, exits, hostNs)}` };
}

// --- two threads, one futex pair ---
await figure('sentry.thread_switch_us', async () => {
  const exe = scr.build('futex_pingpong');
  const native = printed(exe, ['50000']);
  const tsv = await perOperation((n) => [exe, String(n)], 300, 2);
  report({ name: 'sentry.thread_switch_us', value: tsv.value, unit: 'µs', baseline: 'native', baselineValue: native, note: tsv.note });
});

// --- python3 -c pass ---
await figure('sentry.python_startup_ratio', async () => {
  const argv = [PYTHON, '-c', 'pass'];
  const native = wallMs(argv[0], argv.slice(1), 7, ENV);
  const tsv = wallMs(process.execPath, [...scr.run, '--', ...argv], 5);
  const fixed = wallMs(process.execPath, [...scr.run, '--', TRUE], 5);
  const { stats } = await sandboxed(argv);
  const where = `tsv run of a static true ${fixed.toFixed(0)} ms; python's own run in a Sandbox ${breakdown(stats.wallMs * 1e3, exitCount(stats), stats.hostNs)}`;
  report({
    name: 'sentry.python_startup_ratio',
    value: tsv / native,
    unit: 'x native',
    note: `tsv run ${tsv.toFixed(0)} ms, native ${native.toFixed(1)} ms; ${where}`,
  });
  await figure('sentry.python_startup_vs_runsc', () => {
    const runsc = wallMs(...runscDo(argv), 5, ENV);
    report({ name: 'sentry.python_startup_vs_runsc', value: tsv / runsc, unit: 'x runsc-ptrace', note: `runsc do ${runsc.toFixed(0)} ms` });
  });
});

// --- the Sentry's own time per exit, over real programs ---

/** A tree of 100 small files in 10 directories under the scratch directory; its path. */
function fileTree() {
  const root = join(scr.dir, 'tree');
  for (let d = 0; d < 10; d++) {
    mkdirSync(join(root, `d${d}`), { recursive: true });
    for (let f = 0; f < 10; f++) writeFileSync(join(root, `d${d}`, `f${f}`), `file ${d}/${f}\n`.repeat(d + f + 1));
  }
  return root;
}

await figure('sentry.real_host_ns_per_exit', async () => {
  const tree = fileTree();
  const programs = {
    'python3 -c pass': [PYTHON, '-c', 'pass'],
    'busybox tar cf': ['/bin/busybox', 'tar', 'cf', '-', '-C', tree, '.'],
    'busybox find': ['/bin/busybox', 'find', tree, '-type', 'f', '-size', '+0'],
  };
  let exits = 0;
  let hostNs = 0;
  const parts = [];
  for (const [what, argv] of Object.entries(programs)) {
    const r = await Sandbox.run(argv, { volumes: [scr.volume], timeoutMs: 120_000 });
    if (r.status !== 0) throw new Skip(`${what} under tsv: status ${r.status}: ${lastLine(r.stderr.toString())}`);
    const n = exitCount(r.stats);
    exits += n;
    hostNs += r.stats.hostNs;
    parts.push(
      `${what} ${n} exits (${r.stats.exits.syscall} syscall, ${r.stats.exits.fault} fault), ${Math.round(r.stats.hostNs / n)} ns/exit`,
    );
  }
  report({
    name: 'sentry.real_host_ns_per_exit',
    value: hostNs / exits,
    unit: 'ns',
    baseline: 'goal',
    baselineValue: 20_000,
    note: parts.join('; '),
  });
});

// --- fork, execve, wait ---
await figure('sentry.fork_exec_wait_us', async () => {
  const exe = scr.build('fork_exec_wait');
  const tsv = await perOperation((n) => [exe, String(n), TRUE], 30, 1);
  const native = printed(exe, ['200', TRUE]);
  report({ name: 'sentry.fork_exec_wait_us', value: tsv.value, unit: 'µs', baseline: 'native', baselineValue: native, note: tsv.note });
  await figure('sentry.fork_exec_wait_vs_runsc', () => {
    const runsc = printed(...runscDo([exe, '30', TRUE]));
    report({
      name: 'sentry.fork_exec_wait_vs_runsc',
      value: tsv.value / runsc,
      unit: 'x runsc-ptrace',
      note: `runsc-ptrace ${runsc} µs per iteration`,
    });
  });
});

// --- host memory when 200 MiB forks ---

/** VmRSS of a process and its anonymous (guest memory included) and shared parts, MiB. */
function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024;
  return { rss: mib('VmRSS'), anon: mib('RssAnon'), shmem: mib('RssShmem') };
}

/** Runs fork_rss under `tsv run` and reads the tsv process's RSS at each checkpoint the program prints. */
function rssAtCheckpoints(exe) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...scr.run, '--', exe, String(FORK_MIB)], { stdio: 'pipe' });
    const samples = {};
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdin.on('error', () => {}); // the program may be gone by the last go-ahead
    createInterface({ input: child.stdout }).on('line', (line) => {
      samples[line] = rssMiB(child.pid);
      child.stdin.write('\n');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, samples, stderr });
    });
  });
}

await figure('sentry.fork_rss_mib', async () => {
  const r = await rssAtCheckpoints(scr.build('fork_rss'));
  if (r.status !== 0) throw new Skip(`under tsv: status ${r.status}: ${lastLine(r.stderr)}`);
  const { start, resident, forked, done } = r.samples;
  const mib = (s) => `${s.rss.toFixed(0)} MiB (anon ${s.anon.toFixed(0)}, shmem ${s.shmem.toFixed(0)})`;
  const seen = resident.rss - start.rss;
  const caveat =
    seen < FORK_MIB * 0.9 ? `; CAUTION: the ${FORK_MIB} MiB written added only ${seen.toFixed(0)} MiB, so a copy may not show either` : '';
  report({
    name: 'sentry.fork_rss_mib',
    value: forked.rss - resident.rss,
    unit: 'MiB',
    baseline: 'resident MiB',
    baselineValue: FORK_MIB,
    note: `tsv process VmRSS: ${mib(start)} at start, ${mib(resident)} with ${FORK_MIB} MiB written, ${mib(forked)} with parent and child, ${mib(done)} after the child was reaped${caveat}`,
  });
});
