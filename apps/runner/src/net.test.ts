// The sandbox's network: its own loopback carries busybox httpd and wget;
// the policy (`net`, `publish`) decides what else it reaches, checked with
// servers the test starts on the host's loopback and on its own address.
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { announceKvmSkip } from '@tsv/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, SandboxError, type SandboxOptions } from './sandbox.js';
import { program, PROGRAMS_DIR, PROGRAMS_VOLUME } from './test-programs.js';

const withPrograms = (o: SandboxOptions = {}): SandboxOptions => ({ ...o, volumes: [PROGRAMS_VOLUME, ...(o.volumes ?? [])] });

/** A host server on `host` answering each connection's bytes with "pong to <bytes>" once the client half-closes. */
function hostServer(host = '127.0.0.1'): Promise<net.Server> {
  const s = net.createServer({ allowHalfOpen: true }, (c) => {
    let got = '';
    c.on('data', (b) => {
      got += b.toString();
    });
    c.on('end', () => c.end(`pong to ${got}`));
    c.on('error', () => {});
  });
  return new Promise((resolve) => s.listen(0, host, () => resolve(s)));
}

/** The host's own IPv4 address on a non-loopback interface, if it has one. */
const hostAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;

/** A port of the host's loopback nobody listened on a moment ago. */
async function freeHostPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = portOf(s);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Connects to 127.0.0.1:`port`, sends `text`, half-closes and reads the reply; null when the connection is refused or reset. */
function hostRequest(port: number, text: string): Promise<string | null> {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => c.end(text));
    let got = '';
    c.on('data', (b) => {
      got += b.toString();
    });
    c.on('end', () => resolve(got));
    c.on('error', () => resolve(null));
  });
}

async function client(addr: string, port: number, o: SandboxOptions = {}): Promise<string> {
  const r = await Sandbox.run([program('net_client'), addr, String(port)], withPrograms(o));
  return r.stdout.toString();
}

describe.skipIf(announceKvmSkip())('sandbox network', () => {
  it('busybox httpd serves a file that busybox wget fetches, inside one sandbox', async () => {
    const www = mkdtempSync(join(PROGRAMS_DIR, 'www-'));
    writeFileSync(join(www, 'index.html'), 'hello from httpd\n');
    const script = 'busybox httpd -p 127.0.0.1:8080 -h /www && busybox wget -q -O - http://127.0.0.1:8080/index.html; echo "wget: $?"';
    const r = await Sandbox.run(['/bin/busybox', 'sh', '-c', script], { volumes: [`${www}:/www:ro`], timeoutMs: 60_000 });
    expect([r.stdout.toString(), r.stderr.toString()]).toEqual(['hello from httpd\nwget: 0\n', '']);
  });

  describe('the policy, with a server on the host loopback', () => {
    let server: net.Server;
    let port: number;
    beforeAll(async () => {
      server = await hostServer();
      port = portOf(server);
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("--net none: the loopback is the sandbox's own (nobody listens there) and other addresses are unreachable", async () => {
      expect(await client('127.0.0.1', port)).toBe('connect: ECONNREFUSED\n');
      expect(await client('192.0.2.1', port)).toBe('connect: ENETUNREACH\n');
      expect(await client('2001:db8::1', port)).toBe('connect: ENETUNREACH\n');
    });

    it('--net allow=127.0.0.1:PORT reaches the host server, in the IPv4-mapped form too', async () => {
      const allow = { net: `allow=127.0.0.1:${port}` };
      expect(await client('127.0.0.1', port, allow)).toBe('reply: pong to ping\n');
      expect(await client('::ffff:127.0.0.1', port, allow)).toBe('reply: pong to ping\n');
      expect(await client('127.0.0.1', port + 1 > 65535 ? port - 1 : port + 1, allow)).toBe('connect: ECONNREFUSED\n');
    });

    it('a wide rule never opens link-local, broadcast or multicast addresses', async () => {
      const all = { net: 'allow=0.0.0.0/0:*' };
      expect(await client('169.254.169.254', 80, all)).toBe('connect: ENETUNREACH\n');
      expect(await client('255.255.255.255', 80, all)).toBe('connect: ENETUNREACH\n');
      expect(await client('224.0.0.1', 80, all)).toBe('connect: ENETUNREACH\n');
      expect(await client('::ffff:169.254.169.254', 80, all)).toBe('connect: ENETUNREACH\n');
    });

    it('a bad policy is an error before anything runs', async () => {
      await expect(Sandbox.run(['/bin/true'], { net: 'allow=example.com:80' })).rejects.toThrow(SandboxError);
      await expect(Sandbox.run(['/bin/true'], { publish: ['80'] })).rejects.toThrow(/--publish/);
    });
  });

  // 127/8 is the sandbox's own loopback, where nobody listens without a
  // rule: a server on the host's own address shows the policy's
  // ENETUNREACH for the very client that a rule lets through.
  describe.skipIf(hostAddress === undefined)(`the policy, with a server on the host's address ${hostAddress}`, () => {
    let server: net.Server;
    let port: number;
    beforeAll(async () => {
      server = await hostServer(hostAddress);
      port = portOf(server);
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('without a rule the client gets ENETUNREACH; with --net allow=ADDR:PORT it reaches the server', async () => {
      expect(await client(hostAddress!, port)).toBe('connect: ENETUNREACH\n');
      expect(await client(hostAddress!, port, { net: `allow=${hostAddress}:${port}` })).toBe('reply: pong to ping\n');
      expect(await client(`::ffff:${hostAddress}`, port, { net: `allow=${hostAddress}/32:${port}` })).toBe('reply: pong to ping\n');
      // A rule for another port of the same address opens nothing else.
      expect(await client(hostAddress!, port, { net: `allow=${hostAddress}:${port === 1 ? 2 : port - 1}` })).toBe('connect: ENETUNREACH\n');
    });
  });

  it('--publish HOSTPORT:GUESTPORT lets a host client reach the sandbox server', async () => {
    const hostPort = await freeHostPort();
    const s = new Sandbox([program('net_server'), '8080'], withPrograms({ publish: [`${hostPort}:8080`], timeoutMs: 60_000 }));
    const done = s.wait();
    // Until the guest listens, the host's connection is reset: try again.
    let reply: string | null = null;
    for (let i = 0; i < 600 && reply === null; i++) {
      reply = await hostRequest(hostPort, 'from the host');
      if (reply === null) await new Promise((r) => setTimeout(r, 50));
    }
    const r = await done;
    expect(reply).toBe('pong to from the host');
    expect([r.status, r.stdout.toString()]).toEqual([0, 'served 13 bytes\n']);
  });
});
