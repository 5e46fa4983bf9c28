// The tsv-oci command line, runc's: global options, then a command and its
// options, then the container id. Flags are written `--flag value`,
// `--flag=value` or with one dash, as Go's flag package takes them (engines
// call runc so). A failed command prints one line (and logs it) and exits 1.
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './config.js';
import { CommandError, create, type Globals, kill, remove, run, start } from './lifecycle.js';
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
  create [--bundle DIR] [--pid-file F] ID boot the sandbox; the program waits for start
  start ID                                run the created container's program
  run [--bundle DIR] [--pid-file F] [--detach] ID
                                          create and start; wait for the end and delete
  state ID                                the state as JSON (runtime spec)
  kill [--all] ID [SIGNAL]                send a signal (default SIGTERM)
  delete [--force] ID                     remove a stopped (or, forced, any) container
  list [--format table|json] [--quiet]    every container
  ps [--format table|json] ID             the host processes of a container

global options:
  --root DIR          where containers' state is kept            default ${DEFAULT_ROOT}
  --log FILE          the runtime's log                          default stderr
  --log-format F      text or json                               default text
  --debug             debug lines in the log
  --systemd-cgroup    accepted; tsv creates no cgroup (the limits are the sandbox's own)
`;

type FlagKind = 'string' | 'boolean';

/** Flags (by name, with one-letter aliases) then positionals, as urfave/cli parses runc's. */
function parse(args: string[], spec: Record<string, FlagKind>, aliases: Record<string, string> = {}) {
  const values: Record<string, string | boolean> = {};
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
    if (kind === 'boolean') values[name] = inline === undefined ? true : inline === 'true';
    else if (inline !== undefined) values[name] = inline;
    else if (i + 1 < args.length) values[name] = args[++i]!;
    else throw new CommandError(`flag needs an argument: -${raw}`);
  }
  return { values, rest: args.slice(i) };
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

function createOptions(values: Record<string, string | boolean>, rest: string[], command: string) {
  if (str(values['console-socket']) !== undefined)
    throw new CommandError('--console-socket: a terminal (pty) for the container is not supported by tsv-oci yet');
  const keep = str(values['preserve-fds']) ?? '0';
  if (!/^\d+$/.test(keep)) throw new CommandError(`--preserve-fds: a number expected, got '${keep}'`);
  if (keep !== '0') throw new CommandError('--preserve-fds: passing extra host descriptors into the sandbox is not supported');
  const pidFile = str(values['pid-file']);
  return {
    id: oneId(rest, command),
    bundle: resolve(str(values.bundle) ?? '.'),
    pidFile: pidFile === undefined ? undefined : resolve(pidFile),
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
      throw new CommandError('exec: a second process in a running sandbox is not supported by tsv-oci yet');
    case 'pause':
    case 'resume':
      throw new CommandError(`${name}: not supported (a sandbox cannot be frozen yet)`);
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
