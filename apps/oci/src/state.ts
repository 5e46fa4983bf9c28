// What the runtime keeps of each container under --root, so that every
// command works from a new process (containerd runs each as one):
// <root>/<id>/state.json, written atomically by `create` and by the
// container's own process (holder.ts), <root>/<id>/ctl.sock, where that
// process takes `start`, `kill`, `ps` and `exec`, and <root>/<id>/fds.sock,
// where it takes the descriptors of a program `exec` starts.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OCI_VERSION = '1.0.2';
export const DEFAULT_ROOT = '/run/tsv-oci';

/** The lifecycle states of the runtime spec ('creating' until the sandbox has booted), and runc's 'paused'. */
export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface ContainerState {
  id: string;
  bundle: string;
  /** The host process that holds the sandbox (0 until it runs). */
  pid: number;
  /** Its start time in clock ticks (/proc/PID/stat field 22): a pid reused by another process is not it. */
  startTime: number;
  status: Status;
  /** ISO time of `create`. */
  created: string;
  annotations: Record<string, string>;
  /** Where the container's process logs (the --log of `create`). */
  log?: string;
  logFormat?: 'text' | 'json';
  /** Descriptors 3.. of `create`'s caller passed on (--preserve-fds): the container's process has them from 4. */
  preserveFds?: number;
  /** The program's terminal (process.terminal, --console-socket): the container's process's stdio is its host pty's slave. */
  terminal?: { cols: number; rows: number };
  /** How the program ended, once stopped. */
  exit?: { code: number | null; signal: number | null };
}

/** runc's rule for container ids: letters, digits, '_', '+', '-', '.' (not '.' or '..'). */
export function validId(id: string): boolean {
  return /^[\w+\-.]+$/.test(id) && id !== '.' && id !== '..';
}

export const containerDir = (root: string, id: string): string => join(root, id);
export const controlPath = (dir: string): string => join(dir, 'ctl.sock');
/** Where `exec` sends the container's process the descriptors of a program it starts (SCM_RIGHTS). */
export const fdSocketPath = (dir: string): string => join(dir, 'fds.sock');

export function readState(dir: string): ContainerState | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ContainerState;
  } catch {
    return null;
  }
}

/** Replaces state.json whole (a reader never sees half of it). */
export function writeState(dir: string, s: ContainerState): void {
  const tmp = join(dir, `.state.${process.pid}.json`);
  writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
  renameSync(tmp, join(dir, 'state.json'));
}

/** `path` written atomically (the pid file: containerd reads it as soon as `create` returns). */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** A process's start time (clock ticks since boot), or null when it is gone or a zombie. */
export function processStartTime(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return null;
  return Number(fields[19]);
}

/** Whether the container's process is still the one that was started. */
export function holderAlive(s: ContainerState): boolean {
  return s.pid > 0 && processStartTime(s.pid) === s.startTime;
}

/** The status as seen now: a container whose process has ended is stopped, whatever it last wrote. */
export function currentStatus(s: ContainerState): Status {
  if (s.status === 'stopped') return 'stopped';
  if (s.status === 'creating') return s.pid === 0 || holderAlive(s) ? 'creating' : 'stopped';
  return holderAlive(s) ? s.status : 'stopped';
}

/** The state document of the runtime spec (`state` prints it). */
export function stateDocument(s: ContainerState, root: string | undefined): Record<string, unknown> {
  const status = currentStatus(s);
  return {
    ociVersion: OCI_VERSION,
    id: s.id,
    pid: status === 'stopped' ? 0 : s.pid,
    status,
    bundle: s.bundle,
    rootfs: root ?? '',
    created: s.created,
    owner: '',
    annotations: s.annotations,
  };
}

export function makeRoot(root: string): void {
  mkdirSync(root, { recursive: true, mode: 0o700 });
}

/** Ids of the containers under `root`. */
export function listIds(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && validId(d.name))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

export function removeContainerDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
