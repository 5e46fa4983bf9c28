// Request numbers and constants as the compiler read them from <linux/kvm.h>.
import { native } from './binding.js';

export const ioctls = native.ioctls as Readonly<Record<string, number>>;
export const constants = native.constants as Readonly<Record<string, number>>;
/** Byte offsets of kvm_run fields (dotted names, e.g. "mmio.phys_addr"). */
export const runOffsets = native.runOffsets as Readonly<Record<string, number>>;
export const structSizes = native.sizes as Readonly<Record<string, number>>;

/** The request number of a named ioctl. */
export function ioctl(name: string): number {
  const n = ioctls[name];
  if (n === undefined) throw new Error(`unknown ioctl ${name}`);
  return n;
}

/** A named constant (exit reason, capability, flag). */
export function constant(name: string): number {
  const n = constants[name];
  if (n === undefined) throw new Error(`unknown KVM constant ${name}`);
  return n;
}
