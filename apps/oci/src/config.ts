// config.json (the OCI runtime spec's bundle configuration) as a sandbox's
// options. Every field is either honoured, satisfied by the sandbox itself
// (it is its own pid, mount, network, ipc, uts namespaces; /proc, /sys and
// /dev are the Sentry's own and show nothing of the host), or refused with
// a ConfigError naming the field: nothing is silently ignored. README.md
// lists what each field becomes.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { SandboxOptions } from '@tsv/runner';
import { type FileBind, mountsOf, type TmpfsMount } from './config-mounts.js';
import { Fields, ConfigError } from './config-fields.js';
import { linuxOf } from './config-linux.js';

export { ConfigError };

/** What a container runs with, read from its bundle. */
export interface ContainerConfig {
  argv: string[];
  /** The sandbox's options, but for its standard streams. */
  options: SandboxOptions;
  /** In-memory directories to mount (tmpfs): the container's process makes their empty host directories. */
  tmpfs: TmpfsMount[];
  /** Bind mounts of single files: copies placed in the root's writable layer (the container's process reads them). */
  files: FileBind[];
  /** What the log is told at create: accepted fields whose effect tsv does not give (README.md says why). */
  warnings: string[];
  /** process.oomScoreAdj, applied to the container's host process. */
  oomScoreAdj: number | undefined;
  annotations: Record<string, string>;
  /** The root filesystem's host directory. */
  rootPath: string;
  /** Every system call to the log (annotation dev.tsv.strace=true). */
  strace: boolean;
  /** process.terminal, and process.consoleSize (0 where not given). */
  terminal: boolean;
  consoleSize: { cols: number; rows: number };
}

/** Annotations tsv reads (any other dev.tsv.* one is an error: a typo must not pass unnoticed). */
export const ANNOTATION_STRACE = 'dev.tsv.strace';
const TSV_ANNOTATION = /^dev\.tsv\./;

/** RLIMIT_* names and numbers (asm-generic/resource.h). */
const RLIMITS = [
  'CPU',
  'FSIZE',
  'DATA',
  'STACK',
  'CORE',
  'RSS',
  'NPROC',
  'NOFILE',
  'MEMLOCK',
  'AS',
  'LOCKS',
  'SIGPENDING',
  'MSGQUEUE',
  'NICE',
  'RTPRIO',
  'RTTIME',
];
/** A limit of 2^63 or more (RLIM_INFINITY is 2^64-1) is unlimited. */
const limitValue = (v: number): number => (v >= 2 ** 63 ? Infinity : v);

export function readConfig(bundle: string): ContainerConfig {
  const path = resolve(bundle, 'config.json');
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return translate(doc, bundle);
}

export function translate(doc: unknown, bundle: string): ContainerConfig {
  const c = new Fields(doc, '');
  c.only(['ociVersion', 'process', 'root', 'mounts', 'hostname', 'domainname', 'linux', 'annotations', 'hooks']);
  const version = c.string('ociVersion');
  if (version === undefined || !version.startsWith('1.')) c.refuse('ociVersion', `version 1.x expected, got ${String(version)}`);
  c.empty('hooks', 'hooks are not supported (nothing runs on the host)');
  c.empty('domainname', 'a domain name is not supported');

  const annotations = c.stringMap('annotations');
  let strace = false;
  for (const [k, v] of Object.entries(annotations)) {
    if (k === ANNOTATION_STRACE && (v === 'true' || v === 'false')) strace = v === 'true';
    else if (TSV_ANNOTATION.test(k)) c.refuse(`annotations.${k}`, `unknown tsv annotation or value '${v}'`);
  }

  const root = c.object('root');
  root.only(['path', 'readonly']);
  const rootPath = resolve(bundle, root.string('path') ?? c.refuse('root.path', 'required'));
  if (!existsSync(rootPath) || !statSync(rootPath).isDirectory()) c.refuse('root.path', `${rootPath} is not a directory`);
  const readonly = root.boolean('readonly') ?? false;

  const p = c.object('process');
  const proc = processOf(p);
  const mounts = mountsOf(c);
  if (mounts.files.length > 0 && readonly)
    c.refuse('root.readonly', 'a file bind mount needs a writable root (the file is a copy placed in it)');
  const { warnings, ...linux } = linuxOf(c.optionalObject('linux'));
  const options: SandboxOptions = {
    root: rootPath,
    overlay: !readonly,
    volumes: mounts.volumes,
    env: proc.env,
    cwd: proc.cwd,
    uid: proc.uid,
    gid: proc.gid,
    groups: proc.groups,
    rlimits: proc.rlimits,
    hostname: c.string('hostname'),
    ...linux,
  };
  return {
    argv: proc.args,
    options,
    tmpfs: mounts.tmpfs,
    files: mounts.files,
    warnings,
    oomScoreAdj: proc.oomScoreAdj,
    annotations,
    rootPath,
    strace,
    terminal: proc.terminal,
    consoleSize: proc.consoleSize,
  };
}

/** The process object (also the whole of an `exec --process` file). */
export function processOf(p: Fields) {
  p.only([
    'terminal',
    'consoleSize',
    'user',
    'args',
    'env',
    'cwd',
    'capabilities',
    'rlimits',
    'noNewPrivileges',
    'apparmorProfile',
    'oomScoreAdj',
    'selinuxLabel',
  ]);
  // A terminal comes with --console-socket (console.ts), which the command checks against it.
  const terminal = p.boolean('terminal') ?? false;
  const size = p.object('consoleSize');
  size.only(['height', 'width']);
  const consoleSize = { cols: size.natural('width') ?? 0, rows: size.natural('height') ?? 0 };
  if (consoleSize.cols > 0xffff || consoleSize.rows > 0xffff) p.refuse('consoleSize', 'at most 65535 columns and rows');
  p.empty('apparmorProfile', 'AppArmor profiles are not supported (the sandbox is the boundary)');
  p.empty('selinuxLabel', 'SELinux labels are not supported');
  // noNewPrivileges either way: exec never changes credentials in the sandbox (setuid bits are not honoured).
  p.boolean('noNewPrivileges');
  const args = p.stringArray('args');
  if (args.length === 0) p.refuse('args', 'at least the program is required');
  const env = p.stringArray('env');
  env.forEach((kv, i) => {
    if (!kv.includes('=')) p.refuse(`env[${i}]`, `K=V expected, got '${kv}'`);
  });
  const cwd = p.string('cwd') ?? p.refuse('cwd', 'required');
  if (!isAbsolute(cwd)) p.refuse('cwd', `an absolute path is required, got '${cwd}'`);

  const user = p.object('user');
  user.only(['uid', 'gid', 'umask', 'additionalGids']);
  const uid = user.natural('uid') ?? 0;
  const gid = user.natural('gid') ?? 0;
  const umask = user.natural('umask');
  if (umask !== undefined && umask !== 0o022) user.refuse('umask', 'only 0022 (the sandbox default) is supported');
  const groups = user.naturalArray('additionalGids');

  // Capability sets narrow what uid 0 may do inside the sandbox, which the Sentry does not model
  // (uid 0 is privileged in it, nothing reaches the host): accepted and documented, not enforced.
  p.optionalObject('capabilities');

  const rlimits = new Map<number, { soft: number; hard: number }>();
  p.array('rlimits').forEach((r, i) => {
    r.only(['type', 'soft', 'hard']);
    const type = r.string('type') ?? '';
    const n = RLIMITS.indexOf(type.replace(/^RLIMIT_/, ''));
    if (!type.startsWith('RLIMIT_') || n < 0) p.refuse(`rlimits[${i}].type`, `unknown limit '${type}'`);
    const soft = limitValue(r.natural('soft') ?? r.refuse('soft', 'required'));
    const hard = limitValue(r.natural('hard') ?? r.refuse('hard', 'required'));
    if (soft > hard) r.refuse('soft', 'greater than hard');
    rlimits.set(n, { soft, hard });
  });

  const oom = p.integer('oomScoreAdj');
  if (oom !== undefined && (oom < -1000 || oom > 1000)) p.refuse('oomScoreAdj', 'between -1000 and 1000 expected');
  return { args, env, cwd, uid, gid, groups, rlimits, oomScoreAdj: oom, terminal, consoleSize };
}
