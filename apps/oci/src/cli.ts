// The tsv-oci command line, runc's: global options, then a command and its
// options, then the container id. Flags are written `--flag value`,
// `--flag=value` or with one dash, as Go's flag package takes them (engines
// call runc so). A failed command prints one line (and logs it) and exits 1.
import { existsSync, fstatSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './config.js';
import { exec, type ExecOptions, execProxyMain } from './exec.js';
import { CommandError, create, type CreateOptions, type Globals, kill, pause, remove, run, start } from './lifecycle.js';
import { Log } from './log.js';
import { list, ps, state } from './query.js';
import { parseSignal } from './signals.js';
import { defaultSpec } from './spec.js';
import { DEFAULT_ROOT } from './state.js';

const USAGE = `usage: tsv-oci [global options] <command> [options] <container-id>

tsv as an OCI runtime: each container is a tsv sandbox (a KVM virtual machine
whose kernel is the TypeScript Sentry), driven with runc's command line.

commands:
  spec [--bundle DIR]                     write a default config.json
  create [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] ID
                                          boot the sandbox; the program waits for start
  start ID                                run the created container's program
  run [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] [--detach] ID
                                          create and start; wait for the end and delete
  exec [--process FILE | --env K=V --cwd DIR --user UID[:GID] --tty] [--console-socket S]
       [--pid-file F] [--detach] [--preserve-fds N] ID [COMMAND ARGS...]
                                          another program in the running container
  state ID                                the state as JSON (runtime spec)
  kill [--all] ID [SIGNAL]                send a signal (default SIGTERM)
  delete [--force] ID                     remove a stopped (or, forced, any) container
  list [--format table|json] [--quiet]    every container
  ps [--format table|json] ID             the host processes of a container
  pause ID, resume ID                     freeze every process of the container, and thaw them

global options:
  --root DIR          where containers' state is kept            default ${DEFAULT_ROOT}
  --log FILE          the runtime's log                          default stderr
  --log-format F      text or json                               default text
  --debug             debug lines in the log
  --systemd-cgroup    accepted; tsv creates no cgroup (the limits are the sandbox's own)
`;

/** A flag's value: a string, a switch, or a string that may repeat (--env). */
/** Most descriptors --preserve-fds passes (one SCM_RIGHTS message carries 253, less stdin, stdout and stderr). */
const MAX_PRESERVED = 250;

type FlagKind = 'string' | 'boolean' | 'strings';

/** Flags (by name, with one-letter aliases) then positionals, as urfave/cli parses runc's. */
function parse(args: string[], spec: Record<string, FlagKind>, aliases: Record<string, string> = {}) {
  const values: Record<string, string | boolean> = {};
  const lists: Record<string, string[]> = {};
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const [raw, inline] = a.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
    const name = aliases[raw] ?? raw;
    const kind = spec[name];
    if (kind === undefined) throw new CommandError(`flag provided but not defined: -${raw}`);
    if (kind === 'boolean') {
      values[name] = inline === undefined ? true : inline === 'true';
      continue;
    }
    let value: string;
    if (inline !== undefined) value = inline;
    else if (i + 1 < args.length) value = args[++i]!;
    else throw new CommandError(`flag needs an argument: -${raw}`);
    if (kind === 'strings') (lists[name] ??= []).push(value);
    else values[name] = value;
  }
  return { values, lists, rest: args.slice(i) };
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

function oneId(rest: string[], command: string): string {
  if (rest.length !== 1) throw new CommandError(`${command}: one container id expected`);
  return rest[0]!;
}

function format(v: string | boolean | undefined): 'table' | 'json' {
  const f = str(v) ?? 'table';
  if (f !== 'table' && f !== 'json') throw new CommandError(`invalid format '${f}' (table or json)`);
  return f;
}

const CREATE_FLAGS: Record<string, FlagKind> = {
  bundle: 'string',
  'pid-file': 'string',
  'console-socket': 'string',
  'preserve-fds': 'string',
  'no-pivot': 'boolean',
  'no-new-keyring': 'boolean',
};

/** --preserve-fds N: descriptors 3..3+N-1, each of which must be open here. */
function preserveFds(values: Record<string, string | boolean>): number {
  const keep = str(values['preserve-fds']) ?? '0';
  if (!/^\d+$/.test(keep) || Number(keep) > MAX_PRESERVED)
    throw new CommandError(`--preserve-fds: a number up to ${MAX_PRESERVED} expected, got '${keep}'`);
  for (let fd = 3; fd < 3 + Number(keep); fd++) {
    try {
      fstatSync(fd);
    } catch {
      throw new CommandError(`--preserve-fds ${keep}: descriptor ${fd} is not open`);
    }
  }
  return Number(keep);
}

function createOptions(values: Record<string, string | boolean>, rest: string[], command: string): CreateOptions {
  const pidFile = str(values['pid-file']);
  const consoleSocket = str(values['console-socket']);
  return {
    id: oneId(rest, command),
    bundle: resolve(str(values.bundle) ?? '.'),
    pidFile: pidFile === undefined ? undefined : resolve(pidFile),
    consoleSocket: consoleSocket === undefined ? undefined : resolve(consoleSocket),
    preserveFds: preserveFds(values),
  };
}

const EXEC_FLAGS: Record<string, FlagKind> = {
  'console-socket': 'string',
  cwd: 'string',
  env: 'strings',
  tty: 'boolean',
  user: 'string',
  'additional-gids': 'strings',
  process: 'string',
  detach: 'boolean',
  'pid-file': 'string',
  'process-label': 'string',
  apparmor: 'string',
  'no-new-privs': 'boolean',
  cap: 'strings',
  'preserve-fds': 'string',
  cgroup: 'strings',
  'ignore-paused': 'boolean',
};

function execOptions(args: string[]): ExecOptions {
  const { values, lists, rest } = parse(args, EXEC_FLAGS, {
    e: 'env',
    t: 'tty',
    u: 'user',
    g: 'additional-gids',
    p: 'process',
    d: 'detach',
    c: 'cap',
  });
  // What the sandbox cannot honour is refused, as in config.json.
  if (str(values['process-label']) !== undefined) throw new CommandError('--process-label: SELinux labels are not supported');
  if (str(values.apparmor) !== undefined)
    throw new CommandError('--apparmor: AppArmor profiles are not supported (the sandbox is the boundary)');
  if ((lists.cgroup ?? []).length > 0) throw new CommandError('--cgroup: tsv creates no cgroup');
  // --cap: accepted, not enforced (uid 0 is privileged in the sandbox, nothing reaches the host), as process.capabilities.
  if (rest.length === 0) throw new CommandError('exec: a container id expected');
  const [id, ...argv] = rest as [string, ...string[]];
  const file = str(values.process);
  const pidFile = str(values['pid-file']);
  const consoleSocket = str(values['console-socket']);
  return {
    id,
    args: argv,
    processFile: file,
    env: lists.env ?? [],
    cwd: str(values.cwd),
    user: str(values.user),
    groups: lists['additional-gids'] ?? [],
    tty: values.tty === true,
    consoleSocket: consoleSocket === undefined ? undefined : resolve(consoleSocket),
    pidFile: pidFile === undefined ? undefined : resolve(pidFile),
    detach: values.detach === true,
    preserveFds: preserveFds(values),
  };
}

async function command(g: Globals, name: string, args: string[]): Promise<number> {
  switch (name) {
    case 'spec': {
      const { values } = parse(args, { bundle: 'string', rootless: 'boolean' }, { b: 'bundle' });
      const path = resolve(str(values.bundle) ?? '.', 'config.json');
      if (existsSync(path)) throw new CommandError(`File ${path} exists. Remove it first`);
      writeFileSync(path, `${JSON.stringify(defaultSpec(), null, 2)}\n`);
      return 0;
    }
    case 'create': {
      const { values, rest } = parse(args, CREATE_FLAGS, { b: 'bundle' });
      (await create(g, createOptions(values, rest, name))).unref();
      return 0;
    }
    case 'run': {
      const { values, rest } = parse(args, { ...CREATE_FLAGS, detach: 'boolean', keep: 'boolean' }, { b: 'bundle', d: 'detach' });
      return run(g, createOptions(values, rest, name), values.detach === true);
    }
    case 'start':
      await start(g, oneId(parse(args, {}).rest, name));
      return 0;
    case 'state':
      process.stdout.write(state(g, oneId(parse(args, {}).rest, name)));
      return 0;
    case 'kill': {
      const { values, rest } = parse(args, { all: 'boolean' }, { a: 'all' });
      if (rest.length < 1 || rest.length > 2) throw new CommandError('kill: a container id and at most one signal expected');
      const signal = parseSignal(rest[1] ?? 'SIGTERM');
      if (signal === null) throw new CommandError(`unknown signal '${rest[1]}'`);
      await kill(g, rest[0]!, signal, values.all === true);
      return 0;
    }
    case 'delete': {
      const { values, rest } = parse(args, { force: 'boolean' }, { f: 'force' });
      await remove(g, oneId(rest, name), values.force === true);
      return 0;
    }
    case 'list': {
      const { values } = parse(args, { format: 'string', quiet: 'boolean' }, { f: 'format', q: 'quiet' });
      process.stdout.write(list(g, format(values.format), values.quiet === true));
      return 0;
    }
    case 'ps': {
      const { values, rest } = parse(args, { format: 'string' }, { f: 'format' });
      if (rest.length < 1) throw new CommandError('ps: a container id expected');
      process.stdout.write(await ps(g, rest[0]!, format(values.format)));
      return 0;
    }
    case 'exec':
      return exec(g, execOptions(args));
    case 'pause':
    case 'resume':
      await pause(g, oneId(parse(args, {}).rest, name), name);
      return 0;
    case 'checkpoint':
    case 'restore':
    case 'update':
    case 'events':
      throw new CommandError(`${name}: not supported by tsv-oci`);
    default:
      throw new CommandError(`unknown command '${name}'`);
  }
}

export async function main(argv: string[]): Promise<number> {
  // The host process standing for a program `exec` started (exec.ts): not a command for people.
  if (argv[0] === 'exec-proxy' && argv.length === 3) process.exit(await execProxyMain(argv[1]!, argv[2]!));
  let log = new Log(undefined, 'text');
  try {
    const { values, rest } = parse(argv, {
      root: 'string',
      log: 'string',
      'log-format': 'string',
      debug: 'boolean',
      'systemd-cgroup': 'boolean',
      criu: 'string',
      rootless: 'string',
      help: 'boolean',
      version: 'boolean',
      h: 'boolean',
      v: 'boolean',
    });
    const logFormat = str(values['log-format']) ?? 'text';
    if (logFormat !== 'text' && logFormat !== 'json') throw new CommandError(`invalid log format '${logFormat}' (text or json)`);
    const logFile = str(values.log);
    log = new Log(logFile === undefined ? undefined : resolve(logFile), logFormat, { debug: values.debug === true });
    if (values.version || values.v) {
      process.stdout.write('tsv-oci version 0.0.0\nspec: 1.0.2\n');
      return 0;
    }
    const [name, ...args] = rest;
    if (name === undefined || name === 'help' || values.help || values.h) {
      process.stdout.write(USAGE);
      return name === undefined && !values.help && !values.h ? 2 : 0;
    }
    log.write('debug', `${name} ${args.join(' ')}`);
    return await command({ root: resolve(str(values.root) ?? DEFAULT_ROOT), log }, name, args);
  } catch (e) {
    if (!(e instanceof CommandError || e instanceof ConfigError)) throw e;
    log.error(e.message);
    return 1;
  }
}
