import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { defaultRoot } from './default-root.js';
import { list, readText, snapshot, writeText } from './test-helpers.js';
import { Vfs } from './vfs.js';

/**
 * A host as the default root sees it: usr-merged, with secrets in /etc (by
 * mode and by name) and data where the layout must not show it.
 */
const HOST: Record<string, string | { link: string } | { mode: number; text?: string }> = {
  'usr/bin/tool': { mode: 0o755, text: 'tool' },
  'usr/bin/abs-shadow': { link: '/etc/shadow' },
  'usr/bin/rel-shadow': { link: '../../etc/shadow' },
  'usr/share/doc/readme': 'docs',
  'usr/share/private.conf': { mode: 0o600, text: 'token' },
  'usr/share/locked/inner': 'behind a 0700 directory',
  'usr/lib64/ld.so': 'loader',
  bin: { link: 'usr/bin' },
  lib64: { link: 'usr/lib64' },
  'etc/passwd': 'root:x:0:0::/root:/bin/sh\n',
  'etc/hostname': 'host\n',
  'etc/shadow': { mode: 0o640, text: 'root:HASH' },
  'etc/gshadow': { mode: 0o640, text: 'root:HASH' },
  'etc/machine-id': { mode: 0o444, text: '0123456789abcdef' },
  'etc/ssh/ssh_config': 'Host *',
  'etc/ssh/ssh_host_ed25519_key': { mode: 0o644, text: 'PRIVATE KEY' }, // world-readable by mistake: the name hides it
  'etc/ssh/ssh_host_ed25519_key.pub': 'public key',
  'etc/sudoers.d/admins': 'ALL',
  'etc/os-release': { link: '../usr/share/doc/readme' },
  'opt/app/run': { mode: 0o755, text: 'app' },
  'tmp/host-file': 'host tmp',
  'home/user/notes': 'a user',
  'root/.npmrc': 'secret token',
  'var/lib/db': 'data',
  'srv/site': 'site',
  'boot/vmlinuz': 'kernel',
  'work/src': 'source',
};

let host: string;
let vfs: Vfs;

function makeHost(): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-default-root-'));
  for (const [rel, spec] of Object.entries(HOST)) {
    const p = path.join(base, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (typeof spec === 'string') fs.writeFileSync(p, spec);
    else if ('link' in spec) fs.symlinkSync(spec.link, p);
    else fs.writeFileSync(p, spec.text ?? '', { mode: spec.mode });
  }
  fs.chmodSync(path.join(base, 'usr/share/locked'), 0o700);
  fs.linkSync(path.join(base, 'etc/shadow'), path.join(base, 'usr/share/shadow-hardlink'));
  return base;
}

beforeEach(() => {
  host = makeHost();
  vfs = new Vfs({ root: defaultRoot(host) });
});
afterEach(() => {
  vfs.close();
  fs.rmSync(host, { recursive: true, force: true });
});

describe('default root', () => {
  it('shows the system directories and its own, nothing else of the host', () => {
    expect(list(vfs, '/')).toEqual(['bin', 'dev', 'etc', 'home', 'lib64', 'mnt', 'opt', 'root', 'run', 'srv', 'tmp', 'usr', 'var']);
    for (const own of ['/tmp', '/home', '/root', '/srv', '/mnt', '/run', '/var/tmp']) expect(list(vfs, own), own).toEqual([]);
    expect(list(vfs, '/var')).toEqual(['tmp']);
    for (const gone of ['/boot/vmlinuz', '/work/src', '/tmp/host-file', '/home/user/notes', '/root/.npmrc', '/var/lib/db', '/srv/site']) {
      expect(vfs.stat(gone), gone).toBe(-E.ENOENT);
    }
  });

  it('gives its own directories the usual modes, owned by root', () => {
    const mode = (p: string) => {
      const st = vfs.stat(p);
      return typeof st === 'number' ? st : [st.mode.toString(8), st.uid, st.gid];
    };
    expect(mode('/tmp')).toEqual(['41777', 0, 0]);
    expect(mode('/var/tmp')).toEqual(['41777', 0, 0]);
    expect(mode('/root')).toEqual(['40700', 0, 0]);
    expect(mode('/home')).toEqual(['40755', 0, 0]);
  });

  it("keeps a usr-merged host working: /bin and /lib64 are the host's symlinks", () => {
    expect(Buffer.from(vfs.readlink('/bin') as Uint8Array).toString()).toBe('usr/bin');
    expect(readText(vfs, '/bin/tool')).toBe('tool');
    expect(readText(vfs, '/lib64/ld.so')).toBe('loader');
    expect(readText(vfs, '/etc/os-release')).toBe('docs'); // ../usr from the /etc mount
  });

  it('reads /etc without its secrets: hidden by name or because the host keeps them private', () => {
    expect(readText(vfs, '/etc/passwd')).toBe(HOST['etc/passwd']);
    expect(readText(vfs, '/etc/hostname')).toBe('host\n');
    expect(readText(vfs, '/usr/share/doc/readme')).toBe('docs');
    for (const hidden of [
      '/etc/shadow',
      '/etc/gshadow',
      '/etc/machine-id',
      '/etc/ssh/ssh_host_ed25519_key',
      '/etc/sudoers.d/admins',
      '/etc/sudoers.d',
    ]) {
      expect(vfs.stat(hidden), hidden).toBe(-E.ENOENT);
    }
    expect(list(vfs, '/etc')).toEqual(['hostname', 'os-release', 'passwd', 'ssh']);
    expect(list(vfs, '/etc/ssh')).toEqual(['ssh_config', 'ssh_host_ed25519_key.pub']);
  });

  it('hides what the host keeps private in every system directory, however it is reached', () => {
    for (const p of [
      '/usr/bin/abs-shadow',
      '/usr/bin/rel-shadow',
      '/bin/abs-shadow',
      '/usr/share/shadow-hardlink',
      '/usr/share/private.conf',
      '/usr/share/locked/inner',
    ]) {
      expect(readText(vfs, p), p).toBe(-E.ENOENT);
    }
    expect(list(vfs, '/usr/share')).toEqual(['doc']);
  });

  it('keeps writes in memory: the host is never changed', () => {
    const before = snapshot(host);
    expect(writeText(vfs, '/tmp/scratch', 'mine')).toBe(0);
    expect(readText(vfs, '/tmp/scratch')).toBe('mine');
    expect(writeText(vfs, '/etc/passwd', 'changed')).toBe(0);
    expect(readText(vfs, '/etc/passwd')).toBe('changed');
    expect(writeText(vfs, '/etc/shadow', 'its own')).toBe(0); // a file of its own, not the host's
    expect(readText(vfs, '/etc/shadow')).toBe('its own');
    expect(vfs.mkdir('/newdir', 0o755)).toBe(0);
    expect(snapshot(host)).toEqual(before);
    expect(fs.existsSync(path.join(host, 'tmp/scratch'))).toBe(false);
  });

  it('without the overlay, system directories are read-only and its own stay writable', () => {
    const ro = new Vfs({ root: defaultRoot(host), overlay: false });
    expect(writeText(ro, '/etc/passwd', 'changed')).toBe(-E.EROFS);
    expect(ro.mkdir('/usr/new', 0o755)).toBe(-E.EROFS);
    expect(writeText(ro, '/tmp/scratch', 'mine')).toBe(0);
    expect(ro.stat('/etc/shadow')).toBe(-E.ENOENT);
    ro.close();
  });

  it('lets a volume replace a directory of the layout, and lays nothing into a volume', () => {
    const vol = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-default-root-vol-'));
    try {
      fs.writeFileSync(path.join(vol, 'passwd'), 'from the volume');
      const v = new Vfs({ root: defaultRoot(host), volumes: [`${vol}:/etc:ro`, `${vol}:/var`, `${vol}:/usr/local`] });
      expect(readText(v, '/etc/passwd')).toBe('from the volume');
      expect(readText(v, '/usr/local/passwd')).toBe('from the volume');
      expect(readText(v, '/usr/share/doc/readme')).toBe('docs');
      expect(fs.readdirSync(vol)).toEqual(['passwd']); // no var/tmp made on the host
      v.close();
    } finally {
      fs.rmSync(vol, { recursive: true, force: true });
    }
  });
});
