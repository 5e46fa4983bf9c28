// tsv-oci exec, --console-socket and --preserve-fds, run as an engine runs
// them: a new process per command, the engine's side played by the test
// (a console socket it listens on, descriptors it passes).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unixAccept, unixListen } from '@tsv/kvm-sys';
import { announceKvmSkip } from '@tsv/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartTime } from './state.js';
import { BIN, makeBundle, oci } from './test-bundle.js';

const newRoot = () => mkdtempSync(join(tmpdir(), 'tsv-oci-root-'));
const LOOP = 'echo up; while true; do sleep 1; done';

const opened: number[] = [];
afterEach(() => {
  for (const fd of opened.splice(0)) closeSync(fd);
});

/** A running container whose program loops; its id. */
function running(root: string, id: string, script = LOOP): string {
  const bundle = makeBundle(script);
  // The container's process keeps create's stdio: none here, so that nothing waits for it to close.
  expect(spawnSync(BIN, ['--root', root, 'create', '--bundle', bundle, id], { stdio: 'ignore' }).status).toBe(0);
  expect(oci(root, 'start', id).status).toBe(0);
  return bundle;
}

/** Waits until `cond()`, a bounded number of times (a broken runtime fails instead of hanging). */
async function until(cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

/** The engine's console socket: resolves with the terminal master the runtime sends there. */
async function consoleMaster(path: string, child: ChildProcess): Promise<number> {
  const listener = unixListen(path);
  opened.push(listener);
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    const m = unixAccept(listener);
    if (m !== null) {
      opened.push(...m.fds);
      expect(m.fds).toHaveLength(1);
      return m.fds[0]!;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no terminal came to the console socket');
}

/** Reads the terminal's screen until it shows `text`. */
function screenUntil(master: number, text: string): string {
  let screen = '';
  const b = Buffer.alloc(4096);
  while (!screen.includes(text)) {
    const n = readSync(master, b);
    if (n === 0) break;
    screen += b.subarray(0, n).toString();
  }
  return screen;
}

const exitOf = (child: ChildProcess) => new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

/** `exec --detach ...`: its status, without waiting for the stdio it leaves to the process it started. */
const execDetached = (root: string, ...args: string[]) =>
  exitOf(spawn(BIN, ['--root', root, 'exec', '--detach', ...args], { stdio: 'ignore' }));

describe.skipIf(announceKvmSkip())('tsv-oci exec', () => {
  it('runs a second process in the running container with its stdio and status; bad input is one line', () => {
    const root = newRoot();
    running(root, 'x1');
    const r = spawnSync(
      BIN,
      ['--root', root, 'exec', '--env', 'B=2', '--cwd', '/bin', 'x1', '/bin/sh', '-c', 'read l; echo "$l $B $PWD ppid=$PPID"; exit 7'],
      { input: 'typed\n', encoding: 'utf8' },
    );
    expect([r.status, r.stdout, r.stderr]).toEqual([7, 'typed 2 /bin ppid=0\n', '']);
    // The container's own program runs on.
    expect(JSON.parse(oci(root, 'state', 'x1').stdout).status).toBe('running');

    expect(oci(root, 'exec', 'x1', '/bin/nothing').stderr).toBe('tsv-oci: /bin/nothing: No such file or directory\n');
    expect(oci(root, 'exec', 'nope', '/bin/true').stderr).toBe('tsv-oci: container nope does not exist\n');
    expect(oci(root, 'exec', '--user', 'root', 'x1', '/bin/true').stderr).toBe(
      "tsv-oci: --user: UID[:GID] expected (numbers), got 'root'\n",
    );
    expect(oci(root, 'exec', 'x1').stderr).toBe('tsv-oci: exec: a command to run, or --process, is required\n');
    expect(oci(root, 'exec', '--user', '7:8', '--additional-gids', '30', '-g', '20', 'x1', '/bin/sh', '-c', 'busybox id -G')).toMatchObject(
      {
        status: 0,
        stdout: '8 20 30\n',
      },
    );
    expect(oci(root, 'exec', '--additional-gids', 'wheel', 'x1', '/bin/true').stderr).toBe(
      "tsv-oci: --additional-gids: a group number expected, got 'wheel'\n",
    );
    const proc = join(root, 'process.json');
    writeFileSync(proc, JSON.stringify({ args: ['/bin/true'], user: { uid: 'x' } }));
    expect(oci(root, 'exec', '--process', proc, 'x1').stderr).toBe(`tsv-oci: ${proc}: cwd: required\n`);
    writeFileSync(proc, JSON.stringify({ args: ['/bin/true'], cwd: '/', user: { uid: 'x' } }));
    expect(oci(root, 'exec', '--process', proc, 'x1').stderr).toBe(`tsv-oci: ${proc}: user.uid: an integer ≥ 0 expected\n`);
    writeFileSync(
      proc,
      JSON.stringify({ args: ['/bin/sh', '-c', 'echo $(busybox id -u) $A $PWD'], cwd: '/bin', env: ['A=1'], user: { uid: 7 } }),
    );
    expect(oci(root, 'exec', '--process', proc, 'x1')).toMatchObject({ status: 0, stdout: '7 1 /bin\n' });

    expect(oci(root, 'kill', 'x1', 'KILL').status).toBe(0);
    expect(oci(root, 'exec', 'x1', '/bin/true').stderr).toBe('tsv-oci: cannot exec in a stopped container\n');
    expect(oci(root, 'delete', 'x1').status).toBe(0);
  });

  it('--detach --pid-file: the process standing for it is what ps lists and signals reach', async () => {
    const root = newRoot();
    running(root, 'x2');
    const holder = JSON.parse(oci(root, 'state', 'x2').stdout).pid as number;
    const pidFile = join(root, 'exec.pid');
    expect(await execDetached(root, '--pid-file', pidFile, 'x2', '/bin/sh', '-c', 'trap "exit 4" TERM; while true; do sleep 1; done')).toBe(
      0,
    );
    const proxy = Number(readFileSync(pidFile, 'utf8'));
    const started = processStartTime(proxy);
    expect(started).not.toBeNull();
    expect(JSON.parse(oci(root, 'ps', '--format', 'json', 'x2').stdout)).toEqual([holder, proxy]);
    process.kill(proxy, 'SIGTERM'); // passed on to the program, whose handler ends it
    expect(await until(() => processStartTime(proxy) !== started)).toBe(true);
    expect(JSON.parse(oci(root, 'ps', '--format', 'json', 'x2').stdout)).toEqual([holder]);
    // A proxy killed outright takes its program with it.
    expect(await execDetached(root, '--pid-file', pidFile, 'x2', '/bin/sh', '-c', 'while true; do sleep 1; done')).toBe(0);
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    expect(await until(() => JSON.parse(oci(root, 'ps', '--format', 'json', 'x2').stdout).length === 1)).toBe(true);
    // delete --force leaves no proxy behind.
    expect(await execDetached(root, '--pid-file', pidFile, 'x2', '/bin/sh', '-c', 'while true; do sleep 1; done')).toBe(0);
    const last = Number(readFileSync(pidFile, 'utf8'));
    expect(oci(root, 'delete', '--force', 'x2').status).toBe(0);
    expect(processStartTime(last)).toBeNull();
  });

  it('--preserve-fds: descriptors 3.. of the caller are the program’s, for run and for exec', () => {
    const root = newRoot();
    const out = join(root, 'out');
    const fd = openSync(out, 'w');
    opened.push(fd);
    const bundle = makeBundle('echo from-run >&3');
    const r = spawnSync(BIN, ['--root', root, 'run', '--preserve-fds', '1', '--bundle', bundle, 'x3'], {
      stdio: ['ignore', 'pipe', 'pipe', fd],
    });
    expect([r.status, r.stderr.toString()]).toEqual([0, '']);
    running(root, 'x4');
    const e = spawnSync(BIN, ['--root', root, 'exec', '--preserve-fds', '1', 'x4', '/bin/sh', '-c', 'echo from-exec >&3'], {
      stdio: ['ignore', 'pipe', 'pipe', fd],
    });
    expect([e.status, e.stderr.toString()]).toEqual([0, '']);
    expect(readFileSync(out, 'utf8')).toBe('from-run\nfrom-exec\n');
    expect(oci(root, 'exec', '--preserve-fds', 'x', 'x4', '/bin/true').stderr).toBe(
      "tsv-oci: --preserve-fds: a number up to 250 expected, got 'x'\n",
    );
    expect(oci(root, 'exec', '--preserve-fds', '240', 'x4', '/bin/true').stderr).toMatch(
      /^tsv-oci: --preserve-fds 240: descriptor \d+ is not open\n$/,
    );
    expect(oci(root, 'delete', '--force', 'x4').status).toBe(0);
  });
});

describe.skipIf(announceKvmSkip())('tsv-oci --console-socket', () => {
  it('run with process.terminal sends the master of the container’s terminal to the console socket', async () => {
    const root = newRoot();
    const socket = join(root, 'console.sock');
    const bundle = makeBundle('', (c) => {
      c.process.terminal = true;
      c.process.args = ['/bin/sh'];
    });
    const child = spawn(BIN, ['--root', root, 'run', '--console-socket', socket, '--bundle', bundle, 't1'], { stdio: 'ignore' });
    const exited = exitOf(child);
    const master = await consoleMaster(socket, child);
    writeSync(master, 'tty; echo hi; exit 3\r');
    const screen = screenUntil(master, 'hi\r\n');
    expect(screen).toMatch(/\/dev\/pts\/0\r\nhi\r\n/);
    expect(await exited).toBe(3);
  });

  it('exec --tty --console-socket gives the process a terminal of its own', async () => {
    const root = newRoot();
    running(root, 't2');
    const socket = join(root, 'console.sock');
    const child = spawn(BIN, ['--root', root, 'exec', '--tty', '--console-socket', socket, 't2', '/bin/sh'], { stdio: 'ignore' });
    const exited = exitOf(child);
    const master = await consoleMaster(socket, child);
    writeSync(master, 'test -t 0 && echo "a tty"; exit 5\r');
    expect(screenUntil(master, 'a tty\r\n')).toContain('a tty\r\n');
    expect(await exited).toBe(5);
    expect(oci(root, 'exec', '--tty', 't2', '/bin/sh').stderr).toMatch(/^tsv-oci: process.terminal needs --console-socket/);
    expect(oci(root, 'exec', '--console-socket', socket, 't2', '/bin/sh').stderr).toBe(
      'tsv-oci: cannot use console socket if runc will not detach or allocate tty\n',
    );
    expect(oci(root, 'delete', '--force', 't2').status).toBe(0);
  });
});
