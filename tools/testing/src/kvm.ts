// Whether tests that need /dev/kvm can run. They skip only where /dev/kvm
// does not exist; where it exists but fails, they fail.
import { existsSync } from 'node:fs';

export const KVM_PATH = '/dev/kvm';
export const hasKvm = existsSync(KVM_PATH);

/** The reason printed when KVM tests are skipped. */
export const noKvmReason = `skipped: ${KVM_PATH} does not exist on this machine (KVM tests need it)`;

let warned = false;
/** Call at the top of a KVM test file: prints why its tests are skipped, once. */
export function announceKvmSkip(): boolean {
  if (!hasKvm && !warned) {
    warned = true;
    console.warn(noKvmReason);
  }
  return !hasKvm;
}
