// epoll end to end on KVM: a Go program (testdata/netpoll.go), whose
// runtime starts its netpoller on epoll at the first timer and parks its
// threads in epoll_pwait, prints the same lines natively and in the Sentry.
// Skipped where there is no Go toolchain.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { boot, InputStream } from '../../boot/index.js';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const hasGo = spawnSync('go', ['version']).status === 0;
if (!hasGo) console.warn('epoll.kvm.test: no Go toolchain (go version failed): the Go program is skipped');

describe.skipIf(announceKvmSkip() || !hasGo)('epoll on KVM', () => {
  it('a Go program with goroutines, timers, os/exec and pipe deadlines behaves as it does natively', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsv-netpoll-'));
    try {
      const exe = path.join(dir, 'netpoll');
      execFileSync('go', ['build', '-o', exe, path.join(TESTDATA, 'netpoll.go')], {
        env: { ...process.env, CGO_ENABLED: '0' },
      });
      const native = spawnSync(exe, { encoding: 'utf8' });
      expect(native.status).toBe(0);

      const { KvmPlatform } = await import('@tsv/platform/kvm');
      const platform = new KvmPlatform({ memoryBytes: 512 << 20 });
      try {
        const out: string[] = [];
        const err: string[] = [];
        const stdin = new InputStream();
        stdin.end();
        const sentry = await boot({
          platform,
          argv: [exe],
          env: ['PATH=/bin:/usr/bin'],
          cwd: '/',
          root: '/',
          memoryLimit: 256 << 20,
          stdin,
          stdout: (b) => out.push(Buffer.from(b).toString()),
          stderr: (b) => err.push(Buffer.from(b).toString()),
        });
        const status = await sentry.run();
        expect(err.join('')).toBe('');
        expect(out.join('')).toBe(native.stdout);
        expect(status).toEqual({ code: 0 });
      } finally {
        platform.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
