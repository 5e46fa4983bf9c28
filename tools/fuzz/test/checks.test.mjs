// The verdict on one run, the canaries around it and the guest's report,
// without KVM: each check must see what it is there to see.
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxError } from '@tsv/runner';
import { afterEach, describe, expect, test } from 'vitest';
import { GuestOutput, parseGuestOutput } from '../lib/guest-output.mjs';
import { hostLeak } from '../lib/host-watch.mjs';
import { differences, makeRunDirs, removeRunDirs, snapshot } from '../lib/run-dirs.mjs';
import { judge } from '../lib/run-seed.mjs';

const exited = { status: 0, exitCode: 0, signal: null, timedOut: false };
const verdict = (over) => judge({ result: exited, error: undefined, warnings: [], escaped: [], limitSeconds: 30, ...over });

describe('judge', () => {
  test('a run that ended, however, is no failure', () => {
    expect(verdict({})).toEqual([]);
    expect(verdict({ result: { ...exited, status: 139, signal: 11, exitCode: null } })).toEqual([]);
  });

  test('internal errors, thrown or warned, exit status 125, hangs and host changes fail it', () => {
    expect(verdict({ result: undefined, error: new SandboxError('internal error: RangeError: offset', 125) })).toEqual([
      'internal error: internal error: RangeError: offset',
    ]);
    expect(verdict({ result: undefined, error: new TypeError('x is undefined') })).toEqual(['the host threw: x is undefined']);
    expect(verdict({ warnings: ['tsv: unimplemented system call sync (162)', 'tsv: internal error in mremap: Error: frame 7'] })).toEqual([
      'internal error: tsv: internal error in mremap: Error: frame 7',
    ]);
    expect(verdict({ result: { ...exited, status: 125, exitCode: 125 } })).toEqual(['exit status 125 (tsv failed)']);
    expect(verdict({ result: { ...exited, status: 137, timedOut: true } })).toEqual([
      'hang: still running 30 s after its own deadline, killed',
    ]);
    expect(verdict({ escaped: ['./outside/canary.txt: changed'] })).toEqual(['host files changed: ./outside/canary.txt: changed']);
  });
});

describe('run directories', () => {
  let dirs;
  afterEach(() => dirs && removeRunDirs(dirs));

  test('a changed canary, a new file beside the root and a write into the root all show', () => {
    dirs = makeRunDirs(process.execPath);
    const before = snapshot(dirs.base);
    expect(differences(before, snapshot(dirs.base))).toEqual([]);
    appendFileSync(join(dirs.outside, 'canary.txt'), 'x');
    writeFileSync(join(dirs.base, 'escaped'), '');
    rmSync(join(dirs.outside, 'canary-dir/sub'), { recursive: true });
    mkdirSync(join(dirs.root, 'work/new'));
    expect(differences(before, snapshot(dirs.base)).sort()).toEqual(
      [
        '.: changed',
        './escaped: appeared',
        './outside/canary-dir: changed',
        './outside/canary-dir/sub: vanished',
        './outside/canary.txt: changed',
        './root/work: changed',
        './root/work/new: appeared',
      ].sort(),
    );
  });
});

describe('host watch', () => {
  const base = { rss: 100 << 20, fds: 20 };
  test('one more descriptor is a leak; RSS only past the bound', () => {
    expect(hostLeak(base, { rss: base.rss, fds: 20 })).toBeNull();
    expect(hostLeak(base, { rss: base.rss, fds: 21 })).toBe('host descriptors leaked: 20 open before, 21 after');
    expect(hostLeak(base, { rss: base.rss + (200 << 20), fds: 20 }, 256 << 20)).toBeNull();
    expect(hostLeak(base, { rss: base.rss + (300 << 20), fds: 20 }, 256 << 20)).toBe(
      'host RSS grew by 300 MiB (bound 256 MiB): 100 MiB -> 400 MiB',
    );
  });
});

describe("the guest's report", () => {
  const token = 'fz0123456789abcdef';
  test('is read from its token lines, wherever they are, and from nothing else', () => {
    const out = new GuestOutput(token);
    // Bytes of the guest's binary copied to stdout by random calls: its strings without the token.
    out.push('\0\0fuzz: check failed: registers changed across a system call or a signal\nfuzz: done\n');
    out.push(`junk\n${token}: check failed: a pipe does not `);
    out.push(`return what was written\n${'x'.repeat(1000)}\n${token}: at 4096\n${token}: at 8192\n`);
    out.push(`${token}: seed=7 iterations=20000 syscalls=24000 random=13000 structured=7000 guarded=500 faults=300 signals=2000 ms=5000\n`);
    out.push(`${token}: errno OK=10 EPERM=2\n${token}: enosys 27 29\n${token}: done\n`);
    expect([...out.checks]).toEqual(['a pipe does not return what was written']);
    expect(parseGuestOutput(out.tail(), token)).toEqual({
      summary: {
        seed: 7,
        iterations: 20000,
        syscalls: 24000,
        random: 13000,
        structured: 7000,
        guarded: 500,
        faults: 300,
        signals: 2000,
        ms: 5000,
      },
      errnos: { OK: 10, EPERM: 2 },
      enosys: [27, 29],
      done: true,
      lastProgress: 8192,
    });
    expect(parseGuestOutput('\nfuzz: done\n', token)).toMatchObject({ summary: null, done: false });
  });
});
