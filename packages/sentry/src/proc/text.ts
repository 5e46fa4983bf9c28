// The text of /proc files, in Linux's formats (the fields programs parse:
// ps, top, libc, language runtimes reading their own status).
import * as os from 'node:os';
import type { Kernel } from '../kernel/kernel.js';
import { SIG_DFL, SIG_IGN } from '../kernel/signals.js';
import type { Task } from '../kernel/task.js';

/** A 64-bit signal set as /proc prints it: 16 hex digits, bit (sig - 1). */
function sigset(t: Task, pick: (sig: number) => boolean): string {
  let v = 0n;
  for (let sig = 1; sig < t.signals.actions.length; sig++) if (pick(sig)) v |= 1n << BigInt(sig - 1);
  return v.toString(16).padStart(16, '0');
}

function fdCount(t: Task): number {
  let n = 0;
  for (const [fd] of t.fds.entries()) n = fd + 1;
  return n;
}

export function statusText(t: Task): string {
  const c = t.creds;
  const blocked = (BigInt(t.signals.maskHi >>> 0) << 32n) | BigInt(t.signals.maskLo >>> 0);
  const handler = (sig: number) => t.signals.actions[sig]!.handler;
  return [
    `Name:\t${t.comm}`,
    `Umask:\t${t.fs.umask.toString(8).padStart(4, '0')}`,
    'State:\tR (running)',
    `Tgid:\t${t.pid}`,
    'Ngid:\t0',
    `Pid:\t${t.tid}`,
    `PPid:\t${t.ppid}`,
    'TracerPid:\t0',
    `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.euid}`,
    `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.egid}`,
    `FDSize:\t${Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, fdCount(t)))))}`,
    `Groups:\t${c.groups.join(' ')}${c.groups.length > 0 ? ' ' : ''}`,
    'Threads:\t1',
    `SigBlk:\t${blocked.toString(16).padStart(16, '0')}`,
    `SigIgn:\t${sigset(t, (s) => handler(s) === SIG_IGN)}`,
    `SigCgt:\t${sigset(t, (s) => handler(s) !== SIG_IGN && handler(s) !== SIG_DFL)}`,
    '',
  ].join('\n');
}

/**
 * /proc/<pid>/stat: 52 fields; times and memory figures the Sentry does not
 * track are 0 (the start time too: every process starts at the sandbox's boot).
 */
export function statText(t: Task): string {
  const fields: (number | string)[] = [
    t.pid, `(${t.comm})`, 'R', t.ppid, t.pgid, t.sid, 0, -1, 0x400000, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0, 0, 0, 0,
    '18446744073709551615',
  ];
  while (fields.length < 52) fields.push(fields.length === 37 ? 17 : 0);
  return `${fields.join(' ')}\n`;
}

/** One processor (the sandbox runs on one vCPU), named as the host's. */
export function cpuinfoText(): string {
  const cpu = os.cpus()[0];
  return [
    'processor\t: 0',
    `model name\t: ${cpu?.model ?? 'unknown'}`,
    `cpu MHz\t\t: ${(cpu?.speed ?? 0).toFixed(3)}`,
    'cpu cores\t: 1',
    '',
    '',
  ].join('\n');
}

/** Guest memory as the platform sizes it — not the host's. */
export function meminfoText(k: Kernel | undefined): string {
  const total = Math.floor((k?.platform.memory.capacity ?? 0) / 1024);
  const free = Math.max(0, total - Math.floor((k?.platform.memory.used ?? 0) / 1024));
  const line = (name: string, kb: number) => `${`${name}:`.padEnd(16)}${String(kb).padStart(8)} kB`;
  return `${[line('MemTotal', total), line('MemFree', free), line('MemAvailable', free), line('Buffers', 0), line('Cached', 0),
    line('SwapTotal', 0), line('SwapFree', 0)].join('\n')}\n`;
}

export function uptimeText(k: Kernel | undefined): string {
  const up = k === undefined ? 0 : (performance.now() - k.bootTime) / 1000;
  return `${up.toFixed(2)} ${up.toFixed(2)}\n`;
}
