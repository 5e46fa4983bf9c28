import { closeSync, writeSync } from 'node:fs';
// How a child the runtime starts (the container's process, an exec proxy)
// tells the command that started it whether it got going: one JSON line on
// its descriptor 3, which then closes (lifecycle.ts readOutcome reads it).

/** The child's descriptor the outcome goes to. */
export const READY_FD = 3;

/** Writes the outcome and closes the channel; returns the status to end with on an error. */
export function tell(outcome: { ok: true } | { error: string }): number {
  try {
    writeSync(READY_FD, `${JSON.stringify(outcome)}\n`);
    closeSync(READY_FD);
  } catch {
    // The command is gone: nobody is told.
  }
  return 'error' in outcome ? 1 : 0;
}

/** Descriptors 3, 4, ... of a command given --preserve-fds N: passed to its child as stdio entries after READY_FD. */
export const preservedFds = (n: number): number[] => Array.from({ length: n }, (_, i) => 3 + i);

/** Where the child has them: from descriptor 4 on. */
export const childFds = (n: number): number[] => preservedFds(n).map((fd) => fd + 1);
