// uname(2) and the host and domain names it reports: per kernel (one
// sandbox), "tsv" and "(none)" until the runner or a privileged guest
// (sethostname, setdomainname) changes them.
import { E } from '../errno.js';
import type { SyscallArgs } from '../kernel/args.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

/** __NEW_UTS_LEN: each utsname field holds this many bytes and a NUL. */
export const UTS_LEN = 64;
const FIELD = UTS_LEN + 1;
export const UTSNAME_SIZE = 6 * FIELD;

export const UTS_SYSNAME = 'Linux';
export const UTS_RELEASE = '6.1.0-tsv';
export const UTS_VERSION = '#1 SMP tsv';
export const UTS_MACHINE = 'x86_64';

interface Names {
  host: Uint8Array;
  domain: Uint8Array;
}

const names = new WeakMap<Kernel, Names>();
const encoder = new TextEncoder();

function namesOf(k: Kernel): Names {
  let n = names.get(k);
  if (n === undefined) names.set(k, (n = { host: encoder.encode('tsv'), domain: encoder.encode('(none)') }));
  return n;
}

/** Sets the sandbox's host name (uname's nodename); throws if longer than 64 bytes (configuration, not guest input). */
export function setHostname(k: Kernel, name: string): void {
  const b = encoder.encode(name);
  if (b.length > UTS_LEN) throw new RangeError(`host name longer than ${UTS_LEN} bytes: ${name}`);
  namesOf(k).host = b;
}

/** The sandbox's host name as uname reports it (/proc/sys/kernel/hostname). */
export function hostname(k: Kernel): Uint8Array {
  return namesOf(k).host;
}

function uname(t: Task, a: SyscallArgs): number {
  const n = namesOf(t.kernel);
  const out = new Uint8Array(UTSNAME_SIZE);
  const fields = [
    encoder.encode(UTS_SYSNAME),
    n.host,
    encoder.encode(UTS_RELEASE),
    encoder.encode(UTS_VERSION),
    encoder.encode(UTS_MACHINE),
    n.domain,
  ];
  fields.forEach((f, i) => out.set(f, i * FIELD));
  const p = a.ptr(0);
  return p <= 0 || t.mm.copyOut(p, out) < 0 ? -E.EFAULT : 0;
}

/** sethostname/setdomainname: privileged (euid 0 for CAP_SYS_ADMIN), at most 64 bytes. */
function setName(which: keyof Names) {
  return (t: Task, a: SyscallArgs): number => {
    if (t.creds.euid !== 0) return -E.EPERM;
    const len = a.int(1);
    if (len < 0 || len > UTS_LEN) return -E.EINVAL;
    const buf = new Uint8Array(len);
    const p = a.ptr(0);
    if (len > 0 && (p <= 0 || t.mm.copyIn(p, buf) < 0)) return -E.EFAULT;
    // Linux stores the bytes as given; a NUL inside ends the name when it is read back.
    const nul = buf.indexOf(0);
    namesOf(t.kernel)[which] = nul < 0 ? buf : buf.slice(0, nul);
    return 0;
  };
}

export const UTS_SYSCALLS: readonly SyscallSpec[] = [
  ['uname', ['ptr'], uname],
  ['sethostname', ['ptr', 'int'], setName('host')],
  ['setdomainname', ['ptr', 'int'], setName('domain')],
];
