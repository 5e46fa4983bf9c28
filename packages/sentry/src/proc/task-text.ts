// The text of /proc/<pid>/{status,stat,statm,limits} and of each thread's
// under task/<tid>, in Linux's formats (what ps, top, libc and language
// runtimes parse), from the kernel's task and process objects.
//
// A process whose last thread has exited is a zombie until reaped: its
// status and stat still read, with state Z and no memory figures, as on
// Linux. So is a leader thread that exited while other threads run: the
// process shows Z, its other threads their own states.
import type { Kernel } from '../kernel/kernel.js';
import type { PidTable } from '../kernel/pids.js';
import { getRlimit, getRlimitOf, RLIM_NLIMITS, RLIMIT_SIGPENDING } from '../kernel/rlimit.js';
import { SIG_DFL, SIG_IGN } from '../kernel/signals.js';
import { waitStatus } from '../kernel/task-exit.js';
import type { Task } from '../kernel/task.js';
import type { CpuTimes, ThreadGroup } from '../kernel/thread-group.js';
import { type MemoryFigures, memoryFigures, type MemorySource } from './memory.js';

/** USER_HZ: /proc counts CPU time in ticks of 10 ms. */
export const TICKS_PER_SEC = 100;
const NS_PER_TICK = 1e9 / TICKS_PER_SEC;
const ULONG_MAX = '18446744073709551615';
/** CAP_LAST_CAP is 40: every capability, as root has them. */
const ALL_CAPS = '000001ffffffffff';
const NO_CAPS = '0000000000000000';
const RLIMIT_RSS = 5;

/** What one /proc/<pid> or /proc/<pid>/task/<tid> directory shows, looked up afresh for each read. */
export interface TaskView {
  readonly group: ThreadGroup;
  /** The id the directory is named by: the pid, or a thread's tid. */
  readonly tid: number;
  /** The live thread shown; undefined for a zombie (the whole process, or its exited leader). */
  readonly thread: Task | undefined;
  /** A live thread whose memory, descriptors and filesystem context are shown; undefined when none is left. */
  readonly res: Task | undefined;
  /** /proc/<pid>: the process's figures (CPU time of all its threads); else the thread's own. */
  readonly whole: boolean;
}

/**
 * The view of thread `tid` of `g` (`whole`: as /proc/<tid> shows it), found
 * in the pid table `pids`, or undefined when it has gone. The leader's id
 * stays valid while the process is not reaped: once its thread has exited,
 * it is shown as a zombie.
 */
export function viewOf(pids: Pick<PidTable, 'task'>, g: ThreadGroup, tid: number, whole: boolean): TaskView | undefined {
  if (g.reaped) return undefined;
  const live = pids.task(tid);
  const thread = live?.group === g ? live : undefined;
  if (thread === undefined && tid !== g.pid) return undefined;
  return { group: g, tid, thread, res: thread ?? (whole ? g.leader : undefined), whole };
}

/** The thread's name; a zombie's is its program's, as exec named it (the exited thread's own is not kept). */
export function commOf(v: TaskView): string {
  if (v.thread !== undefined) return v.thread.comm;
  const path = v.group.exePath;
  return path.slice(path.lastIndexOf('/') + 1).slice(0, 15);
}

/** Threads the process counts: the live ones, and its leader while it is a zombie (as Linux's nr_threads). */
export function threadCount(g: ThreadGroup): number {
  let leaderLives = false;
  for (const t of g.tasks) if (t.tid === g.pid) leaderLives = true;
  return g.tasks.size + (leaderLives ? 0 : 1);
}

/** The state letter and name the scheduler's state maps to. */
function stateOf(v: TaskView): [string, string] {
  switch (v.thread?.state) {
    case undefined:
      return ['Z', 'zombie'];
    case 'runnable':
      return ['R', 'running'];
    case 'parked':
      return ['S', 'sleeping'];
    case 'stopped':
      return ['T', 'stopped'];
    case 'dead':
      return ['X', 'dead'];
  }
}

/** A 64-bit signal set given as 32-bit halves, as status prints it: 16 hex digits. */
function hex64(lo: number, hi: number): string {
  return ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16).padStart(16, '0');
}

/** Signals whose handler `pick` accepts, as 32-bit halves (bit sig - 1). */
function handled(t: Task | undefined, pick: (handler: number) => boolean): [number, number] {
  if (t === undefined) return [0, 0];
  let lo = 0;
  let hi = 0;
  t.signals.actions.forEach((a, sig) => {
    if (sig === 0 || !pick(a.handler)) return;
    if (sig <= 32) lo = (lo | (1 << (sig - 1))) >>> 0;
    else hi = (hi | (1 << (sig - 33))) >>> 0;
  });
  return [lo, hi];
}

/**
 * The thread's private pending signals: all it has pending less the
 * process's (a signal pending in both shows only in ShdPnd).
 */
function privatePending(t: Task | undefined): [number, number] {
  if (t === undefined) return [0, 0];
  const shared = t.group.sharedPending;
  return [(t.signals.pendingLo & ~shared.lo) >>> 0, (t.signals.pendingHi & ~shared.hi) >>> 0];
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

/** Queued signals of the process (SigQ's first figure): its shared queue and each thread's private pending ones. */
function queuedSignals(g: ThreadGroup): number {
  let n = g.sharedPending.queued;
  for (const t of g.tasks) {
    const [lo, hi] = privatePending(t);
    n += popcount(lo) + popcount(hi);
  }
  return n;
}

function fdSize(t: Task | undefined): number {
  if (t === undefined) return 0;
  let top = 0;
  for (const [fd] of t.fds.entries()) top = fd + 1;
  return Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, top))));
}

function kb(bytes: number): string {
  return `${String(Math.floor(bytes / 1024)).padStart(8)} kB`;
}

/** Memory of the view's process, or undefined for a zombie (Linux prints no Vm lines without an mm). */
function memoryOf(v: TaskView): MemoryFigures | undefined {
  return v.res === undefined ? undefined : memoryFigures(v.res.mm as MemorySource);
}

export function statusText(v: TaskView): string {
  const g = v.group;
  const t = v.thread;
  const c = g.creds;
  const [state, stateName] = stateOf(v);
  const lines = [`Name:\t${commOf(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`];
  if (v.res !== undefined) lines.push(`Umask:\t${v.res.fs.umask.toString(8).padStart(4, '0')}`);
  lines.push(
    `State:\t${state} (${stateName})`,
    `Tgid:\t${g.pid}`,
    'Ngid:\t0',
    `Pid:\t${v.tid}`,
    `PPid:\t${g.parent?.pid ?? 0}`,
    'TracerPid:\t0',
    `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.euid}`,
    `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.egid}`,
    `FDSize:\t${fdSize(v.res)}`,
    `Groups:\t${c.groups.map((x) => `${x} `).join('')}`,
    `NStgid:\t${g.pid}`,
    `NSpid:\t${v.tid}`,
    `NSpgid:\t${g.pgid}`,
    `NSsid:\t${g.sid}`,
  );
  const m = memoryOf(v);
  if (m !== undefined) {
    lines.push(
      `VmPeak:\t${kb(m.peak)}`,
      `VmSize:\t${kb(m.size)}`,
      `VmLck:\t${kb(m.locked)}`,
      `VmPin:\t${kb(0)}`,
      `VmHWM:\t${kb(m.rssPeak)}`,
      `VmRSS:\t${kb(m.rss)}`,
      `VmData:\t${kb(m.data)}`,
      `VmStk:\t${kb(m.stack)}`,
      `VmExe:\t${kb(m.exe)}`,
      `VmLib:\t${kb(m.lib)}`,
      `VmSwap:\t${kb(0)}`,
      `HugetlbPages:\t${kb(0)}`,
    );
  }
  const [pndLo, pndHi] = privatePending(t);
  const [ignLo, ignHi] = handled(t, (h) => h === SIG_IGN);
  const [cgtLo, cgtHi] = handled(t, (h) => h !== SIG_IGN && h !== SIG_DFL);
  const caps = c.euid === 0 ? ALL_CAPS : NO_CAPS;
  lines.push(
    'CoreDumping:\t0',
    `THP_enabled:\t${m === undefined ? 0 : 1}`,
    `Threads:\t${threadCount(g)}`,
    `SigQ:\t${queuedSignals(g)}/${ulong(getRlimitOf(g, RLIMIT_SIGPENDING).cur)}`,
    `SigPnd:\t${hex64(pndLo, pndHi)}`,
    `ShdPnd:\t${hex64(g.sharedPending.lo, g.sharedPending.hi)}`,
    `SigBlk:\t${hex64(t?.signals.maskLo ?? 0, t?.signals.maskHi ?? 0)}`,
    `SigIgn:\t${hex64(ignLo, ignHi)}`,
    `SigCgt:\t${hex64(cgtLo, cgtHi)}`,
    `CapInh:\t${NO_CAPS}`,
    `CapPrm:\t${caps}`,
    `CapEff:\t${caps}`,
    `CapBnd:\t${ALL_CAPS}`,
    `CapAmb:\t${NO_CAPS}`,
    'Seccomp:\t0',
    'Cpus_allowed:\t1',
    'Cpus_allowed_list:\t0',
    'Mems_allowed:\t1',
    'Mems_allowed_list:\t0',
    '',
  );
  return lines.join('\n');
}

function ticks(ns: number): number {
  return Math.floor(ns / NS_PER_TICK);
}

/** The CPU time the view reports: the process's (every thread, live or ended) or the thread's own. */
function cpuOf(v: TaskView): CpuTimes {
  if (v.whole) return v.group.cpuTimes();
  return { userNs: v.thread?.userNs ?? 0, sysNs: v.thread?.sysNs ?? 0 };
}

/**
 * /proc/<pid>/stat: 52 fields in Linux's order. The addresses Linux shows
 * only to a reader that may ptrace the process (stack, arguments,
 * environment, data and brk) are 0, as it shows them to others; so are
 * counters the Sentry does not keep (major faults, swaps, block I/O delay).
 * Nice and policy are the defaults (20, SCHED_OTHER).
 */
export function statText(v: TaskView, kernel: Kernel): string {
  const g = v.group;
  const t = v.thread;
  const [state] = stateOf(v);
  const cpu = cpuOf(v);
  const m = memoryOf(v);
  const mask31 = (lo: number) => (lo & 0x7fffffff) >>> 0;
  const [ignLo] = handled(t, (h) => h === SIG_IGN);
  const [cgtLo] = handled(t, (h) => h !== SIG_IGN && h !== SIG_DFL);
  const exitSignal = v.tid === g.pid ? g.exitSignal : -1; // threads have none
  const exitCode = t === undefined && g.exitStatus !== undefined ? waitStatus(g.exitStatus) : 0;
  const fields: (number | string)[] = [
    v.tid,
    `(${commOf(v)})`,
    state,
    g.parent?.pid ?? 0,
    g.pgid,
    g.sid,
    0,
    -1,
    0, // tty_nr, tpgid (no controlling terminal), flags (no PF_* flag applies: no ASLR, no kernel thread)
    m?.faults ?? 0,
    0,
    0,
    0, // minflt, cminflt, majflt, cmajflt
    ticks(cpu.userNs),
    ticks(cpu.sysNs),
    v.whole ? ticks(g.childCpu.userNs) : 0,
    v.whole ? ticks(g.childCpu.sysNs) : 0,
    20,
    0,
    threadCount(g),
    0, // priority, nice, num_threads, itrealvalue
    ticks((g.started - kernel.bootTime) * 1e6),
    m?.size ?? 0,
    Math.floor((m?.rss ?? 0) / 4096),
    ulong(getRlimitOf(g, RLIMIT_RSS).cur),
    m?.codeStart ?? 0,
    m?.codeEnd ?? 0,
    0,
    0,
    0, // startcode, endcode, startstack, kstkesp, kstkeip
    mask31(privatePending(t)[0]),
    mask31(t?.signals.maskLo ?? 0),
    mask31(ignLo),
    mask31(cgtLo),
    0,
    0,
    0,
    exitSignal,
    0,
    0,
    0,
    0,
    0,
    0, // wchan, nswap, cnswap, exit_signal, processor, rt_priority, policy, blkio, guest, cguest
    0,
    0,
    0,
    0,
    0,
    0,
    0, // start_data, end_data, start_brk, arg_start, arg_end, env_start, env_end
    exitCode,
  ];
  return `${fields.join(' ')}\n`;
}

/** /proc/<pid>/statm: size resident shared text lib data dt, in pages (lib and dt are always 0 since Linux 2.6). */
export function statmText(v: TaskView): string {
  const m = memoryOf(v);
  if (m === undefined) return '0 0 0 0 0 0 0\n';
  const pages = (bytes: number) => Math.floor(bytes / 4096);
  return `${pages(m.size)} ${pages(m.rss)} 0 ${pages(m.exe)} 0 ${pages(m.data + m.stack)} 0\n`;
}

const LIMITS: readonly [name: string, unit: string][] = [
  ['Max cpu time', 'seconds'],
  ['Max file size', 'bytes'],
  ['Max data size', 'bytes'],
  ['Max stack size', 'bytes'],
  ['Max core file size', 'bytes'],
  ['Max resident set', 'bytes'],
  ['Max processes', 'processes'],
  ['Max open files', 'files'],
  ['Max locked memory', 'bytes'],
  ['Max address space', 'bytes'],
  ['Max file locks', 'locks'],
  ['Max pending signals', 'signals'],
  ['Max msgqueue size', 'bytes'],
  ['Max nice priority', ''],
  ['Max realtime priority', ''],
  ['Max realtime timeout', 'us'],
];

function fmtLimit(n: number): string {
  return n === Infinity ? 'unlimited' : String(n);
}

/** A limit as an unsigned long: RLIM_INFINITY is all ones. */
function ulong(n: number): string {
  return n === Infinity ? ULONG_MAX : String(n);
}

/** /proc/<pid>/limits, laid out as Linux's proc_pid_limits prints it. */
export function limitsText(v: TaskView): string {
  let s = `${'Limit'.padEnd(25)} ${'Soft Limit'.padEnd(20)} ${'Hard Limit'.padEnd(20)} ${'Units'.padEnd(10)}\n`;
  for (let r = 0; r < RLIM_NLIMITS; r++) {
    const l = v.res === undefined ? getRlimitOf(v.group, r) : getRlimit(v.res, r);
    const [name, unit] = LIMITS[r]!;
    s += `${name.padEnd(25)} ${fmtLimit(l.cur).padEnd(20)} ${fmtLimit(l.max).padEnd(20)} ${unit === '' ? '\n' : `${unit.padEnd(10)}\n`}`;
  }
  return s;
}
