// Sentry.spawn: a second program started from outside a running sandbox
// (a container engine's exec) joins its processes and files as a process
// whose parent is the host, ends without ending the sandbox, and leaves its
// orphans to init.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { boot, BootError, InputStream } from './index.js';

const BUSYBOX = '/bin/busybox';
const ENV = ['PATH=/bin:/usr/bin'];

/**
 * Boots `argv` as the sandbox's init on a fresh KVM platform (stdin a
 * stream the test feeds, stdout to `stdout`), runs `use`, then closes the
 * platform.
 */
async function withSandbox(
  argv: string[],
  use: (sentry: Awaited<ReturnType<typeof boot>>, stdin: InputStream) => Promise<void>,
  stdout: (b: Uint8Array) => void = () => {},
): Promise<void> {
  const { KvmPlatform } = await import('@tsv/platform/kvm');
  const platform = new KvmPlatform({ memoryBytes: 256 << 20 });
  try {
    const stdin = new InputStream();
    const sentry = await boot({ platform, argv, env: ENV, cwd: '/', root: '/', memoryLimit: 128 << 20, stdin, stdout, stderr: () => {} });
    await use(sentry, stdin);
  } finally {
    platform.close();
  }
}

describe.skipIf(announceKvmSkip())('Sentry.spawn on KVM', () => {
  it('runs a process in the running sandbox, with its own streams and status', async () => {
    const initOut: string[] = [];
    // init waits for a line, then shows what the spawned process left.
    await withSandbox(
      [BUSYBOX, 'sh', '-c', 'read x; echo "init read $x"; cat /tmp/left; exit 4'],
      async (sentry, stdin) => {
        const run = sentry.run();

        const out: string[] = [];
        const input = new InputStream();
        input.push(Buffer.from('typed\n'));
        input.end();
        const p = sentry.spawn({
          argv: [
            'sh',
            '-c',
            'read y; echo "$y ppid=$PPID pid=$$"; echo left > /tmp/left; cat /proc/1/cmdline | tr "\\0" " "; echo; (sleep 0.1; echo orphan > /tmp/orphan) & exit 7',
          ],
          env: ENV,
          cwd: '/tmp',
          stdin: input,
          stdout: (b) => out.push(Buffer.from(b).toString()),
          stderr: (b) => out.push(Buffer.from(b).toString()),
        });
        expect(p.pid).toBeGreaterThan(1);
        expect(await p.exited).toEqual({ code: 7 });
        const lines = out.join('').split('\n');
        expect(lines[0]).toBe(`typed ppid=0 pid=${p.pid}`);
        expect(lines[1]).toContain('sh -c read x');

        // The sandbox runs on: its init sees the file, and ends the run with its own status.
        stdin.push(Buffer.from('go\n'));
        stdin.end();
        expect(await run).toEqual({ code: 4 });
        expect(initOut.join('')).toBe('init read go\nleft\n');
      },
      (b) => initOut.push(Buffer.from(b).toString()),
    );
  });

  it('signals it from the host', async () => {
    await withSandbox([BUSYBOX, 'sh', '-c', 'read x'], async (sentry, stdin) => {
      const run = sentry.run();
      const input = new InputStream();
      const p = sentry.spawn({ argv: [BUSYBOX, 'cat'], env: ENV, cwd: '/', stdin: input, stdout: () => {}, stderr: () => {} });
      expect(p.signal(15)).toBe(true);
      expect(await p.exited).toMatchObject({ signal: 15 });
      expect(p.signal(15)).toBe(false);
      stdin.end();
      expect(await run).toEqual({ code: 1 });
    });
  });

  it('refuses a missing program, and any program once the sandbox has ended', async () => {
    await withSandbox([BUSYBOX, 'sh', '-c', 'read x'], async (sentry, stdin) => {
      const spec = { env: ENV, cwd: '/', stdin: new InputStream(), stdout: () => {}, stderr: () => {} };
      // Before run(): nothing to join.
      expect(() => sentry.spawn({ ...spec, argv: [BUSYBOX, 'true'] })).toThrow(/not running/);
      const done = sentry.run();
      let missing: unknown;
      try {
        sentry.spawn({ ...spec, argv: ['no-such-program'] });
      } catch (e) {
        missing = e;
      }
      expect(missing).toBeInstanceOf(BootError);
      expect((missing as BootError).status).toBe(127);
      stdin.end();
      expect(await done).toEqual({ code: 1 });
      expect(() => sentry.spawn({ ...spec, argv: [BUSYBOX, 'true'] })).toThrow(/not running/);
    });
  });
});
