// `tsv run --stats`: what a run cost, printed at exit.
import type { RunStats } from '@tsv/sentry';

export function formatStats(s: RunStats): string {
  const lines: string[] = [];
  const e = s.exits;
  const total = e.syscall + e.fault + e.interrupt + e.other;
  lines.push(`tsv: ${total} guest exits: ${e.syscall} syscall, ${e.fault} fault, ${e.interrupt} interrupt, ${e.other} other`);
  lines.push(
    `tsv: host time per exit ${total > 0 ? Math.round(s.hostNs / total) : 0} ns; page faults resolved ${s.pageFaults}; wall ${s.wallMs.toFixed(1)} ms`,
  );
  if (s.kernelTraps > 0) lines.push(`tsv: ${s.kernelTraps} unexpected trap(s) in the guest kernel: the sandbox was killed`);
  const calls = [...s.syscalls].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const n = calls.reduce((acc, [, c]) => acc + c, 0);
  lines.push(`tsv: ${n} system calls:`);
  for (const [name, count] of calls) lines.push(`tsv:   ${String(count).padStart(8)}  ${name}`);
  for (const [name, count] of s.unimplemented) lines.push(`tsv:   unimplemented ${name} x${count}`);
  return lines.join('\n');
}
