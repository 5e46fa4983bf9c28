// The in-memory filesystems share one budget with guest memory: contents,
// inodes and names are charged to the sandbox's MemoryAccount.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { MemoryAccount } from '../mm/account.js';
import { ENTRY_COST, INODE_COST } from './budget.js';
import { CHUNK, CHUNK_COST } from './filebytes.js';
import { O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from './constants.js';
import { DIRENT_COST, type FileDescription } from './file.js';
import type { StatFs } from './stat.js';
import { type Fixture, makeFixture, readText, writeText } from './test-helpers.js';
import { Vfs } from './vfs.js';

const MiB = 1 << 20;
let fx: Fixture;
let account: MemoryAccount;
let vfs: Vfs;
beforeEach(() => {
  fx = makeFixture();
  account = new MemoryAccount(4 * MiB);
  vfs = new Vfs({ root: fx.root, account });
});
afterEach(() => fx.cleanup());

function open(path: string, flags = O_RDWR | O_CREAT): FileDescription {
  const d = vfs.open(path, flags, 0o644);
  if (typeof d === 'number') throw new Error(`open ${path}: ${d}`);
  return d;
}

/** Writes 64 KiB pieces until the store refuses; the bytes written. */
function fill(d: FileDescription): number {
  const piece = new Uint8Array(64 << 10).fill(0x61);
  let total = 0;
  for (let n = 1; n > 0; total += Math.max(n, 0)) {
    n = d.write(piece);
    if (n < 0) expect(n).toBe(-E.ENOSPC);
  }
  return total;
}

describe('in-memory filesystem budget', () => {
  it('file contents count against the account: ENOSPC at the limit, unlink gives them back', () => {
    const base = account.used;
    const d = open('/tmp-big');
    const wrote = fill(d);
    expect(wrote).toBeGreaterThan(3.9 * MiB);
    expect(account.used).toBeLessThanOrEqual(account.limit);
    expect(d.write(new Uint8Array(64 << 10))).toBe(-E.ENOSPC);
    // The same budget is all there is for /dev/shm too.
    expect(writeText(vfs, '/dev/shm/x', 'y'.repeat(64 << 10))).toBe(-E.ENOSPC);
    expect(vfs.unlink('/dev/shm/x')).toBe(0); // created empty before the write failed
    expect(vfs.unlink('/tmp-big')).toBe(0);
    expect(account.used).toBeGreaterThan(3.9 * MiB); // still open
    d.close();
    expect(account.used).toBe(base);
    expect(writeText(vfs, '/dev/shm/x', 'y'.repeat(64 << 10))).toBe(0);
  });

  it('guest memory and files share the limit', () => {
    expect(account.charge(3 * MiB)).toBe(true); // frames the guest faulted in
    const d = open('/f');
    expect(fill(d)).toBeLessThanOrEqual(MiB);
    d.close();
    expect(vfs.unlink('/f')).toBe(0);
    account.uncharge(3 * MiB);
    expect(account.used).toBe(0);
  });

  it('truncate, O_TRUNC and overwriting give back or reuse the bytes', () => {
    const d = open('/f');
    fill(d);
    const full = account.used;
    const size = d.lseek(0, 1);
    expect(d.truncate(MiB)).toBe(0);
    const freed = size - MiB + ((size - MiB) / CHUNK) * CHUNK_COST; // whole chunks, each with its cost
    expect(account.used).toBe(full - freed);
    expect(d.pwrite(new Uint8Array(MiB), MiB, 0)).toBe(MiB); // overwrite: no new memory needed
    expect(account.used).toBe(full - freed);
    d.close();
    const t = open('/f', O_WRONLY | O_TRUNC);
    expect(account.used).toBeLessThan(4096);
    t.close();
  });

  it('a copied-up lower file is charged; too big a one is ENOSPC and leaves nothing behind', () => {
    const base = account.used;
    expect(writeText(vfs, '/data/hello.txt', 'changed', O_WRONLY)).toBe(0);
    expect(account.used).toBeGreaterThan(base);
    expect(account.charge(account.limit - account.used)).toBe(true);
    const used = account.used;
    expect(vfs.open('/etc/passwd', O_WRONLY)).toBe(-E.ENOSPC);
    expect(account.used).toBe(used);
    expect(readText(vfs, '/etc/passwd')).toBe('sandbox passwd\n');
  });

  it('names, inodes and symlink targets are charged: many long symlinks end in ENOSPC', () => {
    vfs = new Vfs({ root: fx.root, account, maxInodes: 1e6 });
    const base = account.used;
    expect(vfs.mkdir('/links2', 0o755)).toBe(0);
    const target = 't'.repeat(4000);
    let made = 0;
    while (made < 5000 && vfs.symlink(target, `/links2/${'n'.repeat(240)}${made}`) === 0) made++;
    expect(vfs.symlink(target, '/links2/another')).toBe(-E.ENOSPC);
    const each = INODE_COST + ENTRY_COST + 4000 + 240;
    expect(made).toBeLessThanOrEqual(Math.ceil((4 * MiB) / each));
    expect(made).toBeGreaterThan((3 * MiB) / each);
    for (let i = 0; i < made; i++) expect(vfs.unlink(`/links2/${'n'.repeat(240)}${i}`)).toBe(0);
    expect(vfs.rmdir('/links2')).toBe(0);
    expect(account.used).toBe(base);
  });

  it('the inode count is capped (by default one per 8 KiB of the limit)', () => {
    const s = vfs.statfs('/') as StatFs;
    expect(s.files).toBe(512);
    let made = 0;
    while (vfs.symlink('x', `/l${made}`) === 0) made++;
    expect(made).toBeLessThanOrEqual(512);
    expect(account.used).toBeLessThan(MiB); // the cap, not the bytes, stopped it
    expect(vfs.mkdir('/d', 0o755)).toBe(-E.ENOSPC);
    expect((vfs.statfs('/dev/shm') as StatFs).ffree).toBe(0);
    expect(vfs.unlink('/l0')).toBe(0);
    expect(vfs.mkdir('/d', 0o755)).toBe(0);
  });

  it('rename and link charge the new name; removing the last name frees the inode', () => {
    expect(writeText(vfs, '/a', 'x')).toBe(0);
    const one = account.used;
    expect(vfs.link('/a', '/bb')).toBe(0);
    expect(account.used).toBe(one + ENTRY_COST + 2);
    expect(vfs.rename('/bb', '/cccc')).toBe(0);
    expect(account.used).toBe(one + ENTRY_COST + 4);
    expect(vfs.rename('/cccc', '/a')).toBe(0); // two names of one file: nothing happens
    expect(account.used).toBe(one + ENTRY_COST + 4);
    expect(writeText(vfs, '/b', 'y')).toBe(0);
    expect(vfs.rename('/b', '/a')).toBe(0); // replaces one name of the first file
    expect(readText(vfs, '/cccc')).toBe('x');
    expect(vfs.unlink('/cccc')).toBe(0);
    expect(vfs.unlink('/a')).toBe(0);
    expect(account.used).toBe(one - INODE_COST - ENTRY_COST - 1 - 64 - CHUNK_COST);
  });

  it("each open directory's listing is charged while held: ENOMEM past the limit, given back on rewind and close", () => {
    expect(vfs.mkdir('/big', 0o755)).toBe(0);
    for (let i = 0; i < 500; i++) expect(writeText(vfs, `/big/f${i}`, '')).toBe(0);
    const cost = 500 * DIRENT_COST + [...Array(500).keys()].reduce((n, i) => n + `f${i}`.length, 0);
    const base = account.used;
    const buf = new Uint8Array(64);
    const dirs: FileDescription[] = [];
    for (;;) {
      const d = open('/big', O_RDONLY);
      dirs.push(d);
      const r = d.getdents64(buf);
      if (r < 0) {
        expect(r).toBe(-E.ENOMEM);
        break;
      }
      expect(account.used).toBe(base + dirs.length * cost);
    }
    expect(dirs.length).toBeGreaterThan(5);
    expect(dirs[0]!.lseek(0, 0)).toBe(0); // rewinding drops the listing
    expect(account.used).toBe(base + (dirs.length - 2) * cost);
    for (const d of dirs) d.close();
    expect(account.used).toBe(base);
  });

  it('an unlinked file cannot be given a name again (that would escape the inode charge)', () => {
    const d = open('/gone');
    expect(vfs.unlink('/gone')).toBe(0);
    const loc = d.location;
    if (!loc) throw new Error('no location');
    expect(vfs.link('', '/back', { at: loc, emptyPath: true })).toBe(-E.ENOENT);
    d.close();
  });
});
