// The one place that knows how to invoke tsv. TSV_CONFORMANCE_BIN overrides
// the CLI path (e.g. an installed build) without touching the suite.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './paths.mjs';

export const TSV_BIN = process.env.TSV_CONFORMANCE_BIN ?? join(REPO_ROOT, 'apps/runner/bin/tsv');

/** Where tsv's own warnings from conformance runs go. */
export const TSV_LOG = join(tmpdir(), `tsv-conformance-${process.pid}.log`);

let available;

/**
 * True when the CLI exists and its `help` lists a `run` command; a CLI that
 * predates `tsv run` counts as unavailable rather than as a failing tsv.
 */
export function tsvAvailable() {
  if (available === undefined) {
    available =
      existsSync(TSV_BIN) &&
      /^\s+run\b/m.test(spawnSync(process.execPath, [TSV_BIN, 'help'], { encoding: 'utf8', timeout: 30_000 }).stdout ?? '');
  }
  return available;
}

/**
 * Host directories tsv's default root shows (SYSTEM_DIRS in
 * packages/sentry/src/vfs/default-root.ts): a program there needs no volume.
 */
const SHOWN_BY_DEFAULT = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'usr', 'etc', 'opt'];

/**
 * The volumes a run needs in tsv's default root, which hides the host's /tmp
 * and /work: the program's directory read-only unless the root already shows
 * it, and the cwd (filled by the job's setup) as an overlay, so the program
 * may change it as natively while the cases test the Sentry's file semantics
 * rather than a host volume's policy (which strips set-user-ID bits). Both at
 * their host paths: the program sees the same names natively and here.
 */
function volumesFor(program, cwd) {
  const dir = dirname(program);
  const shown = SHOWN_BY_DEFAULT.some((d) => dir === `/${d}` || dir.startsWith(`/${d}/`));
  return [...(shown ? [] : ['--volume', `${dir}:${dir}:ro`]), '--volume', `${cwd}:${cwd}:overlay`];
}

/**
 * argv that runs `program args` in the sandbox's default root with guest cwd
 * `cwd` and guest environment exactly `env`. `program` must be an absolute
 * path.
 */
export function tsvArgv({ program, args = [], cwd, env = {} }) {
  const envFlags = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  // tsv's own warnings (e.g. an unimplemented system call) go to a log, so
  // that stderr holds only what the program wrote, as it does natively.
  return [
    process.execPath,
    TSV_BIN,
    'run',
    '--log',
    TSV_LOG,
    ...volumesFor(program, cwd),
    '--cwd',
    cwd,
    ...envFlags,
    '--',
    program,
    ...args,
  ];
}
