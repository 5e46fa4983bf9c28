import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, translate } from './config.js';
import { defaultSpec } from './spec.js';
import type { Json } from './test-bundle.js';

const rootfs = mkdtempSync(join(tmpdir(), 'tsv-oci-config-'));
/** The config.json containerd 1.6's `ctr run --rootfs` writes (captured), on this test's rootfs. */
const ctrConfig = () => JSON.parse(readFileSync(new URL('testdata/ctr-config.json', import.meta.url), 'utf8').replace('ROOTFS', rootfs));
/** The config.json Docker 20.10's `docker run` writes (captured; its seccomp profile left out, as --security-opt seccomp=unconfined does). */
const dockerConfig = () => {
  const files = mkdtempSync(join(tmpdir(), 'tsv-oci-docker-'));
  for (const f of ['resolv.conf', 'hostname', 'hosts']) writeFileSync(join(files, f), `${f}\n`);
  const text = readFileSync(new URL('testdata/docker-config.json', import.meta.url), 'utf8');
  return JSON.parse(text.replaceAll('ROOTFS', rootfs).replaceAll('FILES', files));
};
const spec = () => ({ ...defaultSpec(), root: { path: rootfs } }) as Json;

/** The message translate() refuses `doc` with. */
function refusal(doc: unknown): string {
  try {
    translate(doc, '/');
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('accepted');
}

describe('config.json', () => {
  it("runs what containerd's ctr asks for, with its limits and a writable root in memory", () => {
    const c = translate(ctrConfig(), '/');
    expect(c.argv).toEqual(['/bin/sh', '-c', 'exit 0']);
    expect(c.options).toMatchObject({ root: rootfs, overlay: true, cwd: '/', uid: 0, gid: 0, volumes: [] });
    expect(c.options.rlimits).toEqual(new Map([[7, { soft: 1024, hard: 1024 }]]));
    // /proc, /sys, /dev, /dev/pts, /dev/shm, /dev/mqueue are the Sentry's own; /run is an in-memory directory.
    expect(c.tmpfs).toEqual([{ guest: '/run', mode: 0o755, uid: 0, gid: 0, readOnly: false }]);
  });

  it('takes the process, the root, hostname, bind mounts and resources', () => {
    const s = spec();
    s.process = { ...s.process, user: { uid: 1000, gid: 100 }, env: ['A=1'], cwd: '/tmp', oomScoreAdj: 500 };
    s.process.rlimits = [{ type: 'RLIMIT_STACK', soft: 1 << 20, hard: 2 ** 64 }];
    s.root = { path: rootfs, readonly: true };
    s.hostname = 'box';
    s.mounts = [{ destination: '/data/', type: 'bind', source: rootfs, options: ['rbind', 'ro', 'nosuid'] }];
    s.linux = { resources: { memory: { limit: 256 << 20, swap: -1 }, pids: { limit: 50 }, cpu: { quota: 200_000, period: 100_000 } } };
    const c = translate(s, '/');
    expect(c.options).toMatchObject({ overlay: false, uid: 1000, gid: 100, env: ['A=1'], cwd: '/tmp', hostname: 'box' });
    expect(c.options).toMatchObject({ memory: 256 << 20, pids: 50, volumes: [`${rootfs}:/data:ro`] });
    expect(c.options.rlimits).toEqual(new Map([[3, { soft: 1 << 20, hard: Infinity }]]));
    expect(c.oomScoreAdj).toBe(500);
    expect([c.terminal, c.consoleSize]).toEqual([false, { cols: 0, rows: 0 }]);
    s.process.terminal = true;
    s.process.consoleSize = { height: 30, width: 100 };
    expect(translate(s, '/')).toMatchObject({ terminal: true, consoleSize: { cols: 100, rows: 30 } });
  });

  it('refuses what tsv cannot honour, naming the field', () => {
    const cases: [(s: Json) => void, RegExp][] = [
      [(s) => (s.process.consoleSize = { height: 24, width: 70_000 }), /^config\.json: process\.consoleSize: at most 65535/],
      [(s) => (s.process.user.additionalGids = [-5]), /process\.user\.additionalGids: an array of integers/],
      [(s) => (s.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]), /process\.rlimits\[0\]\.type: unknown limit/],
      [(s) => (s.process.apparmorProfile = 'docker-default'), /process\.apparmorProfile/],
      [(s) => (s.process.args = []), /process\.args: at least the program/],
      [(s) => (s.hooks = { prestart: [{ path: '/bin/true' }] }), /^config\.json: hooks:/],
      [(s) => (s.linux.resources.cpu = { quota: 50_000, period: 100_000 }), /linux\.resources\.cpu\.quota: less than one CPU/],
      [(s) => (s.linux.resources.cpu = { shares: 2 }), /linux\.resources\.cpu\.shares: only 1024/],
      [(s) => (s.linux.resources.blockIO = { weight: 10 }), /linux\.resources\.blockIO\.weight: not supported/],
      [(s) => (s.linux.sysctl = { 'kernel.shmmax': '1' }), /linux\.sysctl\.kernel\.shmmax: sysctls are not supported/],
      [(s) => (s.linux.namespaces = [{ type: 'network', path: '/proc/1/ns/net' }]), /linux\.namespaces\[0\]\.path: joining/],
      [(s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO' }), /linux\.seccomp: seccomp filters/],
      [(s) => (s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), /linux\.uidMappings/],
      [(s) => (s.linux.newThing = 1), /linux\.newThing: not supported by tsv/],
      [(s) => (s.mounts = [{ destination: '/x', type: 'nfs', source: 'h:/x' }]), /mounts\[0\]\.type: 'nfs' at \/x/],
      [(s) => (s.mounts = [{ destination: '/p', type: 'proc', source: 'proc' }]), /mounts\[0\]\.type: 'proc' at \/p/],
      [
        (s) => (s.mounts = [{ destination: '/x', type: 'bind', source: '/dev/null' }]),
        /mounts\[0\]\.source: .*only a directory or a regular file/,
      ],
      [
        (s) => (s.mounts = [{ destination: '/x', type: 'bind', source: '/etc/hostname', options: ['ro'] }]),
        /mounts\[0\]\.options: 'ro' .*file/,
      ],
      [
        (s) =>
          (s.mounts = [
            { destination: '/run/x', type: 'bind', source: '/etc/hostname' },
            { destination: '/run', type: 'tmpfs', source: 'tmpfs' },
          ]),
        /mounts\[0\]\.destination: a file bind mount under the mount at \/run/,
      ],
      [
        (s) => {
          s.root.readonly = true;
          s.mounts = [{ destination: '/x', type: 'bind', source: '/etc/hostname' }];
        },
        /root\.readonly: a file bind mount needs a writable root/,
      ],
      [(s) => (s.mounts = [{ destination: '/x', type: 'tmpfs', options: ['noexec'] }]), /mounts\[0\]\.options: 'noexec'/],
      [(s) => (s.mounts = [{ destination: 'rel', type: 'tmpfs' }]), /mounts\[0\]\.destination: an absolute path/],
      [(s) => (s.annotations = { 'dev.tsv.strace': 'yes' }), /annotations\.dev\.tsv\.strace: unknown tsv annotation or value 'yes'/],
      [(s) => (s.root = { path: '/nonexistent-rootfs' }), /root\.path: \/nonexistent-rootfs is not a directory/],
      [(s) => (s.ociVersion = '0.9'), /^config\.json: ociVersion/],
    ];
    for (const [change, message] of cases) {
      const s = spec();
      change(s);
      expect(refusal(s)).toMatch(message);
    }
  });

  it('runs what Docker asks for: groups, file bind mounts as copies, its cgroup mount, and its sysctls with a warning', () => {
    const c = translate(dockerConfig(), '/');
    expect(c.argv).toEqual(['sh', '-c', 'echo hi; exit 3']);
    expect(c.options).toMatchObject({ uid: 0, gid: 0, groups: [0], hostname: '9a7c417d9bd9', volumes: [] });
    expect(c.files.map((f) => f.guest)).toEqual(['/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
    expect(c.tmpfs).toEqual([]);
    expect(c.warnings).toEqual([
      expect.stringMatching(/^config\.json: linux\.sysctl\.net\.ipv4\.ip_unprivileged_port_start=0: not applied: .*uid 0/),
      expect.stringMatching(/^config\.json: linux\.sysctl\.net\.ipv4\.ping_group_range=0 2147483647: not applied: .*ICMP/),
    ]);
    // Its seccomp profile is refused, with the flag that leaves it out.
    const withSeccomp = dockerConfig();
    withSeccomp.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO' };
    expect(refusal(withSeccomp)).toMatch(/linux\.seccomp: .*--security-opt seccomp=unconfined/);
  });

  it('takes annotations of other tools and the tsv ones it knows', () => {
    const s = spec();
    s.annotations = { 'io.kubernetes.cri.container-type': 'container', 'dev.tsv.strace': 'true' };
    expect(translate(s, '/').strace).toBe(true);
  });
});
