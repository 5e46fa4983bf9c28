import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../errno.js';
import { AT_FDCWD, type Env, O, setup } from './test-helpers.js';

const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
const S_IFMT = 0o170000;

let env: Env;
afterEach(() => env.cleanup());

function hasCc(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Native field layout and values for `file`, from testdata/statdump.c. */
function nativeStat(outDir: string, file: string): Map<string, { off: number; size: number; value: bigint }> {
  const exe = path.join(outDir, 'statdump');
  execFileSync('cc', ['-O0', '-o', exe, path.join(import.meta.dirname, 'testdata/statdump.c')]);
  const out = execFileSync(exe, [file], { encoding: 'utf8' });
  const m = new Map<string, { off: number; size: number; value: bigint }>();
  for (const line of out.trim().split('\n')) {
    const [name, off, size, value] = line.split(' ');
    m.set(name!, { off: Number(off), size: Number(size), value: BigInt(value!) });
  }
  return m;
}

function field(bytes: Uint8Array, off: number, size: number): bigint {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  if (size === 8) return v.getBigInt64(off, true);
  if (size === 4) return BigInt(v.getUint32(off, true));
  return BigInt(v.getUint16(off, true));
}

describe('stat structures against the native kernel', () => {
  it.skipIf(!hasCc())('struct stat and struct statx put every field where a C program reads it', () => {
    env = setup({ 'file.bin': 'x'.repeat(5000) });
    const hostFile = path.join(env.dir, 'file.bin');
    fs.utimesSync(hostFile, 1_700_000_000.25, 1_600_000_000.5);
    const native = nativeStat(env.dir, hostFile);
    expect(native.get('sizeof_stat')!.off).toBe(144);
    expect(native.get('sizeof_statx')!.off).toBe(256);
    const st = env.buf(144);
    expect(env.now('stat', env.str('/file.bin'), st)).toBe(0);
    const stBytes = env.bytes(st, 144);
    const sx = env.buf(256);
    expect(env.now('statx', AT_FDCWD, env.str('/file.bin'), 0, 0x7ff, sx)).toBe(0);
    const sxBytes = env.bytes(sx, 256);
    let compared = 0;
    for (const [name, f] of native) {
      if (name.startsWith('sizeof')) continue;
      const ours = field(name.startsWith('stx_') ? sxBytes : stBytes, f.off, f.size);
      expect(`${name}=${ours}`).toBe(`${name}=${f.value}`);
      compared++;
    }
    expect(compared).toBe(19);
    expect(new DataView(sxBytes.buffer).getUint32(0, true) & 0x7ff).toBe(0x7ff);
  });
});

describe('stat family', () => {
  it('stat follows symlinks, lstat does not; fstat and fstatat(AT_EMPTY_PATH) stat the descriptor', () => {
    env = setup({ f: 'abc', 'd/': '' });
    fs.symlinkSync('f', path.join(env.dir, 'l'));
    const st = env.buf(144);
    const mode = () => new DataView(env.bytes(st, 144).buffer).getUint32(24, true) & S_IFMT;
    const size = () => new DataView(env.bytes(st, 144).buffer).getBigInt64(48, true);
    expect(env.now('stat', env.str('/l'), st)).toBe(0);
    expect(mode()).toBe(0o100000);
    expect(size()).toBe(3n);
    expect(env.now('lstat', env.str('/l'), st)).toBe(0);
    expect(mode()).toBe(0o120000);
    expect(env.now('newfstatat', AT_FDCWD, env.str('l'), st, AT_SYMLINK_NOFOLLOW)).toBe(0);
    expect(mode()).toBe(0o120000);
    const d = env.now('openat', AT_FDCWD, env.str('/d'), O.RDONLY | O.DIRECTORY, 0);
    expect(env.now('fstat', d, st)).toBe(0);
    expect(mode()).toBe(0o040000);
    const f = env.now('open', env.str('/f'), O.RDONLY, 0);
    expect(env.now('newfstatat', f, env.str(''), st, AT_EMPTY_PATH)).toBe(0);
    expect(size()).toBe(3n);
    expect(env.now('newfstatat', f, 0, st, AT_EMPTY_PATH)).toBe(0);
    expect(env.now('newfstatat', f, env.str(''), st, 0)).toBe(-E.ENOENT);
    expect(env.now('newfstatat', f, env.str('x'), st, 0)).toBe(-E.ENOTDIR);
    expect(env.now('newfstatat', 99, env.str('x'), st, 0)).toBe(-E.EBADF);
    expect(env.now('newfstatat', 99, env.str('/f'), st, 0)).toBe(0); // absolute paths ignore dirfd
    expect(env.now('newfstatat', AT_FDCWD, env.str('/f'), st, 2)).toBe(-E.EINVAL);
    // A pipe stats as a FIFO through fstat and through AT_EMPTY_PATH.
    const p = env.buf(8);
    env.now('pipe', p);
    const r = new DataView(env.bytes(p, 8).buffer).getInt32(0, true);
    expect(env.now('newfstatat', r, env.str(''), st, AT_EMPTY_PATH)).toBe(0);
    expect(mode()).toBe(0o010000);
  });

  it('EFAULT, ENOENT, ENAMETOOLONG and EBADF', () => {
    env = setup({ f: '' });
    const st = env.buf(144);
    const bad = env.t.mm.unmapped;
    expect(env.now('stat', bad, st)).toBe(-E.EFAULT);
    expect(env.now('stat', env.str('/f'), bad)).toBe(-E.EFAULT);
    expect(env.now('stat', env.str('/f'), env.buf(100))).toBe(-E.EFAULT); // 144 bytes do not fit before the guard page
    expect(env.now('stat', env.str(''), st)).toBe(-E.ENOENT);
    expect(env.now('stat', env.str('/nope'), st)).toBe(-E.ENOENT);
    expect(env.now('stat', env.str(`/${'a'.repeat(5000)}`), st)).toBe(-E.ENAMETOOLONG);
    expect(env.now('fstat', -1, st)).toBe(-E.EBADF);
    expect(env.now('fstat', 3, st)).toBe(-E.EBADF);
    expect(env.now('statx', AT_FDCWD, env.str('/f'), 0x8000_0000, 0, st)).toBe(-E.EINVAL);
    expect(env.now('statx', AT_FDCWD, env.str('/f'), 0, 0x8000_0000, st)).toBe(-E.EINVAL);
    expect(env.now('statx', AT_FDCWD, env.str('/f'), 0x6000, 0, st)).toBe(-E.EINVAL);
    expect(env.now('statx', AT_FDCWD, env.str('/f'), 0, 0x7ff, bad)).toBe(-E.EFAULT);
  });

  it('statfs and fstatfs', () => {
    env = setup({ f: '' });
    const sf = env.buf(120);
    expect(env.now('statfs', env.str('/'), sf)).toBe(0);
    expect(new DataView(env.bytes(sf, 120).buffer).getBigInt64(64, true)).toBe(255n); // f_namelen
    const p = env.buf(8);
    env.now('pipe', p);
    expect(env.now('fstatfs', new DataView(env.bytes(p, 8).buffer).getInt32(0, true), sf)).toBe(0);
    expect(new DataView(env.bytes(sf, 120).buffer).getBigInt64(0, true)).toBe(0x50495045n);
    expect(env.now('statfs', env.str('/f'), env.t.mm.unmapped)).toBe(-E.EFAULT);
    expect(env.now('fstatfs', 42, sf)).toBe(-E.EBADF);
  });
});
