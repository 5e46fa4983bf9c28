// Who may open /dev/kvm on this host, and what would let this user do so:
// advice built from the device's owner, group and mode, the groups that exist
// and the tools present, instead of a recipe that assumes a `kvm` group.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';

/** What decides access to the device, as read from this host. */
export interface AccessFacts {
  path: string;
  /** The device's owner, group and permission bits (absent when it does not exist). */
  device?: { uid: number; gid: number; mode: number };
  user: { name: string; uid: number; gids: number[] };
  /** Every group in the group database: name, gid, listed members. */
  groups: { name: string; gid: number; members: string[] }[];
  /** udev runs here (its rules would survive a reboot), setfacl is installed, sudo is installed. */
  udev: boolean;
  setfacl: boolean;
  sudo: boolean;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function readGroups(file: string): AccessFacts['groups'] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!))
      .map(([name, , gid, members]) => ({ name: name!, gid: Number(gid), members: members ? members.split(',').filter(Boolean) : [] }));
  } catch {
    return [];
  }
}

/** Reads the facts of this host for `path`. */
export function readAccessFacts(path: string, groupFile = '/etc/group'): AccessFacts {
  let device: AccessFacts['device'];
  try {
    const st = statSync(path);
    device = { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  } catch {
    device = undefined;
  }
  const info = userInfo();
  return {
    path,
    device,
    user: { name: info.username, uid: info.uid, gids: process.getgroups?.() ?? [info.gid] },
    groups: readGroups(groupFile),
    udev: existsSync('/run/udev/control'),
    setfacl: onPath('setfacl'),
    sudo: onPath('sudo'),
  };
}

/** `crw-rw---- root:kvm`, as ls shows it. */
export function describeDevice(f: AccessFacts): string {
  if (!f.device) return `${f.path} does not exist`;
  const bits = 'rwxrwxrwx'.replace(/./g, (c, i: number) => (f.device!.mode & (0o400 >> i) ? c : '-'));
  const name = (gid: number) => f.groups.find((g) => g.gid === gid)?.name ?? String(gid);
  const owner = f.device.uid === 0 ? 'root' : String(f.device.uid);
  return `${f.path} is c${bits} ${owner}:${name(f.device.gid)}`;
}

/**
 * What would let this user open the device read-write, most fitting first:
 * join the device's group when that group may use it; otherwise give a group
 * access (creating `kvm` if there is none) in a way that lasts where udev
 * runs, an ACL where setfacl exists, or run as root. Empty when nothing is missing.
 */
export function accessAdvice(f: AccessFacts): string[] {
  const d = f.device;
  if (!d || f.user.uid === 0) return [];
  const u = f.user.name;
  const root = (...commands: string[]) => commands.map((c) => (f.sudo ? `sudo ${c}` : c)).join('; ');
  const group = f.groups.find((g) => g.gid === d.gid);
  const advice: string[] = [];
  if (group !== undefined && d.gid !== 0 && (d.mode & 0o060) === 0o060) {
    if (f.user.gids.includes(d.gid)) return [];
    if (group.members.includes(u)) {
      advice.push(`${u} is in group ${group.name} since this session started: log in again (or run \`newgrp ${group.name}\`)`);
    } else {
      advice.push(`add ${u} to group ${group.name}, which may use it: ${root(`usermod -aG ${group.name} ${u}`)}; then log in again`);
    }
  } else {
    const create = f.groups.some((g) => g.name === 'kvm') ? [] : ['groupadd --system kvm'];
    if (f.udev) {
      const rule = `echo 'KERNEL=="kvm", GROUP="kvm", MODE="0660"' | ${root('tee /etc/udev/rules.d/65-kvm.rules')}`;
      advice.push(
        `give a kvm group access, for good: ${root(...create)}${create.length ? '; ' : ''}${rule}; ${root('udevadm trigger --name-match=kvm', `usermod -aG kvm ${u}`)}; then log in again`,
      );
    } else {
      advice.push(
        `give a kvm group access: ${root(...create, `chgrp kvm ${f.path}`, `chmod 0660 ${f.path}`, `usermod -aG kvm ${u}`)}; then log in again. ` +
          "No udev runs here, so this lasts until the device node is made again (at boot, in a new container): repeat it in the host's boot or container setup",
      );
    }
    if (f.setfacl) advice.push(`or give ${u} alone access until the node is made again: ${root(`setfacl -m u:${u}:rw ${f.path}`)}`);
    advice.push('or run tsv as root');
  }
  if (!f.sudo) advice.push('sudo is not installed: run those commands as root');
  return advice;
}
