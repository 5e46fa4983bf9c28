// Hostile uses of AF_INET sockets (issue 9, "Bad input"): the program gets
// Linux's errno and the host is never harmed. testdata/hostile_inet.c holds
// each scenario; those Linux runs safely and the same way everywhere
// (lying address lengths, huge backlogs, oversized datagrams) are compared
// with a native run; the ones that depend on the host's own loopback or
// exhaust limits (a connect to every port, 100 000 sockets) run only in the
// sandbox, whose loopback is its own. Epoll sets that contain each other
// (ELOOP) are fd/epoll/epoll.test.ts's and conformance epoll_basic's.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Sandbox, type SandboxOptions } from './sandbox.js';
import { sameAsNative } from './test-compare.js';
import { program, PROGRAMS_VOLUME } from './test-programs.js';

const noKvm = announceKvmSkip();

/** hostile_inet `mode` natively and in the sandbox, with the same outcome. */
const likeNative = (mode: string) => sameAsNative([program('hostile_inet'), mode], { volumes: [PROGRAMS_VOLUME] });

const inSandbox = (args: string[], o: SandboxOptions = {}) =>
  Sandbox.run([program('hostile_inet'), ...args], { volumes: [PROGRAMS_VOLUME], timeoutMs: 300_000, ...o });

/** Runs `args` in a sandbox: its output, and the peak growth of this process's RSS meanwhile (sampled every 20 ms), in MiB. */
async function withRss(args: string[], o: SandboxOptions): Promise<[string, number]> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const r = await inSandbox(args, o).finally(() => clearInterval(sampler));
  expect([r.status, r.timedOut, r.stderr.toString()]).toEqual([0, false, '']);
  return [r.stdout.toString(), (Math.max(peak, process.memoryUsage().rss) - before) / 2 ** 20];
}

describe.skipIf(noKvm)('hostile inet sockets', () => {
  it('address lengths that lie, NULL and unreadable addresses, a family the socket is not: EINVAL, EFAULT, EAFNOSUPPORT', async () => {
    const out = await likeNative('sockaddr');
    expect(out).toContain('bind len -1: -1 EINVAL\n');
    expect(out).toContain('getpeername to an unreadable length: -1 EFAULT\n');
  });

  it('listen backlogs of 2^31 - 1, -1 and INT_MIN are taken, and connections still queue', async () => {
    expect(await likeNative('backlog')).toContain('backlog -2147483648: listen ok, 8 connections made, 8 accepted\n');
  });

  it('datagrams past 65507 bytes are EMSGSIZE; one larger than SO_RCVBUF arrives when the queue is short, the rest are dropped', async () => {
    const out = await likeNative('datagrams');
    expect(out).toContain('send 1 MiB: -1 EMSGSIZE\n');
    expect(out).toContain('receive all of one: 65507\nanother: -1 EAGAIN\n');
  });

  it("a connect to every port 1..65535: refused everywhere but the program's own listener", async () => {
    const r = await inSandbox(['connect-all']);
    expect([r.status, r.stdout.toString()]).toEqual([0, 'connect to every port: 65534 refused, 1 to our listener, 0 other\n']);
  });

  it('sockets past RLIMIT_NOFILE are EMFILE', async () => {
    // The child holds stdin, stdout, stderr and two pipe ends besides its sockets.
    const [out] = await withRss(['sockets', '100000', '1'], { openFiles: 4096 });
    expect(out).toBe('4091 sockets held at once by 1 processes, then EMFILE\nafter they ended: a socket again\n');
  });

  it('sockets past the memory limit are ENFILE (each is charged to the sandbox), and the host RSS stays below the limit', async () => {
    const [out, grewMiB] = await withRss(['sockets', '100000', '4'], { openFiles: 65536, memory: '32M' });
    const m = /^(\d+) sockets held at once by 4 processes, then ENFILE\nafter they ended: a socket again\n$/.exec(out);
    expect(m, out).not.toBeNull();
    console.log(`${m![1]} sockets in 32 MiB; host RSS growth: ${grewMiB.toFixed(1)} MiB`);
    expect(Number(m![1])).toBeLessThan(16 * 1024);
    // The limit, and what any sandbox costs the host besides (its worker, its VM: ~30 MiB).
    expect(grewMiB).toBeLessThan(32 + 64);
  }, 600_000);

  it('100 000 sockets held at once (4 processes under RLIMIT_NOFILE 65536), and the host RSS stays below the memory limit', async () => {
    const [out, grewMiB] = await withRss(['sockets', '100000', '4'], { openFiles: 65536, memory: '1G' });
    console.log(`host RSS growth over 100 000 sockets: ${grewMiB.toFixed(1)} MiB`);
    expect(out).toBe('100000 sockets held at once by 4 processes, then none\nafter they ended: a socket again\n');
    expect(grewMiB).toBeLessThan(1024);
  }, 600_000);
});
