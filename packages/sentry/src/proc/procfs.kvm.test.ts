// /proc end to end on KVM: busybox ps, which walks /proc and parses each
// process's stat and cmdline, lists the sandbox's own processes (its init,
// a background child, ps itself) with their relations and states — and
// nothing of the host's.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { withKvmSentry } from '../testing/kvm-sentry.js';

describe.skipIf(announceKvmSkip())('/proc on KVM', () => {
  it('busybox ps lists pid 1, its background child and the ps process itself', async () => {
    const out: string[] = [];
    const script = 'sleep 5 & /bin/busybox ps -o pid,ppid,pgid,stat,comm,args; kill $!; wait';
    const argv = ['/bin/busybox', 'sh', '-c', script];
    await withKvmSentry(
      { argv, env: ['PATH=/bin:/usr/bin'], stdout: (b) => out.push(Buffer.from(b).toString()) },
      async (sentry, stdin) => {
        stdin.end();
        const status = await sentry.run();
        expect(status).toEqual({ code: 0 });
        const lines = out.join('').trimEnd().split('\n');
        expect(lines[0]).toMatch(/^PID +PPID +PGID +STAT +COMMAND +COMMAND$/);
        const rows = lines.slice(1).map((l) => {
          const [pid, ppid, pgid, stat, comm, ...args] = l.trim().split(/ +/);
          return { pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), stat, comm, args: args.join(' ') };
        });
        expect(rows).toHaveLength(3);
        const [init, sleep, ps] = rows;
        // init waits for ps (S), or was preempted on its way there (R).
        expect(init).toMatchObject({ pid: 1, ppid: 0, pgid: 1, comm: 'busybox', args: `/bin/busybox sh -c ${script}` });
        expect(init!.stat).toMatch(/^[RS]$/);
        // busybox sh runs applets by exec of /proc/self/exe: comm is "exe" (the basename execve got, as on Linux), so ps may show "{exe} sleep 5".
        expect(sleep).toMatchObject({ ppid: 1, pgid: 1, args: expect.stringMatching(/^(\{exe\} )?sleep 5$/) });
        expect(sleep!.stat).toMatch(/^[RS]$/);
        // ps reads /proc while it runs.
        expect(ps).toMatchObject({ ppid: 1, pgid: 1, stat: 'R', args: '/bin/busybox ps -o pid,ppid,pgid,stat,comm,args' });
        expect(ps!.pid).toBeGreaterThan(sleep!.pid);
      },
    );
  });
});
