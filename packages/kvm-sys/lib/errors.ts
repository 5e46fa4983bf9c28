// Errors from the KVM API: which call failed, the errno by name, and what a
// user can do about the common causes.
import { constants } from 'node:os';

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

/** The symbolic name of an errno value ("EINVAL"), or "errno N". */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

function hintFor(call: string, errno: string, detail?: string): string | undefined {
  if (call === 'open' && errno === 'ENOENT') {
    return `${detail ?? '/dev/kvm'} does not exist: this host has no KVM. Load kvm_intel or kvm_amd (modprobe), enable virtualization in the firmware, or on a cloud VM choose an instance type with nested virtualization`;
  }
  if (call === 'open' && (errno === 'EACCES' || errno === 'EPERM')) {
    return `no permission to open ${detail ?? '/dev/kvm'}: this user needs read-write access to it (through the device's group, an ACL, or root; \`tsv doctor\` says what fits this host)`;
  }
  if (call === 'KVM_SET_USER_MEMORY_REGION' && errno === 'EEXIST') {
    return 'the region overlaps a memory slot that already exists';
  }
  if (call === 'KVM_SET_USER_MEMORY_REGION' && errno === 'EINVAL') {
    return 'guest address, size and host address must be page aligned, and the slot number below KVM_CAP_NR_MEMSLOTS';
  }
  if (call === 'KVM_RUN' && errno === 'EFAULT') {
    return 'the guest touched memory whose host mapping is gone (was the guest memory closed?)';
  }
  if (call === 'KVM_CREATE_VM' && errno === 'ENOMEM') return 'the host is out of memory';
  if (errno === 'EBADF') return 'the descriptor is closed';
  return undefined;
}

/** A failed KVM call: `KVM_SET_USER_MEMORY_REGION failed: EEXIST (hint)`. */
export class KvmError extends Error {
  readonly call: string;
  readonly errno: number;
  readonly code: string;
  readonly hint: string | undefined;

  constructor(call: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    const hint = hintFor(call, code, detail);
    const what = detail !== undefined ? `${call} ${detail}` : call;
    super(`${what} failed: ${code}${hint ? ` (${hint})` : ''}`);
    this.name = 'KvmError';
    this.call = call;
    this.errno = errno;
    this.code = code;
    this.hint = hint;
  }
}

/** Throws a KvmError when a native result is a negative errno; else returns it. */
export function check(call: string, result: number, detail?: string): number {
  if (result < 0) throw new KvmError(call, -result, detail);
  return result;
}

/** Thrown when an object is used after close(). */
export class ClosedError extends Error {
  constructor(what: string) {
    super(`${what} is closed`);
    this.name = 'ClosedError';
  }
}
