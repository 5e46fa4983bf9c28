// Sentry.spawn: a second program started from outside a running sandbox
// (a container engine's exec) joins its processes and files as a process
// whose parent is the host, ends without ending the sandbox, and leaves its
// orphans to init.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { withKvmSentry } from '../testing/kvm-sentry.js';
import { BootError, InputStream } from './index.js';

const BUSYBOX = '/bin/busybox';
const ENV = ['PATH=/bin:/usr/bin'];

describe.skipIf(announceKvmSkip())('Sentry.spawn on KVM', () => {
  it('runs a process in the running sandbox, with its own streams and status', async () => {
    const initOut: string[] = [];
    // init waits for a line, then shows what the spawned process left.
    await withKvmSentry(
      {
        argv: [BUSYBOX, 'sh', '-c', 'read x; echo "init read $x"; cat /tmp/left; exit 4'],
        env: ENV,
        stdout: (b) => initOut.push(Buffer.from(b).toString()),
      },
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
    );
  });

  it('signals it from the host', async () => {
    await withKvmSentry({ argv: [BUSYBOX, 'sh', '-c', 'read x'], env: ENV }, async (sentry, stdin) => {
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
    await withKvmSentry({ argv: [BUSYBOX, 'sh', '-c', 'read x'], env: ENV }, async (sentry, stdin) => {
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
