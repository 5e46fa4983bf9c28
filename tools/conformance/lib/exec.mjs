// Runs one process to completion and reports its status the way a shell shows
// it (128+N when killed by signal N). stdin, stdout and stderr are regular
// files, not the socketpairs Node would otherwise hand out, so a program sees
// the same kind of descriptor natively and in the sandbox, and a run never
// depends on how fast the parent drains a pipe.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { withTempDir } from './tmp.mjs';

/** Environment every program sees, natively and in the sandbox. */
export const BASE_ENV = Object.freeze({ PATH: '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC', HOME: '/nonexistent' });

/**
 * @param {string[]} argv  argv[0] is the executable
 * @param {{cwd: string, stdin?: string, env: Record<string,string>, timeoutMs: number}} opts
 * @returns {{status: number|string, stdout: Buffer, stderr: Buffer}}
 *   status is a number, or 'timeout' / 'spawn error: …' when there is none.
 */
export function runProcess(argv, { cwd, stdin = '', env, timeoutMs }) {
  return withTempDir((io) => {
    const paths = ['stdin', 'stdout', 'stderr'].map((n) => join(io, n));
    writeFileSync(paths[0], stdin);
    const fds = [openSync(paths[0], 'r'), openSync(paths[1], 'w'), openSync(paths[2], 'w')];
    let r;
    try {
      r = spawnSync(argv[0], argv.slice(1), { cwd, env, stdio: fds, timeout: timeoutMs, killSignal: 'SIGKILL' });
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
    const out = { stdout: readFileSync(paths[1]), stderr: readFileSync(paths[2]) };
    if (r.error?.code === 'ETIMEDOUT') return { status: 'timeout', ...out };
    if (r.error) return { status: `spawn error: ${r.error.code ?? r.error.message}`, ...out };
    if (r.signal) return { status: 128 + constants.signals[r.signal], ...out };
    return { status: r.status, ...out };
  });
}
