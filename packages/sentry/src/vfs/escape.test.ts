// The rename + symlink escape through a writable volume, end to end through
// the system calls: the guest keeps a handle on /vol/a (a dirfd, its cwd, or
// /proc/self/fd/N), renames /vol/a to /vol/b and puts a symlink to a host
// directory at /vol/a. Whatever it does through the handle afterwards stays
// in the volume, and reaches /vol/b as on Linux.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { mountProc } from '../proc/index.js';
import { AT_FDCWD, type Env, O, setup } from '../syscalls/fs/test-helpers.js';
import { SECRET, snapshot } from './test-helpers.js';

let env: Env;
/** Host directory holding the volume and, beside it, outside/secret.txt. */
let base: string;
let vol: string;

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-escape-'));
  vol = path.join(base, 'vol');
  fs.mkdirSync(vol);
  fs.mkdirSync(path.join(base, 'outside'));
  fs.writeFileSync(path.join(base, 'outside', 'secret.txt'), SECRET);
  env = setup({}, { volumes: [`${vol}:/vol`] });
  const t = env.t;
  mountProc(t.kernel.vfs, { kernel: t.kernel, current: () => t });
});
afterEach(() => {
  env.cleanup();
  fs.rmSync(base, { recursive: true, force: true });
});

const s = (p: string): number => env.str(p);
const openat = (dfd: number, p: string, flags: number, mode = 0o644): number => env.now('openat', dfd, s(p), flags, mode);
const open = (p: string, flags: number, mode = 0o644): number => openat(AT_FDCWD, p, flags, mode);

function readAll(fd: number): string {
  const b = env.buf(4096);
  const n = env.now('read', fd, b, 4096);
  expect(n).toBeGreaterThanOrEqual(0);
  return env.text(b, n);
}

function writeNew(dfd: number, p: string, text: string): number {
  const fd = openat(dfd, p, O.WRONLY | O.CREAT | O.EXCL);
  if (fd < 0) return fd;
  expect(env.now('write', fd, env.buf(text.length, text), text.length)).toBe(text.length);
  return env.now('close', fd);
}

/** The attack's set-up: returns a descriptor of /vol/a, now /vol/b, with /vol/a a host symlink to `target`. */
function plant(target: string, chdir = false): number {
  expect(env.now('mkdir', s('/vol/a'), 0o755)).toBe(0);
  const fd = open('/vol/a', O.RDONLY | O.DIRECTORY);
  expect(fd).toBeGreaterThanOrEqual(0);
  if (chdir) expect(env.now('chdir', s('/vol/a'))).toBe(0);
  expect(env.now('rename', s('/vol/a'), s('/vol/b'))).toBe(0);
  expect(env.now('symlink', s(target), s('/vol/a'))).toBe(0);
  expect(fs.readlinkSync(path.join(vol, 'a'))).toBe(target); // the host really holds that symlink
  return fd;
}

/** Every kind of call through `dfd` + "outside/...": all ENOENT (b has no "outside"), and the host outside unchanged. */
function expectConfined(dfd: number): void {
  const outside = path.join(base, 'outside');
  const before = snapshot(outside);
  const p = (name: string): number => s(`outside/${name}`);
  expect(openat(dfd, 'outside/secret.txt', O.RDONLY)).toBe(-E.ENOENT);
  expect(openat(dfd, 'outside/planted', O.WRONLY | O.CREAT)).toBe(-E.ENOENT);
  expect(env.now('newfstatat', dfd, p('secret.txt'), env.buf(144), 0)).toBe(-E.ENOENT);
  expect(env.now('mkdirat', dfd, p('d'), 0o755)).toBe(-E.ENOENT);
  expect(env.now('symlinkat', s('/x'), dfd, p('l'))).toBe(-E.ENOENT);
  expect(env.now('linkat', dfd, p('secret.txt'), dfd, s('stolen'), 0)).toBe(-E.ENOENT);
  expect(env.now('renameat', dfd, p('secret.txt'), dfd, s('stolen'))).toBe(-E.ENOENT);
  expect(env.now('unlinkat', dfd, p('secret.txt'), 0)).toBe(-E.ENOENT);
  expect(env.now('fchmodat', dfd, p('secret.txt'), 0o777)).toBe(-E.ENOENT);
  expect(env.now('utimensat', dfd, p('secret.txt'), 0, 0)).toBe(-E.ENOENT);
  expect(env.now('readlinkat', dfd, p('secret.txt'), env.buf(64), 64)).toBe(-E.ENOENT);
  expect(snapshot(outside)).toEqual(before);
  expect(fs.existsSync(path.join(vol, 'b', 'stolen'))).toBe(false);
}

describe('a volume directory renamed and replaced by a symlink to the host', () => {
  it('a kept directory fd still names the renamed directory, and never the symlink', () => {
    const fd = plant(base);
    expectConfined(fd);
    expect(writeNew(fd, 'inside', 'via fd')).toBe(0);
    expect(fs.readFileSync(path.join(vol, 'b', 'inside'), 'latin1')).toBe('via fd');
    expect(env.now('mkdirat', fd, s('sub'), 0o755)).toBe(0);
    expect(fs.statSync(path.join(vol, 'b', 'sub')).isDirectory()).toBe(true);
  });

  it('the reviewer\'s case: a symlink to "/" does not give the host /etc/hostname or /tmp', () => {
    const fd = plant('/');
    expect(openat(fd, 'etc/hostname', O.RDONLY)).toBe(-E.ENOENT);
    expect(openat(fd, 'tmp/tsv-escape-planted', O.WRONLY | O.CREAT)).toBe(-E.ENOENT);
    expect(fs.existsSync('/tmp/tsv-escape-planted')).toBe(false);
    expect(env.now('fchdir', fd)).toBe(0);
    expect(env.now('stat', s('root'), env.buf(144))).toBe(-E.ENOENT);
  });

  it('through the working directory (chdir before the rename)', () => {
    plant(base, true);
    expectConfined(AT_FDCWD);
    expect(writeNew(AT_FDCWD, 'here', 'via cwd')).toBe(0);
    expect(fs.readFileSync(path.join(vol, 'b', 'here'), 'latin1')).toBe('via cwd');
  });

  it('through /proc/self/fd/N of the kept fd', () => {
    const fd = plant(base);
    const link = `/proc/self/fd/${fd}`;
    expect(open(`${link}/outside/secret.txt`, O.RDONLY)).toBe(-E.ENOENT);
    expect(open(`${link}/outside/planted`, O.WRONLY | O.CREAT)).toBe(-E.ENOENT);
    const viaLink = open(link, O.RDONLY | O.DIRECTORY);
    expect(viaLink).toBeGreaterThanOrEqual(0);
    expectConfined(viaLink);
    expect(writeNew(AT_FDCWD, `${link}/p`, 'via proc')).toBe(0);
    expect(fs.readFileSync(path.join(vol, 'b', 'p'), 'latin1')).toBe('via proc');
  });

  it('a kept file follows its rename; the symlink put in its place is never read', () => {
    fs.writeFileSync(path.join(vol, 'f'), 'volume file');
    const fd = open('/vol/f', O.PATH);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(env.now('rename', s('/vol/f'), s('/vol/g'))).toBe(0);
    expect(env.now('symlink', s(path.join(base, 'outside', 'secret.txt')), s('/vol/f'))).toBe(0);
    const again = open(`/proc/self/fd/${fd}`, O.RDONLY);
    expect(again).toBeGreaterThanOrEqual(0);
    expect(readAll(again)).toBe('volume file');
    // linkat(AT_EMPTY_PATH) links the renamed file, not the symlink nor what it names.
    expect(env.now('linkat', fd, s(''), AT_FDCWD, s('/vol/h'), 0x1000)).toBe(0);
    expect(fs.lstatSync(path.join(vol, 'h')).ino).toBe(fs.statSync(path.join(vol, 'g')).ino);
  });
});
