import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AccessFacts, accessAdvice, describeDevice, readAccessFacts } from './kvm-access.js';

const KVM_GID = 992;

/** A host where alice (uid 1000) may not open /dev/kvm; `over` changes what differs. */
function host(over: Partial<AccessFacts> = {}): AccessFacts {
  return {
    path: '/dev/kvm',
    device: { uid: 0, gid: 0, mode: 0o600 },
    user: { name: 'alice', uid: 1000, gids: [1000] },
    groups: [
      { name: 'root', gid: 0, members: [] },
      { name: 'alice', gid: 1000, members: [] },
    ],
    udev: false,
    setfacl: false,
    sudo: true,
    ...over,
  };
}
const kvmGroup = (members: string[] = []) => ({ name: 'kvm', gid: KVM_GID, members });

describe('describeDevice', () => {
  it('reads as ls shows the device, with group names from the group database', () => {
    expect(describeDevice(host())).toBe('/dev/kvm is crw------- root:root');
    const h = host({ device: { uid: 0, gid: KVM_GID, mode: 0o660 }, groups: [kvmGroup()] });
    expect(describeDevice(h)).toBe('/dev/kvm is crw-rw---- root:kvm');
    expect(describeDevice(host({ device: undefined }))).toBe('/dev/kvm does not exist');
  });
});

describe('accessAdvice', () => {
  it('a root-only device and no kvm group (this CI host): create the group, give it the device, join it', () => {
    const advice = accessAdvice(host({ sudo: false }));
    expect(advice[0]).toMatch(
      /^give a kvm group access: groupadd --system kvm; chgrp kvm \/dev\/kvm; chmod 0660 \/dev\/kvm; usermod -aG kvm alice; then log in again\. No udev runs here/,
    );
    expect(advice.join('\n')).not.toMatch(/sudo (groupadd|chgrp|usermod)/);
    expect(advice.slice(1)).toEqual(['or run tsv as root', 'sudo is not installed: run those commands as root']);
  });

  it('a kvm group that may use the device: join it, with sudo where it is installed', () => {
    const h = host({ device: { uid: 0, gid: KVM_GID, mode: 0o660 }, groups: [kvmGroup()] });
    expect(accessAdvice(h)).toEqual(['add alice to group kvm, which may use it: sudo usermod -aG kvm alice; then log in again']);
  });

  it('already a member, but not in this session: log in again; in the session: nothing to do', () => {
    const device = { uid: 0, gid: KVM_GID, mode: 0o660 };
    expect(accessAdvice(host({ device, groups: [kvmGroup(['alice'])] }))[0]).toMatch(
      /^alice is in group kvm since this session started: log in again/,
    );
    expect(
      accessAdvice(host({ device, groups: [kvmGroup(['alice'])], user: { name: 'alice', uid: 1000, gids: [1000, KVM_GID] } })),
    ).toEqual([]);
  });

  it('a kvm group without access where udev runs: a udev rule, and no groupadd as the group exists', () => {
    const advice = accessAdvice(host({ groups: [kvmGroup()], udev: true, setfacl: true }));
    expect(advice[0]).toBe(
      `give a kvm group access, for good: echo 'KERNEL=="kvm", GROUP="kvm", MODE="0660"' | sudo tee /etc/udev/rules.d/65-kvm.rules; ` +
        'sudo udevadm trigger --name-match=kvm; sudo usermod -aG kvm alice; then log in again',
    );
    expect(advice[1]).toBe('or give alice alone access until the node is made again: sudo setfacl -m u:alice:rw /dev/kvm');
  });

  it('nothing for root, or where the device does not exist', () => {
    expect(accessAdvice(host({ user: { name: 'root', uid: 0, gids: [0] } }))).toEqual([]);
    expect(accessAdvice(host({ device: undefined }))).toEqual([]);
  });
});

describe('readAccessFacts', () => {
  it('reads the device, the user and the group database of this host', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsv-access-'));
    const groups = join(dir, 'group');
    writeFileSync(groups, 'root:x:0:\nkvm:x:992:alice,bob\nbroken line\n');
    chmodSync(groups, 0o640);
    const f = readAccessFacts(groups, groups);
    expect(f.device).toEqual({ uid: process.getuid!(), gid: process.getgid!(), mode: 0o640 });
    expect(f.user.uid).toBe(process.getuid!());
    expect(f.groups).toEqual([
      { name: 'root', gid: 0, members: [] },
      { name: 'kvm', gid: 992, members: ['alice', 'bob'] },
    ]);
    expect(readAccessFacts('/dev/no-such-kvm', groups).device).toBeUndefined();
  });
});
