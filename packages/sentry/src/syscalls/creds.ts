// User and group identities: the get*id/set*id family and supplementary
// groups, with Linux's rules for who may change what. Privilege
// (CAP_SETUID, CAP_SETGID) is having effective uid 0: there are no
// capabilities or user namespaces yet.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { Credentials, Task } from '../kernel/task.js';
import { writeU32 } from './structs.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

/** (uid_t)-1: "leave unchanged" in setre*id/setres*id, invalid in set*id. */
const NO_ID = 0xffff_ffff;
export const NGROUPS_MAX = 65_536;

/** The real, effective and saved ids of one kind (user or group). */
interface IdTriple {
  r: number;
  e: number;
  s: number;
}

type Kind = 'uid' | 'gid';

function ids(c: Credentials, k: Kind): IdTriple {
  return k === 'uid' ? { r: c.uid, e: c.euid, s: c.suid } : { r: c.gid, e: c.egid, s: c.sgid };
}

function store(c: Credentials, k: Kind, v: IdTriple): void {
  if (k === 'uid') {
    c.uid = v.r;
    c.euid = v.e;
    c.suid = v.s;
  } else {
    c.gid = v.r;
    c.egid = v.e;
    c.sgid = v.s;
  }
}

const privileged = (t: Task): boolean => t.creds.euid === 0;

/** setuid/setgid: privileged sets all three; otherwise only the effective id, to the real or saved one. */
function setId(k: Kind) {
  return (t: Task, a: SyscallArgs): number => {
    const id = a.uint(0);
    if (id === NO_ID) return -E.EINVAL;
    const old = ids(t.creds, k);
    if (privileged(t)) store(t.creds, k, { r: id, e: id, s: id });
    else if (id === old.r || id === old.s) store(t.creds, k, { ...old, e: id });
    else return -E.EPERM;
    return 0;
  };
}

/** setreuid/setregid. */
function setReId(k: Kind) {
  return (t: Task, a: SyscallArgs): number => {
    const r = a.uint(0);
    const e = a.uint(1);
    const old = ids(t.creds, k);
    const priv = privileged(t);
    if (r !== NO_ID && !priv && r !== old.r && r !== old.e) return -E.EPERM;
    if (e !== NO_ID && !priv && e !== old.r && e !== old.e && e !== old.s) return -E.EPERM;
    const next = { r: r === NO_ID ? old.r : r, e: e === NO_ID ? old.e : e, s: old.s };
    // The saved id follows the effective one when the real id is set or the effective one leaves it.
    if (r !== NO_ID || (e !== NO_ID && e !== old.r)) next.s = next.e;
    store(t.creds, k, next);
    return 0;
  };
}

/** setresuid/setresgid: each given id must be one of the current three unless privileged. */
function setResId(k: Kind) {
  return (t: Task, a: SyscallArgs): number => {
    const want = [a.uint(0), a.uint(1), a.uint(2)];
    const old = ids(t.creds, k);
    const allowed = (id: number): boolean => id === NO_ID || id === old.r || id === old.e || id === old.s;
    if (!privileged(t) && !want.every(allowed)) return -E.EPERM;
    const [r, e, s] = want.map((id, i) => (id === NO_ID ? [old.r, old.e, old.s][i]! : id));
    store(t.creds, k, { r: r!, e: e!, s: s! });
    return 0;
  };
}

/** getresuid/getresgid: three u32 out-parameters, written in order. */
function getResId(k: Kind) {
  return (t: Task, a: SyscallArgs): number => {
    const v = ids(t.creds, k);
    for (const [i, id] of [v.r, v.e, v.s].entries()) if (writeU32(t.mm, a.ptr(i), id) < 0) return -E.EFAULT;
    return 0;
  };
}

function getgroups(t: Task, a: SyscallArgs): number {
  const size = a.int(0);
  const groups = t.creds.groups;
  if (size < 0) return -E.EINVAL;
  if (size === 0) return groups.length;
  if (size < groups.length) return -E.EINVAL;
  const v = new DataView(new ArrayBuffer(groups.length * 4));
  groups.forEach((g, i) => v.setUint32(i * 4, g, true));
  if (groups.length > 0) {
    const p = a.ptr(1);
    if (p <= 0 || t.mm.copyOut(p, new Uint8Array(v.buffer)) < 0) return -E.EFAULT;
  }
  return groups.length;
}

function setgroups(t: Task, a: SyscallArgs): number {
  if (!privileged(t)) return -E.EPERM;
  const size = a.uint(0);
  if (size > NGROUPS_MAX) return -E.EINVAL;
  const buf = new Uint8Array(size * 4);
  const p = a.ptr(1);
  if (size > 0 && (p <= 0 || t.mm.copyIn(p, buf) < 0)) return -E.EFAULT;
  const v = new DataView(buf.buffer);
  // Linux keeps the list sorted (groups_sort) for its lookups; getgroups returns it so.
  t.creds.groups = Array.from({ length: size }, (_, i) => v.getUint32(i * 4, true)).sort((x, y) => x - y);
  return 0;
}

export const CRED_SYSCALLS: readonly SyscallSpec[] = [
  ['getuid', [], (t) => t.creds.uid],
  ['geteuid', [], (t) => t.creds.euid],
  ['getgid', [], (t) => t.creds.gid],
  ['getegid', [], (t) => t.creds.egid],
  ['getresuid', ['ptr', 'ptr', 'ptr'], getResId('uid')],
  ['getresgid', ['ptr', 'ptr', 'ptr'], getResId('gid')],
  ['setuid', ['uint'], setId('uid')],
  ['setgid', ['uint'], setId('gid')],
  ['setreuid', ['uint', 'uint'], setReId('uid')],
  ['setregid', ['uint', 'uint'], setReId('gid')],
  ['setresuid', ['uint', 'uint', 'uint'], setResId('uid')],
  ['setresgid', ['uint', 'uint', 'uint'], setResId('gid')],
  ['getgroups', ['int', 'ptr'], getgroups],
  ['setgroups', ['int', 'ptr'], setgroups],
];
